namespace Supervisor.Contracts;

/// <summary>
/// Published by the saga when a task is cancelled; every worker receives it and kills any attempt of the task it is
/// running (the whole process tree), so that nothing of the task runs on within seconds.
/// </summary>
public sealed record CancelAttempts(Guid TaskId, string Reason);
