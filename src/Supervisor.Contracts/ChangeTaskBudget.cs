namespace Supervisor.Contracts;

/// <summary>
/// Sets a task's budget: <see cref="MaxCostUsd"/> and <see cref="MaxTokens"/> replace the task's own where given (null:
/// unchanged). A task paused by its budget resumes when it is now under it; one that its budget stopped starts again.
/// <see cref="By"/> is the person or system deciding.
/// </summary>
public sealed record ChangeTaskBudget(Guid TaskId, decimal? MaxCostUsd, long? MaxTokens, string? By, string? Reason);
