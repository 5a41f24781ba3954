using Supervisor.Contracts;
using Supervisor.Service.Tasks;

namespace Supervisor.Tests.Tasks;

/// <summary>
/// A task submitted with a runAt waits, in Submitted, until then. The specs move the saga's clock on; none of them waits.
/// </summary>
public sealed class DelayedTaskSpecs : IAsyncLifetime
{
    static readonly TimeSpan Ahead = TimeSpan.FromHours(1);

    TaskSagaHarness _saga = null!;

    public async Task InitializeAsync() => _saga = await TaskSagaHarness.Start();

    public async Task DisposeAsync() => await _saga.DisposeAsync();

    [Fact]
    public async Task A_delayed_task_waits_in_Submitted_and_is_dispatched_at_its_time()
    {
        var runAt = _saga.Now + Ahead;
        var id = await _saga.Submit(runAt: runAt);
        var waiting = await _saga.InState(id, s => s.Submitted);
        Assert.Equal(runAt, waiting.RunAt);
        Assert.Single(_saga.Scheduler.Pending);

        await _saga.AdvanceTime(Ahead - TimeSpan.FromMinutes(1));
        await _saga.InState(id, s => s.Submitted);
        Assert.Empty(_saga.JobsOf(id));

        await _saga.AdvanceTime(TimeSpan.FromMinutes(1));
        var task = await _saga.InState(id, s => s.Dispatched);
        Assert.Single(_saga.JobsOf(id));
        Assert.True(task.StartAllowedAt >= runAt, $"start allowed at {task.StartAllowedAt:O}, runAt {runAt:O}");
        Assert.Null(task.RunAtTokenId);
        Assert.Empty(_saga.Scheduler.Pending);
    }

    [Fact]
    public async Task A_delayed_task_cancelled_before_its_time_never_runs()
    {
        var id = await _saga.Submit(runAt: _saga.Now + Ahead);
        await _saga.InState(id, s => s.Submitted);

        await _saga.Publish(new CancelTask(id, "alice", "not needed"));
        await _saga.InState(id, s => s.Cancelled);
        Assert.Empty(_saga.Scheduler.Pending);
        await _saga.AdvanceTime(Ahead * 2);

        var task = await _saga.InState(id, s => s.Cancelled);
        Assert.Equal("cancelled by alice: not needed", task.Error);
        Assert.Empty(_saga.JobsOf(id));
    }

    [Fact]
    public async Task A_task_whose_runAt_has_passed_is_dispatched_at_once()
    {
        var id = await _saga.Submit(runAt: _saga.Now - TimeSpan.FromSeconds(30));

        await _saga.InState(id, s => s.Dispatched);
        Assert.Single(_saga.JobsOf(id));
        Assert.Empty(_saga.Scheduler.Pending);
    }

    [Fact]
    public async Task A_delayed_high_risk_task_waits_for_approval_only_from_its_time_on()
    {
        var id = await _saga.Submit(risk: "high", runAt: _saga.Now + Ahead);
        await _saga.InState(id, s => s.Submitted);
        await _saga.PublishAndWait(new ApproveTask(id, "alice", "too early"));
        await _saga.AdvanceTime(Ahead / 2);
        await _saga.InState(id, s => s.Submitted);

        await _saga.AdvanceTime(Ahead / 2);
        await _saga.InState(id, s => s.AwaitingApproval);
        Assert.Empty(_saga.JobsOf(id));
    }

    [Fact]
    public async Task The_reconciler_starts_a_delayed_task_whose_scheduled_start_was_lost_and_the_late_start_changes_nothing()
    {
        var id = await _saga.Submit(runAt: _saga.Now + Ahead);
        await _saga.InState(id, s => s.Submitted);

        // Before its time the reconciler's word changes nothing.
        await _saga.PublishAndWait(new ReconcileTask(id, null, null, "spec: too early"));
        _saga.Wait(Ahead + TimeSpan.FromMinutes(3));
        await _saga.Publish(new ReconcileTask(id, null, null, "spec: still waiting after its time"));
        var task = await _saga.InState(id, s => s.Dispatched);
        Assert.Contains(task.Transitions, t => t is { Event: "Reconciled", Reason: "spec: still waiting after its time" });
        Assert.DoesNotContain(task.Transitions, t => t.Reason == "spec: too early");
        Assert.Empty(_saga.Scheduler.Pending);

        await _saga.AdvanceTime(TimeSpan.FromMinutes(1));
        Assert.Single(_saga.JobsOf(id));
    }
}
