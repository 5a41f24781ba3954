namespace Supervisor.Contracts;

/// <summary>
/// Where an attempt's workspace comes from: a local repository <see cref="Path"/> (a worktree of it) or a remote
/// <see cref="Url"/> (a worktree of the worker's mirror of it), and the ref to start from. A remote task's result is pushed
/// to the attempt's branch on the remote, or to <see cref="PushTo"/> when given; with <see cref="OpenPullRequest"/> a pull
/// request of that branch into the base branch is opened, titled <see cref="PullRequestTitle"/> (default: the first line
/// of the agent's summary) with <see cref="PullRequestBody"/> (default: the summary).
/// </summary>
public sealed record RepositorySpec(
    string? Path, string? Url, string? BaseRef, string? PushTo = null, bool OpenPullRequest = false, string? PullRequestTitle = null,
    string? PullRequestBody = null);
