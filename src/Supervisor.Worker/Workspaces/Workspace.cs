namespace Supervisor.Worker.Workspaces;

/// <summary>
/// Where one attempt runs. Without a repository it is a fresh empty directory and the other members are null;
/// with one it is a git worktree of <see cref="RepositoryPath"/> on <see cref="Branch"/>, created at <see cref="BaseCommit"/>,
/// whose git directory (in the repository's <c>.git/worktrees</c>) is <see cref="GitDirectory"/>, recorded before the
/// agent had the workspace: the worker's git uses it, never the <c>.git</c> the workspace holds by then. A workspace of a
/// remote repository is a worktree of this host's mirror of <see cref="Remote"/> (<see cref="RepositoryPath"/> is the mirror).
/// </summary>
public sealed record Workspace(string Path, string? RepositoryPath, string? Branch, string? BaseCommit, string? GitDirectory = null,
    Rules.Repositories.RemoteUrl? Remote = null)
{
    /// <summary>For a remote workspace: the remote's branch it started from (its default branch when the base was a tag or commit).</summary>
    public string? BaseBranch { get; init; }

    /// <summary>
    /// For a copy-on-write workspace (<see cref="WorkspaceLayers"/>): the overlay's upper layer, holding exactly what the
    /// attempt wrote; null for a plain worktree or folder.
    /// </summary>
    public string? Upper { get; init; }
}

/// <summary>
/// The attempt's result on its branch: the commit and <c>git diff --stat</c> from the base commit; once pushed, the
/// branch it went to on <see cref="Remote"/>, the forge's compare page, if known, and the pull request opened for it.
/// </summary>
public sealed record WorkspaceCommit(string Commit, string DiffStat, string? Branch = null, string? Remote = null, string? Link = null, string? PullRequest = null);

/// <summary>The task itself cannot run here (its repository or ref is missing): retrying or another agent will not help.</summary>
public sealed class WorkspaceException(string message) : Exception(message);
