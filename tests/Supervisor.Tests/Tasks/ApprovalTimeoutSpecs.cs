using Supervisor.Contracts;
using Supervisor.Service.Tasks;

namespace Supervisor.Tests.Tasks;

/// <summary>
/// <c>Supervisor:Policy:ApprovalTimeout</c>: a task waiting for approval is rejected by policy once nobody decided in time.
/// The specs move the saga's clock on; none of them waits for the timeout.
/// </summary>
public sealed class ApprovalTimeoutSpecs : IAsyncLifetime
{
    static readonly TimeSpan Timeout = TimeSpan.FromHours(1);

    TaskSagaHarness _saga = null!;

    public async Task InitializeAsync() =>
        _saga = await TaskSagaHarness.Start(new PolicyOptions { ApprovalRequiredFor = ["high"], ApprovalTimeout = Timeout });

    public async Task DisposeAsync() => await _saga.DisposeAsync();

    [Fact]
    public async Task A_task_nobody_approves_within_the_approval_timeout_is_rejected_by_policy()
    {
        var id = await _saga.Submit(risk: "high");
        var submittedAt = (await _saga.InState(id, s => s.AwaitingApproval)).CreatedAt;

        await _saga.AdvanceTime(Timeout - TimeSpan.FromMinutes(1));
        await _saga.InState(id, s => s.AwaitingApproval);

        await _saga.AdvanceTime(TimeSpan.FromMinutes(1));
        var task = await _saga.InState(id, s => s.Rejected);
        Assert.Equal("nobody approved or rejected the task within 01:00:00", task.Error);
        Assert.Equal(("policy", "approval timeout"), task.Decision);
        Assert.True(task.FinishedAt >= submittedAt + Timeout, $"finished at {task.FinishedAt:O}, submitted at {submittedAt:O}");
        Assert.Empty(_saga.JobsOf(id));
    }

    [Fact]
    public async Task A_task_approved_before_the_approval_timeout_is_dispatched_and_does_not_time_out()
    {
        var id = await _saga.Submit(risk: "high");
        await _saga.InState(id, s => s.AwaitingApproval);
        await _saga.AdvanceTime(Timeout / 2);

        await _saga.Publish(new ApproveTask(id, "alice", "looks fine"));
        await _saga.InState(id, s => s.Dispatched);
        await _saga.AdvanceTime(Timeout * 2);

        var task = await _saga.InState(id, s => s.Dispatched);
        Assert.Null(task.Error);
        Assert.Empty(_saga.Scheduler.Pending);
        Assert.Single(_saga.JobsOf(id));
    }

    [Fact]
    public async Task A_task_rejected_before_the_approval_timeout_stays_rejected_by_the_person_who_rejected_it()
    {
        var id = await _saga.Submit(risk: "high");
        await _saga.InState(id, s => s.AwaitingApproval);
        await _saga.AdvanceTime(Timeout / 2);

        await _saga.Publish(new RejectTask(id, "alice", "too risky"));
        var rejectedAt = (await _saga.InState(id, s => s.Rejected)).FinishedAt;
        await _saga.AdvanceTime(Timeout * 2);

        var task = await _saga.InState(id, s => s.Rejected);
        Assert.Equal("rejected by alice: too risky", task.Error);
        Assert.Equal(("alice", "too risky"), task.Decision);
        Assert.Equal(rejectedAt, task.FinishedAt);
        Assert.Empty(_saga.Scheduler.Pending);
    }

    [Fact]
    public async Task A_task_retried_after_its_approval_timed_out_gets_a_whole_new_approval_timeout()
    {
        var id = await _saga.Submit(risk: "high");
        await _saga.InState(id, s => s.AwaitingApproval);
        await _saga.AdvanceTime(Timeout);
        await _saga.InState(id, s => s.Rejected);

        await _saga.Publish(new RetryTask(id, "alice", "now someone is around"));
        await _saga.InState(id, s => s.AwaitingApproval, t => t.Error is null);
        await _saga.AdvanceTime(Timeout - TimeSpan.FromMinutes(1));
        await _saga.InState(id, s => s.AwaitingApproval);

        await _saga.AdvanceTime(TimeSpan.FromMinutes(1));
        var task = await _saga.InState(id, s => s.Rejected);
        Assert.Equal(("policy", "approval timeout"), task.Decision);
    }

    [Fact]
    public async Task Without_an_approval_timeout_a_task_waits_for_approval_however_long_it_takes()
    {
        await using var patient = await TaskSagaHarness.Start(new PolicyOptions { ApprovalRequiredFor = ["high"] });
        var id = await patient.Submit(risk: "high");
        await patient.InState(id, s => s.AwaitingApproval);

        await patient.AdvanceTime(TimeSpan.FromDays(365));

        var task = await patient.InState(id, s => s.AwaitingApproval);
        Assert.Null(task.Error);
        Assert.Empty(patient.Scheduler.Pending);
    }
}
