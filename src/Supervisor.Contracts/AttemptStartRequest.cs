namespace Supervisor.Contracts;

/// <summary>
/// A worker asks, before it starts an attempt of a job, for the attempt's lease: sent to the saga's own queue
/// (<c>task-state</c>) and answered from the task's state in the saga's transaction. Only a task that is active and
/// still on the job's <see cref="Pass"/> grants one, and only one delivery holds a task's lease at a time.
/// <see cref="Claim"/> identifies this one delivery of the job on this worker, the same in every ask about it: a
/// delivery that asks again (its answer was lost) gets the lease it already holds. <see cref="WaitedSeconds"/> is how
/// long this delivery has been asking. <see cref="Attempt"/> is not used: the saga numbers attempts. <see cref="Account"/> is
/// the provider account the attempt would use (see <see cref="LimitReport.Account"/>); null for a profile without one.
/// </summary>
public sealed record AttemptStartRequest(Guid TaskId, int Pass, int Attempt = 0, string? Worker = null, double WaitedSeconds = 0,
    Guid? Claim = null, string? Host = null, string? Account = null);
