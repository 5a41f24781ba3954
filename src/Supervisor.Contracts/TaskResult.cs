namespace Supervisor.Contracts;

/// <summary>
/// What a successful attempt produced: the branch and commit holding its changes (if any) and a short summary. For a task
/// of a remote repository, <see cref="Remote"/> is the URL the branch was pushed to (it never carries credentials),
/// <see cref="Link"/> the forge's page comparing it with its base, when the forge is known, and <see cref="PullRequest"/>
/// the page of the pull request opened for it.
/// </summary>
public sealed record TaskResult(
    string Agent, string? Branch, string? Commit, string? DiffStat, string? Summary, string? Remote = null, string? Link = null, string? PullRequest = null);
