namespace Supervisor.Contracts;

/// <summary>
/// A worker asks, before it starts an attempt, whether the task still wants it: a job redelivered later may find its
/// task cancelled, paused or already moved on to another agent.
/// </summary>
public sealed record AttemptStartRequest(Guid TaskId, int Pass);
