namespace Supervisor.Contracts;

/// <summary>Run a Failed, Cancelled or Rejected task again: a new pass through its chain, history kept. <see cref="By"/> is the person or system deciding.</summary>
public sealed record RetryTask(Guid TaskId, string? By, string? Reason);
