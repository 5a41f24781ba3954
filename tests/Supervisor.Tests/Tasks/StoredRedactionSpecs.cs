using MassTransit;
using Supervisor.Contracts;

namespace Supervisor.Tests.Tasks;

/// <summary>What the saga stores of a prompt and of an agent's error text: never a credential (issue 15, point 5).</summary>
public sealed class StoredRedactionSpecs : IAsyncLifetime
{
    const string Key = "sk-ant-api03-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789";
    const string Token = "ghp_ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

    TaskSagaHarness _saga = null!;

    public async Task InitializeAsync() => _saga = await TaskSagaHarness.Start();

    public async Task DisposeAsync() => await _saga.DisposeAsync();

    [Fact]
    public async Task A_submitted_prompt_is_stored_and_sent_to_the_agent_without_its_credentials()
    {
        var id = NewId.NextGuid();
        await _saga.Publish(new SubmitTask(id, $"use {Key} to call the API", ["c"], null, null, null, null, false, null, "spec", null));

        var task = await _saga.InState(id, s => s.Dispatched);
        Assert.Equal("use [REDACTED] to call the API", task.Prompt);
        Assert.Equal("use [REDACTED] to call the API", Assert.Single(_saga.JobsOf(id)).Context.Message.Prompt);
    }

    [Fact]
    public async Task An_attempts_error_text_is_stored_without_its_credentials_on_the_attempt_and_the_task()
    {
        var id = await _saga.Submit(agents: ["c"]);
        await _saga.InState(id, s => s.Dispatched);
        var lease = await _saga.Lease(id, 1, "w1");
        var now = DateTime.UtcNow;

        await _saga.Publish(new AgentAttemptFailed(id, lease.AttemptId!.Value, 1, 1, "c", "w1", 1, ErrorClasses.AgentFailure,
            $"git push failed: Authorization: Bearer {Token}", now, null, 0, null));

        var task = await _saga.InState(id, s => s.Failed);
        Assert.Equal("git push failed: Authorization: [REDACTED]", Assert.Single(task.Attempts).Message);
        Assert.Equal("c: AgentFailure: git push failed: Authorization: [REDACTED]", task.Error);
        Assert.DoesNotContain(task.Transitions, t => t.Reason?.Contains(Token, StringComparison.Ordinal) == true);
    }

    [Fact]
    public async Task A_faulted_jobs_exception_text_is_stored_without_its_credentials()
    {
        var id = await _saga.Submit(agents: ["c"]);
        await _saga.InState(id, s => s.Dispatched);

        await _saga.Harness.Bus.Publish<Fault<RunAgentJob>>(new
        {
            Message = new RunAgentJob(id, 1, 1, "c", "echo hi", null, null, null, false),
            FaultId = NewId.NextGuid(),
            Timestamp = DateTime.UtcNow,
            Exceptions = new ExceptionInfo[] { new MassTransit.Events.FaultExceptionInfo(new InvalidOperationException($"clone failed with {Key}")) },
            FaultMessageTypes = new[] { "urn:message:Supervisor.Contracts:RunAgentJob" },
        });

        var task = await _saga.InState(id, s => s.Failed);
        Assert.Equal("c: clone failed with [REDACTED]", task.Error);
    }
}
