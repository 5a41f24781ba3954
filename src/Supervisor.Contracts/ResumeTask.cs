namespace Supervisor.Contracts;

/// <summary>Resume a paused task where its chain stood. <see cref="By"/> is the person or system deciding.</summary>
public sealed record ResumeTask(Guid TaskId, string? By, string? Reason);
