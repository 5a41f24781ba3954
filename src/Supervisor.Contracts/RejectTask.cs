namespace Supervisor.Contracts;

/// <summary>Reject a task that waits for approval; it ends Rejected. <see cref="By"/> is the person or system deciding.</summary>
public sealed record RejectTask(Guid TaskId, string? By, string? Reason);
