namespace Supervisor.Contracts;

/// <summary>Pause a task: its running attempt may finish, no new attempt starts until resumed. <see cref="By"/> is the person or system deciding.</summary>
public sealed record PauseTask(Guid TaskId, string? By, string? Reason);
