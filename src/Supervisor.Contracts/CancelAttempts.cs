namespace Supervisor.Contracts;

/// <summary>
/// Published by the saga when a task is cancelled; every worker receives it (on a durable queue of its own, so that a
/// worker cut off for a while still gets it) and stops any attempt of the task it holds or runs (the whole process tree),
/// and starts none. With <see cref="AttemptId"/> set, only that attempt is stopped: its lease was taken over (its worker
/// was silent for too long) and another attempt now runs.
/// </summary>
public sealed record CancelAttempts(Guid TaskId, string Reason, Guid? AttemptId = null);
