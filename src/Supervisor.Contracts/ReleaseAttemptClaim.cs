namespace Supervisor.Contracts;

/// <summary>
/// Sent to the saga by a worker whose delivery of a job stopped after it was granted the lease but before its agent ran
/// (the broker connection dropped while it prepared the workspace, say): the lease held under <see cref="Claim"/>, if it
/// still is, is given back, so that the job's redelivered copy can run at once instead of waiting for the lease to expire.
/// </summary>
public sealed record ReleaseAttemptClaim(Guid TaskId, int Attempt, Guid Claim, string Worker);
