using MassTransit.Testing;
using Supervisor.Contracts;

namespace Supervisor.Tests.Tasks;

/// <summary>
/// The saga publishes <see cref="TaskAttentionRaised"/> when a task enters AwaitingApproval or Failed, and nothing on an
/// ordinary transition. (Blocked, on a provider account's row in PostgreSQL, is the integration tests' to show.)
/// </summary>
public sealed class TaskAttentionSpecs : IAsyncLifetime
{
    TaskSagaHarness _saga = null!;

    public async Task InitializeAsync() => _saga = await TaskSagaHarness.Start();

    public async Task DisposeAsync() => await _saga.DisposeAsync();

    [Fact]
    public async Task A_task_that_waits_for_approval_raises_attention_once_with_its_risk()
    {
        var id = await _saga.Submit(risk: "high");
        await _saga.InState(id, s => s.AwaitingApproval);

        var raised = await Raised(id);
        Assert.Equal(AttentionKinds.AwaitingApproval, raised.Kind);
        Assert.Equal(TaskStates.AwaitingApproval, raised.State);
        Assert.Equal("a", raised.Agent);
        Assert.Contains("risk high", raised.Reason, StringComparison.Ordinal);

        await _saga.Publish(new ApproveTask(id, "alice", null));
        await _saga.InState(id, s => s.Dispatched);
        Assert.Single(RaisedSoFar(id));
    }

    [Fact]
    public async Task A_task_whose_chain_is_exhausted_raises_failed_with_its_error()
    {
        var id = await _saga.Submit();
        await _saga.InState(id, s => s.Dispatched);
        Assert.Empty(RaisedSoFar(id));

        await _saga.Fault(id, pass: 1, "a");
        await _saga.InState(id, s => s.Dispatched, t => t.Pass == 2);
        await _saga.Fault(id, pass: 2, "b");
        var task = await _saga.InState(id, s => s.Failed);

        var raised = await Raised(id);
        Assert.Equal(AttentionKinds.Failed, raised.Kind);
        Assert.Equal(TaskStates.Failed, raised.State);
        Assert.Equal(task.Error, raised.Reason);
        Assert.Equal("b", raised.Agent);
        Assert.Single(RaisedSoFar(id));
    }

    [Fact]
    public async Task An_invalid_task_raises_failed_at_once()
    {
        var id = await _saga.Submit(agents: ["nope"]);
        await _saga.InState(id, s => s.Failed);

        var raised = await Raised(id);
        Assert.Equal(AttentionKinds.Failed, raised.Kind);
        Assert.StartsWith("Invalid: unknown agent 'nope'", raised.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_task_that_runs_and_succeeds_raises_nothing()
    {
        var id = await _saga.Submit();
        await _saga.InState(id, s => s.Dispatched);
        var lease = await _saga.Lease(id, 1, "w1");
        await _saga.InState(id, s => s.Running);
        await _saga.Publish(new AgentJobCompleted(id, lease.AttemptId!.Value, 1, 1, "a", "w1", 0, DateTime.UtcNow,
            new TaskResult("a", null, null, null, "ok"), 0, null));
        await _saga.InState(id, s => s.Succeeded);

        Assert.Empty(RaisedSoFar(id));
    }

    async Task<TaskAttentionRaised> Raised(Guid id)
    {
        Assert.True(await _saga.Harness.Published.Any<TaskAttentionRaised>(m => m.Context.Message.TaskId == id), $"nothing raised for task {id}");
        return RaisedSoFar(id).First();
    }

    IEnumerable<TaskAttentionRaised> RaisedSoFar(Guid id) =>
        _saga.Harness.Published.Select<TaskAttentionRaised>(m => m.Context.Message.TaskId == id, new CancellationToken(canceled: true))
            .Select(m => m.Context.Message);
}
