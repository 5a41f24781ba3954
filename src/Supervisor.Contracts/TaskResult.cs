namespace Supervisor.Contracts;

/// <summary>What a successful attempt produced: the branch and commit holding its changes (if any) and a short summary.</summary>
public sealed record TaskResult(string Agent, string? Branch, string? Commit, string? DiffStat, string? Summary);
