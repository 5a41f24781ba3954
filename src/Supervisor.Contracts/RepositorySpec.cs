namespace Supervisor.Contracts;

/// <summary>Where an attempt's workspace comes from: a local repository path (worktree) or a URL, and the ref to start from.</summary>
public sealed record RepositorySpec(string? Path, string? Url, string? BaseRef);
