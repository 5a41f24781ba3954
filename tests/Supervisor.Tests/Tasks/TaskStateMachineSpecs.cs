using Supervisor.Contracts;

namespace Supervisor.Tests.Tasks;

/// <summary>The saga's logic on MassTransit's in-memory harness: no broker, no database.</summary>
public sealed class TaskStateMachineSpecs : IAsyncLifetime
{
    TaskSagaHarness _saga = null!;

    public async Task InitializeAsync() => _saga = await TaskSagaHarness.Start();

    public async Task DisposeAsync() => await _saga.DisposeAsync();

    [Fact]
    public async Task A_task_submitted_without_agents_is_dispatched_to_the_first_agent_of_the_default_chain()
    {
        var id = await _saga.Submit();

        var task = await _saga.InState(id, s => s.Dispatched);
        Assert.Equal(["a", "b"], task.Agents);
        var job = Assert.Single(_saga.JobsOf(id)).Context;
        Assert.Equal("agent-a", job.DestinationAddress!.AbsolutePath.Trim('/'));
        Assert.Equal((1, 1, "a"), (job.Message.Pass, job.Message.FirstAttempt, job.Message.Agent));
    }

    [Fact]
    public async Task A_task_submitted_twice_is_one_task()
    {
        var id = await _saga.Submit();
        await _saga.InState(id, s => s.Dispatched);
        await _saga.Submit(id: id);
        await _saga.Harness.InactivityTask;

        Assert.Single(_saga.JobsOf(id));
    }

    [Fact]
    public async Task A_task_naming_an_unknown_agent_fails_as_invalid()
    {
        var id = await _saga.Submit(agents: ["nope"]);

        var task = await _saga.InState(id, s => s.Failed);
        Assert.StartsWith("Invalid: unknown agent 'nope'", task.Error);
        Assert.Empty(_saga.JobsOf(id));
    }

    [Fact]
    public async Task A_leased_then_completed_job_succeeds_the_task_with_its_result_and_every_transition_on_record()
    {
        var id = await _saga.Submit(agents: ["c"]);
        await _saga.InState(id, s => s.Dispatched);

        var lease = await _saga.Lease(id, 1, "w1");
        Assert.True(lease.Allowed, lease.Reason);
        Assert.Equal(1, lease.Attempt);
        await _saga.InState(id, s => s.Running);
        await _saga.Publish(new AgentJobCompleted(id, lease.AttemptId!.Value, 1, 1, "c", "w1", 0, DateTime.UtcNow,
            new TaskResult("c", "supervisor/x/1", "abc", "1 file changed", "done"), 0, new AttemptUsage(100, 20, 0.05m)));

        var task = await _saga.InState(id, s => s.Succeeded);
        Assert.Equal("abc", task.ResultCommit);
        Assert.NotNull(task.FinishedAt);
        Assert.Null(task.LeaseId);
        var recorded = Assert.Single(task.Attempts);
        Assert.Equal(("w1", 0), (recorded.Worker, recorded.ExitCode));
        Assert.Equal((100L, 20L, 0.05m), (recorded.InputTokens, recorded.OutputTokens, recorded.CostUsd));
        Assert.Equal(
            ["Initial→Submitted", "Submitted→Dispatched", "Dispatched→Running", "Running→Succeeded"],
            task.Transitions.Select(t => $"{t.From}→{t.To}"));
    }

    [Fact]
    public async Task A_faulted_job_falls_back_to_the_next_agent_and_the_task_fails_once_the_chain_is_exhausted()
    {
        var id = await _saga.Submit();
        await _saga.InState(id, s => s.Dispatched);

        await _saga.Fault(id, pass: 1, "a");
        var task = await _saga.InState(id, s => s.Dispatched, t => t.Pass == 2);
        Assert.Equal("b", task.CurrentAgent);
        Assert.Single(_saga.JobsOf(id), m => m.Context.Message.Agent == "b");

        await _saga.Fault(id, pass: 2, "b");
        task = await _saga.InState(id, s => s.Failed);
        Assert.NotNull(task.Error);
    }

    [Fact]
    public async Task An_invalid_failure_fails_the_task_without_falling_back_and_its_fault_changes_nothing()
    {
        var id = await _saga.Submit();
        await _saga.InState(id, s => s.Dispatched);
        var lease = await _saga.Lease(id, 1, "w1");
        await _saga.Publish(new AgentAttemptFailed(id, lease.AttemptId!.Value, 1, 1, "a", "w1", null, ErrorClasses.Invalid,
            "repository.baseRef 'x' does not exist", DateTime.UtcNow, null, 0, null));
        await _saga.Fault(id, pass: 1, "a");

        var task = await _saga.InState(id, s => s.Failed);
        Assert.Contains("Invalid", task.Error);
        Assert.DoesNotContain(_saga.JobsOf(id), m => m.Context.Message.Agent == "b");
    }

    [Fact]
    public async Task A_report_of_an_attempt_that_never_held_the_lease_changes_nothing()
    {
        var id = await _saga.Submit();
        await _saga.InState(id, s => s.Dispatched);
        await _saga.Fault(id, pass: 1, "a");
        await _saga.InState(id, s => s.Dispatched, t => t.Pass == 2);

        await _saga.Publish(new AgentJobCompleted(id, Guid.NewGuid(), 1, 1, "a", "w1", 0, DateTime.UtcNow, new TaskResult("a", null, null, null, null), 0, null));
        await _saga.Harness.InactivityTask;

        var task = await _saga.InState(id, s => s.Dispatched);
        Assert.Empty(task.Attempts);
        Assert.Null(task.ResultAgent);
    }

    [Fact]
    public async Task An_expired_lease_is_taken_over_the_lost_attempt_is_on_record_and_its_late_success_changes_nothing()
    {
        var id = await _saga.Submit(agents: ["c"]);
        await _saga.InState(id, s => s.Dispatched);
        var first = await _saga.Lease(id, 1, "w1");
        var waiting = await _saga.Lease(id, 1, "w2");
        Assert.False(waiting.Allowed);
        Assert.NotNull(waiting.AskAgainInSeconds);

        // No heartbeat renews w1's lease: past LostAfter (8 s by default) on the service's clock, w2 takes the job over,
        // once it has itself waited that long (a lease that expired while the broker was away is renewed by the next beat).
        var copy = Guid.NewGuid();
        _saga.Wait(TimeSpan.FromSeconds(21));
        Assert.NotNull((await _saga.Lease(id, 1, "w2", copy, waited: 5)).AskAgainInSeconds);
        var second = await _saga.Lease(id, 1, "w2", copy, waited: 21);
        Assert.True(second.Allowed, second.Reason);
        Assert.Equal(2, second.Attempt);
        var now = DateTime.UtcNow;
        await _saga.Publish(new AgentJobCompleted(id, first.AttemptId!.Value, 1, 1, "c", "w1", 0, now, new TaskResult("c", null, null, null, "w1"), 0, null));
        await _saga.InState(id, s => s.Running, t => t.Attempts.Single(a => a.Number == 1).Message!.Contains("superseded", StringComparison.Ordinal));
        await _saga.Publish(new AgentJobCompleted(id, second.AttemptId!.Value, 1, 2, "c", "w2", 0, now, new TaskResult("c", null, null, null, "w2"), 0, null));

        var task = await _saga.InState(id, s => s.Succeeded);
        Assert.Equal("w2", task.ResultSummary);
        var lost = task.Attempts.Single(a => a.Id == first.AttemptId);
        Assert.Equal(ErrorClasses.ContainerCrash, lost.ErrorClass);
        Assert.StartsWith("worker lost", lost.Message, StringComparison.Ordinal);
        Assert.Contains(task.Transitions, t => t.Event == "LeaseExpired");
    }

    [Fact]
    public async Task A_waiting_delivery_is_told_to_ask_again_when_the_lease_can_first_be_taken_over()
    {
        var id = await _saga.Submit(agents: ["c"]);
        await _saga.InState(id, s => s.Dispatched);
        await _saga.Lease(id, 1, "w1");
        var copy = Guid.NewGuid();

        // While the holder's lease runs (a live holder keeps renewing it), the copy asks again every 2 s at most.
        Assert.Equal(2, (await _saga.Lease(id, 1, "w2", copy)).AskAgainInSeconds);

        // The lease has lapsed (LostAfter, 8 s by default) and the copy has waited all but half a second of LostAfter: it is
        // told to ask again in half a second, when it may take the job over, not at its next 2 s.
        _saga.Wait(TimeSpan.FromSeconds(9));
        var answer = await _saga.Lease(id, 1, "w2", copy, waited: 7.5);
        Assert.False(answer.Allowed);
        Assert.Equal(0.5, answer.AskAgainInSeconds!.Value, precision: 3);
        Assert.True((await _saga.Lease(id, 1, "w2", copy, waited: 8)).Allowed);
    }

    [Fact]
    public async Task The_holders_success_while_paused_succeeds_the_task_and_a_resume_changes_nothing()
    {
        var id = await _saga.Submit(agents: ["c"]);
        await _saga.InState(id, s => s.Dispatched);
        var lease = await _saga.Lease(id, 1, "w1");
        await _saga.Publish(new PauseTask(id, "spec", null));
        await _saga.InState(id, s => s.Paused);

        await _saga.Publish(new AgentJobCompleted(id, lease.AttemptId!.Value, 1, 1, "c", "w1", 0, DateTime.UtcNow, new TaskResult("c", null, null, null, "done"), 0, null));
        await _saga.InState(id, s => s.Succeeded);
        await _saga.Publish(new ResumeTask(id, "spec", null));
        await _saga.Harness.InactivityTask;

        var task = await _saga.InState(id, s => s.Succeeded);
        Assert.DoesNotContain("superseded", task.Attempts.Single().Message ?? "", StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_holders_failure_is_recorded_once_and_not_as_superseded()
    {
        var id = await _saga.Submit(agents: ["c"]);
        await _saga.InState(id, s => s.Dispatched);
        var lease = await _saga.Lease(id, 1, "w1");
        var now = DateTime.UtcNow;
        await _saga.Publish(new AgentAttemptFailed(id, lease.AttemptId!.Value, 1, 1, "c", "w1", 1, ErrorClasses.Retryable, "overloaded", now, now.AddSeconds(5), 0, null));

        var task = await _saga.InState(id, s => s.RetryScheduled);
        Assert.Equal("overloaded", task.Attempts.Single().Message);
    }
}
