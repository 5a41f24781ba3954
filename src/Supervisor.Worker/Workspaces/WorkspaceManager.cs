using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using Supervisor.Contracts;
using Supervisor.Paths;
using Supervisor.Rules.Repositories;
using Supervisor.Worker.Settings;

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
    readonly WorkerGitOptions _git;
    readonly IReadOnlyCollection<string> _allowedHosts;
    readonly MirrorCache _mirrors;
    readonly WorkspaceLayers? _layers;

    /// <summary>Workspaces whose commit is on the remote: their attempt's branch leaves the mirror with them.</summary>
    readonly ConcurrentDictionary<string, bool> _pushed = new(StringComparer.Ordinal);

    /// <summary>
    /// Workspaces go under <paramref name="root"/>; a task's repository must lie under one of <paramref name="allowedRepositoryRoots"/>
    /// (real paths compared; none: anywhere); remote repositories (of <paramref name="allowedHosts"/> only, or file:// URLs under
    /// the allowed roots) are mirrored under the root and reached as <paramref name="git"/> says. Worktrees are copy-on-write
    /// overlays where <paramref name="layers"/> are given and the machine allows them, else plain ones.
    /// </summary>
    public WorkspaceManager(string root, ILogger<WorkspaceManager> logger, IReadOnlyCollection<string>? allowedRepositoryRoots = null, WorkerGitOptions? git = null,
        IReadOnlyCollection<string>? allowedHosts = null, WorkspaceLayers? layers = null)
    {
        _allowedHosts = allowedHosts ?? [];
        ArgumentException.ThrowIfNullOrWhiteSpace(root);
        _root = Path.GetFullPath(root);
        _logger = logger;
        _allowedRepositoryRoots = allowedRepositoryRoots ?? [];
        _git = git ?? new WorkerGitOptions();
        _mirrors = new MirrorCache(_root, _git.MirrorCacheMegabytes, logger);
        Directory.CreateDirectory(_root);
        _layers = layers;
        _layers?.RemoveStale();
    }

    /// <summary>The attempt's workspace for the task's <paramref name="repository"/>: a worktree of its local path or of the mirror of its URL, or an empty folder.</summary>
    public Task<Workspace> CreateAsync(Guid taskId, int attempt, RepositorySpec? repository, CancellationToken ct) =>
        repository?.Url is { } url
            ? CreateFromRemoteAsync(taskId, attempt, url, repository.BaseRef, ct)
            : CreateAsync(taskId, attempt, repository?.Path, repository?.BaseRef, ct);

    public async Task<Workspace> CreateAsync(Guid taskId, int attempt, string? repositoryPath, string? baseRef, CancellationToken ct)
    {
        var (id, path) = NewPath(taskId, attempt);
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
        var (branch, upper) = await AddWorktreeAsync(repository, lockKey, id, attempt, path, baseCommit, ct);

        // Asked now, before the agent has the workspace: afterwards its .git file says whatever the agent wrote.
        var gitDirectory = await GitAsync(path, ["rev-parse", "--absolute-git-dir"], ct);
        LogCreated(path, repository, branch);
        return new Workspace(path, repository, branch, baseCommit, gitDirectory.Output.Trim()) { Upper = upper };
    }

    /// <summary>
    /// A worktree of the mirror of <paramref name="urlText"/> (cloned or fetched first, <see cref="MirrorCache"/>), at
    /// <paramref name="baseRef"/> of the remote: a branch or tag of it, or a commit by its full or abbreviated hash;
    /// by default the remote's HEAD. The attempts' own branches in the mirror are never a base.
    /// </summary>
    async Task<Workspace> CreateFromRemoteAsync(Guid taskId, int attempt, string urlText, string? baseRef, CancellationToken ct)
    {
        if (!RemoteUrl.TryParse(urlText, out var url, out var error))
            throw new WorkspaceException($"repository.url {error}");
        // Checked again here: the job may not come from a service that checked it (SubmitTask published straight to the broker).
        if (url.IsFile)
            AllowedRepository(url.Path);
        else if (!url.HostAllowed(_allowedHosts))
            throw new WorkspaceException($"repository.url host '{url.Host}' is not in Supervisor:Git:AllowedHosts of this worker ({string.Join(", ", _allowedHosts)})");
        var (id, path) = NewPath(taskId, attempt);
        await using var lease = await _mirrors.PrepareAsync(RemoteAccess.For(url, _git.For(url)), ct);
        var mirror = lease.Mirror;
        string[] candidates = baseRef switch
        {
            null or "" => ["refs/remotes/origin/HEAD"],
            _ when baseRef.StartsWith("refs/heads/", StringComparison.Ordinal) => ["refs/remotes/origin/" + baseRef["refs/heads/".Length..]],
            _ when baseRef.StartsWith("refs/tags/", StringComparison.Ordinal) => [baseRef],
            _ when CommitHash().IsMatch(baseRef) => ["refs/remotes/origin/" + baseRef, "refs/tags/" + baseRef, baseRef],
            _ => ["refs/remotes/origin/" + baseRef, "refs/tags/" + baseRef],
        };
        string? baseCommit = null, baseBranch = null;
        foreach (var candidate in candidates)
        {
            var resolved = await GitCli.RunAsync(mirror, ["rev-parse", "--verify", "--quiet", "--end-of-options", candidate + "^{commit}"], ct);
            if (resolved.Succeeded)
            {
                baseCommit = resolved.Output.Trim();
                baseBranch = candidate.StartsWith("refs/remotes/origin/", StringComparison.Ordinal) && candidate != "refs/remotes/origin/HEAD"
                    ? candidate["refs/remotes/origin/".Length..]
                    : null;
                break;
            }
        }

        if (baseCommit is null)
        {
            throw new WorkspaceException(baseRef is null or ""
                ? $"repository.url {url}: the remote has no default branch (HEAD); it may be empty. Give repository.baseRef"
                : $"repository.baseRef '{baseRef}' is no branch, tag or commit of {url}");
        }

        // A pull request goes into the branch the work started from; from a tag or a commit, into the remote's default branch.
        if (baseBranch is null)
        {
            var head = await GitCli.RunAsync(mirror, ["symbolic-ref", "--quiet", "--short", "refs/remotes/origin/HEAD"], ct);
            baseBranch = head.Succeeded && head.Output.Trim() is var name && name.StartsWith("origin/", StringComparison.Ordinal) ? name["origin/".Length..] : null;
        }

        var (branch, upper) = await AddWorktreeAsync(mirror, mirror, id, attempt, path, baseCommit, ct);
        var gitDirectory = await GitAsync(path, ["rev-parse", "--absolute-git-dir"], ct);
        LogCreated(path, url.Text, branch);
        return new Workspace(path, mirror, branch, baseCommit, gitDirectory.Output.Trim(), url) { BaseBranch = baseBranch, Upper = upper };
    }

    (string Id, string Path) NewPath(Guid taskId, int attempt)
    {
        var id = taskId.ToString("N");
        Directory.CreateDirectory(_root);
        return (id, Path.Combine(_root, string.Create(CultureInfo.InvariantCulture, $"{id}-{attempt}-{RandomNumberGenerator.GetString(RandomChars, 6)}")));
    }

    /// <summary>
    /// Adds the worktree at <paramref name="path"/> on the attempt's branch, reset to <paramref name="baseCommit"/>: an
    /// overlay where <see cref="WorkspaceLayers"/> are available, else a plain checkout. Returns the branch and the
    /// overlay's upper layer (null for a plain worktree).
    /// </summary>
    async Task<(string Branch, string? Upper)> AddWorktreeAsync(string repository, string lockKey, string id, int attempt, string path, string baseCommit, CancellationToken ct)
    {
        var branch = string.Create(CultureInfo.InvariantCulture, $"supervisor/{id}/{attempt}");
        using (await LockAsync(lockKey, ct))
        {
            // Entries of worktrees whose directories a dead worker never removed would block the add.
            await GitCli.RunAsync(repository, ["worktree", "prune"], ct);
            // A copy-on-write worktree is checked out by the overlay mounted over it, not by git.
            var overlay = _layers is { Available: true };

            // -B: a rerun of an attempt whose worker was lost reuses its number, and must start again from the base.
            string[] add = ["worktree", "add", "--quiet", .. overlay ? (string[])["--no-checkout"] : [], "-B", branch, path, baseCommit];
            var added = await GitCli.RunAsync(repository, add, ct);
            if (!added.Succeeded && IsBranchInUse(added.Error) && await RemoveWorktreeHoldingAsync(repository, branch, id, attempt, ct))
            {
                added = await GitCli.RunAsync(repository, add, ct);
            }

            if (!added.Succeeded)
            {
                throw new InvalidOperationException($"git worktree add of {branch} in {repository} failed: {added.Reason}");
            }

            if (overlay)
                return (branch, await _layers!.MountAsync(repository, lockKey, path, baseCommit, ct));
        }

        return (branch, null);
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
            workspace.Path, ct, overlay: workspace.Upper is not null);
        // A copy-on-write workspace's layer lists what the attempt changed: git looks at those paths, not at every file.
        var changed = workspace.Upper is { } upper ? WorkspaceLayers.ChangedPaths(upper) : null;
        if (changed is not { Count: 0 })
            (await git.AddAllAsync(changed, ct)).Checked(workspace.Path, "add");

        // Index against HEAD, not `git status`: status looks inside repositories nested in the workspace by running git
        // there, with their configuration. Exit 1 means staged changes.
        var staged = await git.RunAsync(["diff", "--cached", "--quiet", "--no-ext-diff", "--no-textconv"], ct);
        if (staged.ExitCode == 1)
        {
            // Identity comes from here, not from whoever configured the machine; WorkspaceGit has hooks, signing and
            // background maintenance (gc --auto in the middle of someone else's repository) off.
            string[] identity = ["-c", "user.name=Supervisor", "-c", "user.email=supervisor@localhost"];
            if (changed is null)
            {
                (await git.RunAsync([.. identity, "commit", "--quiet", "--no-verify", "-m", message], ct)).Checked(workspace.Path, "commit");
            }
            else
            {
                // What `commit` does without its refresh of the whole index (an lstat of every file through the overlay):
                // the index as a tree, a commit of it on HEAD, HEAD's branch moved from the parent it had.
                var parent = (await git.RunAsync(["rev-parse", "--verify", "HEAD"], ct)).Checked(workspace.Path, "rev-parse").Output.Trim();
                var tree = (await git.RunAsync(["write-tree"], ct)).Checked(workspace.Path, "write-tree").Output.Trim();
                var made = (await git.RunAsync([.. identity, "commit-tree", tree, "-p", parent, "-m", message], ct)).Checked(workspace.Path, "commit-tree").Output.Trim();
                (await git.RunAsync(["update-ref", "-m", "commit: " + message, "HEAD", made, parent], ct)).Checked(workspace.Path, "update-ref");
            }
        }
        else
        {
            staged.Checked(workspace.Path, "diff --cached");
        }

        // The agent may have committed by itself; its commits count as changes as much as ours.
        var head = (await git.RunAsync(["rev-parse", "--verify", "HEAD"], ct)).Checked(workspace.Path, "rev-parse").Output.Trim();
        if (head == workspace.BaseCommit)
        {
            return null;
        }

        var diffStat = (await git.RunAsync(["diff", "--stat", "--no-ext-diff", "--no-textconv", workspace.BaseCommit, head, "--"], ct))
            .Checked(workspace.Path, "diff --stat");
        LogCommitted(workspace.Branch, head);
        return new WorkspaceCommit(head, diffStat.Output.TrimEnd());
    }

    /// <summary>
    /// Pushes the attempt's commit to the workspace's remote: to the attempt's branch (forced: a rerun of a lost attempt
    /// reuses its number and starts again from the base), or to <paramref name="pushTo"/> (a fast-forward only). From the
    /// mirror, never from the workspace the agent had. A push that fails throws <see cref="RemoteGitException"/>; the
    /// commit stays in the mirror on the attempt's branch.
    /// </summary>
    public async Task<WorkspaceCommit> PushAsync(Workspace workspace, WorkspaceCommit commit, string? pushTo, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(workspace);
        ArgumentNullException.ThrowIfNull(commit);
        var url = workspace.Remote ?? throw new InvalidOperationException($"workspace {workspace.Path} has no remote");
        var host = _git.For(url);
        var target = pushTo is { Length: > 0 } ? pushTo : workspace.Branch!;
        var refspec = pushTo is { Length: > 0 } ? $"{commit.Commit}:refs/heads/{pushTo}" : $"+{commit.Commit}:refs/heads/{target}";
        var pushed = await GitCli.RunAsync(workspace.RepositoryPath!, RemoteAccess.For(url, host), ["push", "--quiet", "--no-verify", "origin", refspec], ct);
        if (!pushed.Succeeded)
        {
            throw new RemoteGitException(RemoteGitFailures.Classify(pushed.Error),
                $"git push of {commit.Commit[..12]} to {target} on {url} failed: {pushed.Reason}; the commit is kept on {workspace.Branch} in this worker's mirror");
        }

        LogPushed(commit.Commit, target, url.Text);
        _pushed[workspace.Path] = true;
        return commit with
        {
            Branch = target,
            Remote = url.Text,
            Link = ForgeLinks.Compare(url, ForgeLinks.KindOf(url, host.Forge), workspace.BaseCommit!, target),
        };
    }

    public async Task RemoveAsync(Workspace workspace)
    {
        ArgumentNullException.ThrowIfNull(workspace);
        try
        {
            var pushed = _pushed.TryRemove(workspace.Path, out _);
            if (workspace.RepositoryPath is { } repository)
            {
                var (lockKey, _) = await RepositoryKeyAsync(repository, CancellationToken.None);
                using (await LockAsync(lockKey ?? repository, CancellationToken.None))
                {
                    // Not `git worktree remove`: it reads the workspace's .git (the agent's by now) to validate it. The
                    // directory goes first (an overlay unmounted, its layer dropped); prune then drops the worktree's
                    // entry, whose directory is gone.
                    if (workspace.Upper is null || _layers?.Remove(workspace.Path) != true)
                        DirectoryRemover.Remove(workspace.Path);
                    var pruned = await GitCli.RunAsync(repository, ["worktree", "prune"], CancellationToken.None);
                    if (!pruned.Succeeded)
                    {
                        LogPruneFailed(repository, pruned.Reason);
                    }
                    else if (pushed && workspace.Branch is { } branch)
                    {
                        // On the remote now; an unpushed one stays, the only copy of its commit.
                        await GitCli.RunAsync(repository, ["branch", "--quiet", "-D", "--", branch], CancellationToken.None);
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
    /// this attempt (its folder named as <see cref="NewPath"/> names it, under any worker's root on this host), never
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
        _layers?.Evict(holder);
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
        (await GitCli.RunAsync(directory, arguments, ct)).Checked(directory, arguments[0]);

    /// <summary>A commit hash, whole or abbreviated: the one kind of bare base ref of a remote task that may name no branch or tag.</summary>
    [GeneratedRegex("^[0-9a-f]{7,64}$", RegexOptions.None, matchTimeoutMilliseconds: 1000)]
    private static partial Regex CommitHash();

    sealed class Releaser(SemaphoreSlim gate) : IDisposable
    {
        public void Dispose() => gate.Release();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Workspace {Path} created (repository {Repository}, branch {Branch})")]
    private partial void LogCreated(string path, string repository, string branch);

    [LoggerMessage(Level = LogLevel.Information, Message = "Committed the attempt's changes on {Branch} as {Commit}")]
    private partial void LogCommitted(string? branch, string commit);

    [LoggerMessage(Level = LogLevel.Information, Message = "Pushed {Commit} to {Branch} on {Url}")]
    private partial void LogPushed(string commit, string branch, string url);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Workspace {Path} removed")]
    private partial void LogRemoved(string path);

    [LoggerMessage(Level = LogLevel.Warning, Message = "git worktree prune in {Repository} failed ({Reason}); its entry for a removed workspace stays until the next prune")]
    private partial void LogPruneFailed(string repository, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Removing stale worktree {Path} that still holds branch {Branch}")]
    private partial void LogRemovingStale(string path, string branch);

    [LoggerMessage(Level = LogLevel.Error, Message = "Could not remove workspace {Path}")]
    private partial void LogRemoveFailed(Exception exception, string path);
}
