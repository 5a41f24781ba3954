namespace Supervisor.Contracts;

/// <summary>Cancel a task: a running attempt is killed, no further attempt starts. <see cref="By"/> is the person or system deciding.</summary>
public sealed record CancelTask(Guid TaskId, string? By, string? Reason);
