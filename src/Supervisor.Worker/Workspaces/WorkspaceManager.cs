using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using Supervisor.Paths;

namespace Supervisor.Worker.Workspaces;

/// <summary>
/// Gives every attempt a clean place to work: a git worktree of the task's repository on the attempt's own branch
/// (<c>supervisor/&lt;task&gt;/&lt;attempt&gt;</c>, the task's whole id in 32 hex digits), or an empty directory when the
/// task names no repository. The branch outlives the workspace: it is the attempt's result. Ids issued close together
/// (UUIDv7, ids a client chose) share their first digits, so no shorter prefix is unique: one task's <c>-B</c> would
/// reset another's branch.
/// </summary>
public sealed partial class WorkspaceManager
{
    const string RandomChars = "abcdefghijklmnopqrstuvwxyz0123456789";

    // Git serialises worktree changes with lock files and fails (rather than waits) when one is taken, so
    // attempts of one repository in this process queue here; other processes are handled by GitCli's retry.
    static readonly ConcurrentDictionary<string, SemaphoreSlim> RepositoryLocks = new(StringComparer.Ordinal);

    readonly string _root;
    readonly ILogger<WorkspaceManager> _logger;
    readonly IReadOnlyCollection<string> _allowedRepositoryRoots;

    /// <summary>Workspaces go under <paramref name="root"/>; a task's repository must lie under one of <paramref name="allowedRepositoryRoots"/> (real paths compared; none: anywhere).</summary>
    public WorkspaceManager(string root, ILogger<WorkspaceManager> logger, IReadOnlyCollection<string>? allowedRepositoryRoots = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(root);
        _root = Path.GetFullPath(root);
        _logger = logger;
        _allowedRepositoryRoots = allowedRepositoryRoots ?? [];
        Directory.CreateDirectory(_root);
    }

    public async Task<Workspace> CreateAsync(Guid taskId, int attempt, string? repositoryPath, string? baseRef, CancellationToken ct)
    {
        var id = taskId.ToString("N");
        var path = Path.Combine(_root, string.Create(CultureInfo.InvariantCulture, $"{id}-{attempt}-{RandomNumberGenerator.GetString(RandomChars, 6)}"));
        Directory.CreateDirectory(_root);

        if (repositoryPath is null)
        {
            Directory.CreateDirectory(path);
            LogCreated(path, "(none)", "-");
            return new Workspace(path, null, null, null);
        }

        var repository = AllowedRepository(repositoryPath);
        var (lockKey, problem) = await RepositoryKeyAsync(repository, ct);
        if (lockKey is null)
        {
            throw new WorkspaceException($"repository.path '{repositoryPath}' is not a git repository{problem}");
        }

        var reference = string.IsNullOrWhiteSpace(baseRef) ? "HEAD" : baseRef;
        var resolved = await GitCli.RunAsync(repository, ["rev-parse", "--verify", "--quiet", "--end-of-options", reference + "^{commit}"], ct);
        if (!resolved.Succeeded)
        {
            throw new WorkspaceException($"repository.baseRef '{reference}' does not exist in {repositoryPath}");
        }

        var baseCommit = resolved.Output.Trim();
        var branch = string.Create(CultureInfo.InvariantCulture, $"supervisor/{id}/{attempt}");
        using (await LockAsync(lockKey, ct))
        {
            // Entries of worktrees whose directories a dead worker never removed would block the add.
            await GitCli.RunAsync(repository, ["worktree", "prune"], ct);

            // -B: a rerun of an attempt whose worker was lost reuses its number, and must start again from the base.
            string[] add = ["worktree", "add", "--quiet", "-B", branch, path, baseCommit];
            var added = await GitCli.RunAsync(repository, add, ct);
            if (!added.Succeeded && IsBranchInUse(added.Error) && await RemoveWorktreeHoldingAsync(repository, branch, id, attempt, ct))
            {
                added = await GitCli.RunAsync(repository, add, ct);
            }

            if (!added.Succeeded)
            {
                throw new InvalidOperationException($"git worktree add of {branch} in {repository} failed: {added.Reason}");
            }
        }

        // Asked now, before the agent has the workspace: afterwards its .git file says whatever the agent wrote.
        var gitDirectory = await GitAsync(path, ["rev-parse", "--absolute-git-dir"], ct);
        LogCreated(path, repository, branch);
        return new Workspace(path, repository, branch, baseCommit, gitDirectory.Output.Trim());
    }

    /// <summary>
    /// The real path of the task's repository, refused (as the task's own fault) when it is not absolute or, every link
    /// followed, lies outside the allowed roots: the job may not come from a service that checked it, and links may have
    /// changed since. Git then works on the real path, so a link swapped later does not move the worktree.
    /// </summary>
    string AllowedRepository(string repositoryPath)
    {
        if (!Path.IsPathFullyQualified(repositoryPath))
        {
            throw new WorkspaceException($"repository.path '{repositoryPath}' is not an absolute path");
        }

        return RealPaths.UnderAllowedRoot(repositoryPath, _allowedRepositoryRoots)
            ?? throw new WorkspaceException(
                $"repository.path '{repositoryPath}' is not under an allowed repository root of this worker "
                + $"(Supervisor:Worker:AllowedRepositoryRoots: {string.Join(", ", _allowedRepositoryRoots)})");
    }

    public async Task<WorkspaceCommit?> CommitAsync(Workspace workspace, string message, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(workspace);

        // A workspace without a repository has nothing to commit to.
        if (workspace.RepositoryPath is null || workspace.BaseCommit is null)
        {
            return null;
        }

        // Everything below reads the workspace the agent had: WorkspaceGit keeps what it planted from deciding what git runs.
        var git = await WorkspaceGit.OpenAsync(
            workspace.GitDirectory ?? throw new InvalidOperationException($"workspace {workspace.Path} has no recorded git directory"),
            workspace.Path, ct);
        Check(await git.AddAllAsync(ct), workspace.Path, "add");

        // Index against HEAD, not `git status`: status looks inside repositories nested in the workspace by running git
        // there, with their configuration. Exit 1 means staged changes.
        var staged = await git.RunAsync(["diff", "--cached", "--quiet", "--no-ext-diff", "--no-textconv"], ct);
        if (staged.ExitCode == 1)
        {
            // Identity comes from here, not from whoever configured the machine; WorkspaceGit has hooks, signing and
            // background maintenance (gc --auto in the middle of someone else's repository) off.
            Check(
                await git.RunAsync(["-c", "user.name=Supervisor", "-c", "user.email=supervisor@localhost", "commit", "--quiet", "--no-verify", "-m", message], ct),
                workspace.Path, "commit");
        }
        else
        {
            Check(staged, workspace.Path, "diff --cached");
        }

        // The agent may have committed by itself; its commits count as changes as much as ours.
        var head = Check(await git.RunAsync(["rev-parse", "--verify", "HEAD"], ct), workspace.Path, "rev-parse").Output.Trim();
        if (head == workspace.BaseCommit)
        {
            return null;
        }

        var diffStat = Check(
            await git.RunAsync(["diff", "--stat", "--no-ext-diff", "--no-textconv", workspace.BaseCommit, head, "--"], ct),
            workspace.Path, "diff --stat");
        LogCommitted(workspace.Branch, head);
        return new WorkspaceCommit(head, diffStat.Output.TrimEnd());
    }

    public async Task RemoveAsync(Workspace workspace)
    {
        ArgumentNullException.ThrowIfNull(workspace);
        try
        {
            if (workspace.RepositoryPath is { } repository)
            {
                var (lockKey, _) = await RepositoryKeyAsync(repository, CancellationToken.None);
                using (await LockAsync(lockKey ?? repository, CancellationToken.None))
                {
                    // Not `git worktree remove`: it reads the workspace's .git (the agent's by now) to validate it. The
                    // directory goes first; prune then drops the worktree's entry, whose directory is gone.
                    DirectoryRemover.Remove(workspace.Path);
                    var pruned = await GitCli.RunAsync(repository, ["worktree", "prune"], CancellationToken.None);
                    if (!pruned.Succeeded)
                    {
                        LogPruneFailed(repository, pruned.Reason);
                    }
                }
            }
            else
            {
                DirectoryRemover.Remove(workspace.Path);
            }

            LogRemoved(workspace.Path);
        }
        catch (Exception ex)
        {
            // Removal runs in finally blocks after the attempt's outcome is known; a leftover directory must not replace it.
            LogRemoveFailed(ex, workspace.Path);
        }
    }

    /// <summary>
    /// The repository's common git directory (the same for every worktree of it), or null and, when git gave an
    /// unusual reason (such as "dubious ownership"), that reason to append to the message.
    /// </summary>
    static async Task<(string? Key, string Problem)> RepositoryKeyAsync(string repository, CancellationToken ct)
    {
        if (!Directory.Exists(repository))
        {
            return (null, "");
        }

        var result = await GitCli.RunAsync(repository, ["rev-parse", "--path-format=absolute", "--git-common-dir"], ct);
        if (result.Succeeded)
        {
            return (result.Output.Trim(), "");
        }

        return (null, result.Error.Contains("not a git repository", StringComparison.Ordinal) ? "" : $" ({result.Reason})");
    }

    static async Task<IDisposable> LockAsync(string key, CancellationToken ct)
    {
        var gate = RepositoryLocks.GetOrAdd(key, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(ct);
        return new Releaser(gate);
    }

    static bool IsBranchInUse(string error) =>
        error.Contains("already checked out at", StringComparison.Ordinal)
        || error.Contains("already used by worktree at", StringComparison.Ordinal);

    /// <summary>
    /// Removes the stale worktree of a lost attempt that still has <paramref name="branch"/> checked out: only a workspace of
    /// this attempt (its folder named as <see cref="CreateAsync"/> names it, under any worker's root on this host), never
    /// another path git's records name (an agent running as the worker could rewrite them).
    /// </summary>
    async Task<bool> RemoveWorktreeHoldingAsync(string repository, string branch, string id, int attempt, CancellationToken ct)
    {
        var list = await GitCli.RunAsync(repository, ["worktree", "list", "--porcelain"], ct);
        var holder = list.Output.ReplaceLineEndings("\n").Split("\n\n")
            .Select(block => block.Split('\n'))
            .Where(lines => lines.Contains("branch refs/heads/" + branch))
            .Select(lines => lines.FirstOrDefault(l => l.StartsWith("worktree ", StringComparison.Ordinal))?["worktree ".Length..])
            .FirstOrDefault(p => p is not null);
        if (holder is null || !IsWorkspaceOf(holder, id, attempt))
        {
            return false;
        }

        LogRemovingStale(holder, branch);
        // As in RemoveAsync: the stale workspace was an agent's, so git does not read it.
        DirectoryRemover.Remove(holder);
        await GitCli.RunAsync(repository, ["worktree", "prune"], ct);
        return true;
    }

    /// <summary>Whether <paramref name="path"/> is a real folder (no link) named <c>{id}-{attempt}-{6 random}</c>.</summary>
    static bool IsWorkspaceOf(string path, string id, int attempt) =>
        Path.GetFileName(path) is var name
        && name.StartsWith(string.Create(CultureInfo.InvariantCulture, $"{id}-{attempt}-"), StringComparison.Ordinal)
        && name.Length == id.Length + attempt.ToString(CultureInfo.InvariantCulture).Length + 8
        && name[^6..].All(RandomChars.Contains)
        && (!Directory.Exists(path) || new DirectoryInfo(path).LinkTarget is null);

    static async Task<GitResult> GitAsync(string directory, string[] arguments, CancellationToken ct) =>
        Check(await GitCli.RunAsync(directory, arguments, ct), directory, arguments[0]);

    static GitResult Check(GitResult result, string directory, string subcommand) =>
        result.Succeeded ? result : throw new InvalidOperationException($"git {subcommand} in {directory} failed: {result.Reason}");

    sealed class Releaser(SemaphoreSlim gate) : IDisposable
    {
        public void Dispose() => gate.Release();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Workspace {Path} created (repository {Repository}, branch {Branch})")]
    private partial void LogCreated(string path, string repository, string branch);

    [LoggerMessage(Level = LogLevel.Information, Message = "Committed the attempt's changes on {Branch} as {Commit}")]
    private partial void LogCommitted(string? branch, string commit);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Workspace {Path} removed")]
    private partial void LogRemoved(string path);

    [LoggerMessage(Level = LogLevel.Warning, Message = "git worktree prune in {Repository} failed ({Reason}); its entry for a removed workspace stays until the next prune")]
    private partial void LogPruneFailed(string repository, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Removing stale worktree {Path} that still holds branch {Branch}")]
    private partial void LogRemovingStale(string path, string branch);

    [LoggerMessage(Level = LogLevel.Error, Message = "Could not remove workspace {Path}")]
    private partial void LogRemoveFailed(Exception exception, string path);
}
