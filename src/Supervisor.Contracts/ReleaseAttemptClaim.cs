namespace Supervisor.Contracts;

/// <summary>
/// Sent to the start check's queue by a worker whose delivery of a job stopped before its agent ran (the broker
/// connection dropped while it waited for the answer, say): the claim made under <see cref="Claim"/>, if any was, is
/// given up, so that the job's redelivered copy can run at once instead of waiting out the holder's result grace.
/// </summary>
public sealed record ReleaseAttemptClaim(Guid TaskId, int Attempt, Guid Claim, string Worker);
