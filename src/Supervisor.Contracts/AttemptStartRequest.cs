namespace Supervisor.Contracts;

/// <summary>
/// A worker asks, before it starts an attempt, whether the task still wants it: a job redelivered later may find its
/// task cancelled, paused or already moved on to another agent, or the same attempt already claimed by another worker
/// (the broker redelivers a job whose acknowledgement was lost). <see cref="WaitedSeconds"/> is how long this worker
/// has already waited for such a claim to resolve. <see cref="Claim"/> identifies this one delivery of the job on this
/// worker, the same in every ask about it: a claim made under it is still unused while its delivery keeps asking.
/// </summary>
public sealed record AttemptStartRequest(Guid TaskId, int Pass, int Attempt = 0, string? Worker = null, double WaitedSeconds = 0,
    Guid? Claim = null);
