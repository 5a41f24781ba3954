namespace Supervisor.Contracts;

/// <summary>Approve a task that waits for approval; it is dispatched. <see cref="By"/> is the person or system deciding.</summary>
public sealed record ApproveTask(Guid TaskId, string? By, string? Reason);
