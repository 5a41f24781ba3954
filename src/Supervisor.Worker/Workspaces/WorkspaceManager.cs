using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;

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

    public WorkspaceManager(string root, ILogger<WorkspaceManager> logger)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(root);
        _root = Path.GetFullPath(root);
        _logger = logger;
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

        var repository = Path.GetFullPath(repositoryPath);
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
            if (!added.Succeeded && IsBranchInUse(added.Error) && await RemoveWorktreeHoldingAsync(repository, branch, ct))
            {
                added = await GitCli.RunAsync(repository, add, ct);
            }

            if (!added.Succeeded)
            {
                throw new InvalidOperationException($"git worktree add of {branch} in {repository} failed: {added.Reason}");
            }
        }

        LogCreated(path, repository, branch);
        return new Workspace(path, repository, branch, baseCommit);
    }

    public async Task<WorkspaceCommit?> CommitAsync(Workspace workspace, string message, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(workspace);

        // A workspace without a repository has nothing to commit to.
        if (workspace.RepositoryPath is null || workspace.BaseCommit is null)
        {
            return null;
        }

        await GitAsync(workspace.Path, ["add", "-A"], ct);
        var status = await GitAsync(workspace.Path, ["status", "--porcelain"], ct);
        if (status.Output.Trim().Length > 0)
        {
            // Identity and signing come from here, not from whoever configured the machine; hooks are the
            // repository's business, not the attempt's (and an agent may have planted some); and a background
            // `gc --auto` would be maintenance started in the middle of someone else's repository.
            await GitAsync(
                workspace.Path,
                ["-c", "user.name=Supervisor", "-c", "user.email=supervisor@localhost", "-c", "commit.gpgsign=false",
                    "-c", "core.hooksPath=/dev/null", "-c", "gc.auto=0", "commit", "--quiet", "--no-verify", "-m", message],
                ct);
        }

        // The agent may have committed by itself; its commits count as changes as much as ours.
        var head = (await GitAsync(workspace.Path, ["rev-parse", "HEAD"], ct)).Output.Trim();
        if (head == workspace.BaseCommit)
        {
            return null;
        }

        var diffStat = await GitAsync(workspace.Path, ["diff", "--stat", workspace.BaseCommit, head], ct);
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
                    var removed = await GitCli.RunAsync(repository, ["worktree", "remove", "--force", "--force", workspace.Path], CancellationToken.None);
                    if (!removed.Succeeded && Directory.Exists(workspace.Path))
                    {
                        LogRemoveFallback(workspace.Path, removed.Reason);
                        DirectoryRemover.Remove(workspace.Path);
                    }

                    await GitCli.RunAsync(repository, ["worktree", "prune"], CancellationToken.None);
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

    /// <summary>Removes the stale worktree of a lost attempt that still has <paramref name="branch"/> checked out.</summary>
    async Task<bool> RemoveWorktreeHoldingAsync(string repository, string branch, CancellationToken ct)
    {
        var list = await GitCli.RunAsync(repository, ["worktree", "list", "--porcelain"], ct);
        var holder = list.Output.ReplaceLineEndings("\n").Split("\n\n")
            .Select(block => block.Split('\n'))
            .Where(lines => lines.Contains("branch refs/heads/" + branch))
            .Select(lines => lines.FirstOrDefault(l => l.StartsWith("worktree ", StringComparison.Ordinal))?["worktree ".Length..])
            .FirstOrDefault(p => p is not null);
        if (holder is null)
        {
            return false;
        }

        LogRemovingStale(holder, branch);
        var removed = await GitCli.RunAsync(repository, ["worktree", "remove", "--force", "--force", holder], ct);
        if (!removed.Succeeded)
        {
            DirectoryRemover.Remove(holder);
            await GitCli.RunAsync(repository, ["worktree", "prune"], ct);
        }

        return true;
    }

    static async Task<GitResult> GitAsync(string directory, string[] arguments, CancellationToken ct)
    {
        var result = await GitCli.RunAsync(directory, arguments, ct);
        return result.Succeeded ? result : throw new InvalidOperationException($"git {Subcommand(arguments)} in {directory} failed: {result.Reason}");
    }

    /// <summary>The subcommand's name, skipping global options such as <c>-c name=value</c>, so messages stay short.</summary>
    static string Subcommand(string[] arguments)
    {
        for (var i = 0; i < arguments.Length; i++)
        {
            if (arguments[i] == "-c")
            {
                i++;
            }
            else if (!arguments[i].StartsWith('-'))
            {
                return arguments[i];
            }
        }

        return string.Join(' ', arguments);
    }

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

    [LoggerMessage(Level = LogLevel.Warning, Message = "git worktree remove {Path} failed ({Reason}); deleting the directory instead")]
    private partial void LogRemoveFallback(string path, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Removing stale worktree {Path} that still holds branch {Branch}")]
    private partial void LogRemovingStale(string path, string branch);

    [LoggerMessage(Level = LogLevel.Error, Message = "Could not remove workspace {Path}")]
    private partial void LogRemoveFailed(Exception exception, string path);
}
