using MassTransit;
using MassTransit.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Supervisor.Agents;
using Supervisor.Contracts;
using Supervisor.Service.Tasks;

namespace Supervisor.Tests.Tasks;

/// <summary>The saga's logic on MassTransit's in-memory harness: no broker, no database.</summary>
public sealed class TaskStateMachineSpecs : IAsyncLifetime
{
    ServiceProvider _provider = null!;
    ITestHarness _harness = null!;
    ISagaStateMachineTestHarness<TaskStateMachine, TaskState> _saga = null!;

    public async Task InitializeAsync()
    {
        var options = new SupervisorOptions
        {
            DefaultAgent = "a",
            Agents =
            {
                ["a"] = new AgentOptions { Command = "/bin/true", Fallback = "b" },
                ["b"] = new AgentOptions { Command = "/bin/true" },
                ["c"] = new AgentOptions { Command = "/bin/true" },
            },
        };
        _provider = new ServiceCollection()
            .AddSingleton(new AgentCatalog(Options.Create(options)))
            .AddSingleton(TimeProvider.System)
            // no console logger: the harness's debug trace of every message buries the test results
            .AddLogging()
            .AddSingleton(Options.Create(new PolicyOptions { ApprovalRequiredFor = ["high"] }))
            .AddMassTransitTestHarness(x => x.AddSagaStateMachine<TaskStateMachine, TaskState>().InMemoryRepository())
            .BuildServiceProvider(true);
        _harness = _provider.GetRequiredService<ITestHarness>();
        await _harness.Start();
        _saga = _harness.GetSagaStateMachineHarness<TaskStateMachine, TaskState>();
    }

    public async Task DisposeAsync()
    {
        await _harness.Stop();
        await _provider.DisposeAsync();
    }

    [Fact]
    public async Task Submit_WithoutAgents_DispatchesTheDefaultChainsFirstAgent()
    {
        var id = await Submit();

        var task = await InState(id, s => s.Dispatched);
        Assert.Equal(["a", "b"], task.Agents);
        var job = Assert.Single(_harness.Sent.Select<RunAgentJob>(), m => m.Context.Message.TaskId == id).Context;
        Assert.Equal("agent-a", job.DestinationAddress!.AbsolutePath.Trim('/'));
        Assert.Equal((1, 1, "a"), (job.Message.Pass, job.Message.FirstAttempt, job.Message.Agent));
    }

    [Fact]
    public async Task Submit_Twice_IsOneTask()
    {
        var id = await Submit();
        await InState(id, s => s.Dispatched);
        await Submit(id: id);
        await _harness.InactivityTask;

        Assert.Single(_harness.Sent.Select<RunAgentJob>(), m => m.Context.Message.TaskId == id);
    }

    [Fact]
    public async Task Submit_WithUnknownAgent_FailsAsInvalid()
    {
        var id = await Submit(agents: ["nope"]);

        var task = await InState(id, s => s.Failed);
        Assert.StartsWith("Invalid: unknown agent 'nope'", task.Error);
        Assert.Empty(_harness.Sent.Select<RunAgentJob>(m => m.Context.Message.TaskId == id));
    }

    [Fact]
    public async Task Started_then_completed_SucceedsWithResult_AndRecordsEveryTransition()
    {
        var id = await Submit(agents: ["c"]);
        await InState(id, s => s.Dispatched);
        var attempt = Guid.NewGuid();

        await _harness.Bus.Publish(new AgentJobStarted(id, attempt, 1, 1, 0, "c", "w1", "host", null, DateTime.UtcNow));
        await InState(id, s => s.Running);
        await _harness.Bus.Publish(new AgentJobCompleted(id, attempt, 1, 1, "c", "w1", 0, DateTime.UtcNow,
            new TaskResult("c", "supervisor/x/1", "abc", "1 file changed", "done"), 0, new AttemptUsage(100, 20, 0.05m)));

        var task = await InState(id, s => s.Succeeded);
        Assert.Equal("abc", task.ResultCommit);
        Assert.NotNull(task.FinishedAt);
        var recorded = Assert.Single(task.Attempts);
        Assert.Equal(("w1", 0), (recorded.Worker, recorded.ExitCode));
        Assert.Equal((100L, 20L, 0.05m), (recorded.InputTokens, recorded.OutputTokens, recorded.CostUsd));
        Assert.Equal(
            ["Initial→Submitted", "Submitted→Dispatched", "Dispatched→Running", "Running→Succeeded"],
            task.Transitions.Select(t => $"{t.From}→{t.To}"));
    }

    [Fact]
    public async Task Fault_FallsBackToTheNextAgent_ThenFailsWhenTheChainIsExhausted()
    {
        var id = await Submit();
        await InState(id, s => s.Dispatched);

        await Fault(id, pass: 1, "a");
        var task = await InState(id, s => s.Dispatched, t => t.Pass == 2);
        Assert.Equal("b", task.CurrentAgent);
        Assert.Single(_harness.Sent.Select<RunAgentJob>(), m => m.Context.Message.TaskId == id && m.Context.Message.Agent == "b");

        await Fault(id, pass: 2, "b");
        task = await InState(id, s => s.Failed);
        Assert.NotNull(task.Error);
    }

    [Fact]
    public async Task Fault_OfAnInvalidTask_FailsWithoutFallback()
    {
        var id = await Submit();
        await InState(id, s => s.Dispatched);
        var attempt = Guid.NewGuid();
        await _harness.Bus.Publish(new AgentAttemptFailed(id, attempt, 1, 1, "a", "w1", null, ErrorClasses.Invalid,
            "repository.baseRef 'x' does not exist", DateTime.UtcNow, null, 0, null));
        await Fault(id, pass: 1, "a");

        var task = await InState(id, s => s.Failed);
        Assert.Contains("Invalid", task.Error);
        Assert.DoesNotContain(_harness.Sent.Select<RunAgentJob>(), m => m.Context.Message.TaskId == id && m.Context.Message.Agent == "b");
    }

    [Fact]
    public async Task Events_OfAnEarlierPass_AreRecordedButDoNotChangeTheState()
    {
        var id = await Submit();
        await InState(id, s => s.Dispatched);
        await Fault(id, pass: 1, "a");
        await InState(id, s => s.Dispatched, t => t.Pass == 2);

        var stale = Guid.NewGuid();
        await _harness.Bus.Publish(new AgentJobCompleted(id, stale, 1, 1, "a", "w1", 0, DateTime.UtcNow, new TaskResult("a", null, null, null, null), 0, null));
        await _harness.InactivityTask;

        var task = await InState(id, s => s.Dispatched);
        Assert.Contains(task.Attempts, a => a.Id == stale);
        Assert.Null(task.ResultAgent);
    }

    [Fact]
    public async Task A_second_start_of_the_same_job_records_the_first_attempt_as_a_lost_worker()
    {
        var id = await Submit(agents: ["c"]);
        await InState(id, s => s.Dispatched);
        var first = Guid.NewGuid();
        await _harness.Bus.Publish(new AgentJobStarted(id, first, 1, 1, 0, "c", "w1", "host", null, DateTime.UtcNow));
        await InState(id, s => s.Running);
        await _harness.Bus.Publish(new AgentJobStarted(id, Guid.NewGuid(), 1, 1, 0, "c", "w2", "host", null, DateTime.UtcNow));

        var task = await InState(id, s => s.Running, t => t.Attempts.Count == 2);
        var lost = task.Attempts.Single(a => a.Id == first);
        Assert.Equal(ErrorClasses.ContainerCrash, lost.ErrorClass);
    }

    async Task<Guid> Submit(Guid? id = null, IReadOnlyList<string>? agents = null)
    {
        var taskId = id ?? NewId.NextGuid();
        await _harness.Bus.Publish(new SubmitTask(taskId, "echo hi", agents, null, null, null, null, false, null, "spec"));
        return taskId;
    }

    Task Fault(Guid id, int pass, string agent)
    {
        var job = new RunAgentJob(id, pass, 1, agent, "echo hi", null, null, null, false);
        return _harness.Bus.Publish<Fault<RunAgentJob>>(new
        {
            Message = job,
            FaultId = NewId.NextGuid(),
            Timestamp = DateTime.UtcNow,
            Exceptions = new[] { new { ExceptionType = "AgentAttemptException", Message = "AgentFailure: exited with code 1" } },
            FaultMessageTypes = new[] { "urn:message:Supervisor.Contracts:RunAgentJob" },
        });
    }

    async Task<TaskState> InState(Guid id, Func<TaskStateMachine, State> state, Func<TaskState, bool>? also = null)
    {
        var machine = _saga.StateMachine;
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (DateTime.UtcNow < deadline)
        {
            var instance = _saga.Sagas.Contains(id);
            if (instance is not null && instance.CurrentState == state(machine).Name && (also is null || also(instance)))
                return instance;
            await Task.Delay(20);
        }

        var current = _saga.Sagas.Contains(id);
        var faults = string.Join("; ", _harness.Published.Select<Fault>().Select(f => string.Join(",", f.Context.Message.Exceptions.Select(e => e?.Message))));
        throw new Xunit.Sdk.XunitException($"task {id} did not reach {state(machine).Name}; it is {current?.CurrentState ?? "missing"} (pass {current?.Pass}); faults: {faults}");
    }
}
