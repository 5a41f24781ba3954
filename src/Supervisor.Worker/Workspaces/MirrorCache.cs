using System.Security.Cryptography;
using Supervisor.Rules.Repositories;

namespace Supervisor.Worker.Workspaces;

/// <summary>
/// One bare mirror per remote repository URL on this host, under <c>&lt;WorkspaceRoot&gt;/.mirrors</c> (the worker's
/// alone, 0700), shared by every attempt and every worker process with that workspace root. The first attempt clones it;
/// each later one fetches what is new before its worktree is added. The remote's branches are kept as
/// <c>refs/remotes/origin/*</c>, apart from the attempts' own branches (<c>refs/heads/supervisor/…</c>), so a fetch never
/// touches a branch a worktree has checked out and an unpushed result stays in the mirror. A lock file per mirror
/// (<c>flock</c>, across processes) serialises the fetch, the worktree's add and the mirror's eviction; beyond
/// <c>Supervisor:Worker:Git:MirrorCacheMegabytes</c> the least recently used mirrors without a live worktree are removed.
/// </summary>
sealed partial class MirrorCache
{
    const string Folder = ".mirrors";

    readonly string _root;
    readonly long _maxBytes;
    readonly ILogger _logger;

    public MirrorCache(string workspaceRoot, long maxMegabytes, ILogger logger)
    {
        _root = Path.Combine(Path.GetFullPath(workspaceRoot), Folder);
        _maxBytes = maxMegabytes * 1024 * 1024;
        _logger = logger;
    }

    /// <summary>Where the mirror of <paramref name="url"/> is (whether or not it exists yet).</summary>
    public string PathOf(RemoteUrl url)
    {
        ArgumentNullException.ThrowIfNull(url);
        return Path.Combine(_root, url.CacheName());
    }

    /// <summary>
    /// Takes the mirror's lock, then clones it or fetches what is new; the caller adds its worktree and disposes the lease.
    /// A fetch that fails throws <see cref="RemoteGitException"/> with the failure's class.
    /// </summary>
    public async Task<MirrorLease> PrepareAsync(RemoteAccess remote, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(remote);
        // The worker's alone: another task's repository is not an agent's to read.
        if (OperatingSystem.IsWindows())
            Directory.CreateDirectory(_root);
        else
            Directory.CreateDirectory(_root, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var path = PathOf(remote.Url);
        var lease = await MirrorLease.TakeAsync(path, ct);
        try
        {
            var cloned = false;
            if (!File.Exists(Path.Combine(path, "HEAD")))
            {
                await CloneAsync(remote, path, ct);
                cloned = true;
            }
            else
            {
                Fail(await GitCli.RunAsync(path, remote, ["fetch", "--quiet", "--prune", "--no-write-fetch-head", "origin"], ct), remote, "fetch");
                LogFetched(remote.Url.Text, path);
            }

            lease.Touch();
            if (cloned)
                EvictBeyondBound(path);
            return lease;
        }
        catch
        {
            await lease.DisposeAsync();
            throw;
        }
    }

    /// <summary>A new bare repository beside the final path, renamed into place once its first fetch succeeded.</summary>
    async Task CloneAsync(RemoteAccess remote, string path, CancellationToken ct)
    {
        if (Directory.Exists(path))
            DirectoryRemover.Remove(path);
        var staging = $"{path}.new-{RandomNumberGenerator.GetHexString(6, lowercase: true)}";
        try
        {
            Directory.CreateDirectory(staging);
            (await GitCli.RunAsync(staging, ["init", "--quiet", "--bare"], ct)).Checked(staging, "init");
            foreach (var (key, value) in new[]
            {
                ("remote.origin.url", remote.Url.Text),
                ("remote.origin.fetch", "+refs/heads/*:refs/remotes/origin/*"),
                ("remote.origin.tagOpt", "--tags"),
                // the attempts' branches are the worker's; nothing in the background rewrites the shared store under them
                ("gc.auto", "0"),
                ("maintenance.auto", "false"),
            })
            {
                (await GitCli.RunAsync(staging, ["config", key, value], ct)).Checked(staging, "config");
            }

            Fail(await GitCli.RunAsync(staging, remote, ["fetch", "--quiet", "--no-write-fetch-head", "origin"], ct), remote, "clone");
            // origin/HEAD: the branch a task without a baseRef starts from. An empty remote has none, and nothing to start from.
            Fail(await GitCli.RunAsync(staging, remote, ["remote", "set-head", "origin", "--auto"], ct), remote, "clone");
            Directory.Move(staging, path);
            LogCloned(remote.Url.Text, path);
        }
        finally
        {
            if (Directory.Exists(staging))
                DirectoryRemover.Remove(staging);
        }
    }

    /// <summary>
    /// Removes the least recently used mirrors (not <paramref name="keep"/>, none with a live worktree, none whose lock
    /// another process holds) until the cache is within its bound.
    /// </summary>
    void EvictBeyondBound(string keep)
    {
        var mirrors = Directory.EnumerateDirectories(_root, "*.git")
            .Select(m => (Path: m, Bytes: SizeOf(m), LastUsed: File.GetLastWriteTimeUtc(m + ".lock")))
            .ToList();
        var total = mirrors.Sum(m => m.Bytes);
        foreach (var mirror in mirrors.Where(m => m.Path != keep).OrderBy(m => m.LastUsed))
        {
            if (total <= _maxBytes)
                break;
            if (Directory.Exists(Path.Combine(mirror.Path, "worktrees")) && Directory.EnumerateFileSystemEntries(Path.Combine(mirror.Path, "worktrees")).Any())
                continue;
            using var held = MirrorLease.TryTake(mirror.Path);
            if (held is null)
                continue;
            DirectoryRemover.Remove(mirror.Path);
            total -= mirror.Bytes;
            LogEvicted(mirror.Path, mirror.Bytes / (1024 * 1024), _maxBytes / (1024 * 1024));
        }
    }

    static long SizeOf(string directory) =>
        new DirectoryInfo(directory).EnumerateFiles("*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = FileAttributes.ReparsePoint })
            .Sum(f => f.Length);

    static void Fail(GitResult result, RemoteAccess remote, string what)
    {
        if (!result.Succeeded)
            throw new RemoteGitException(RemoteGitFailures.Classify(result.Error), $"git {what} of {remote.Url.Text} failed: {result.Reason}");
    }


    [LoggerMessage(LogLevel.Information, "Mirror of {Url} cloned into {Path}")]
    partial void LogCloned(string url, string path);

    [LoggerMessage(LogLevel.Information, "Mirror of {Url} fetched ({Path})")]
    partial void LogFetched(string url, string path);

    [LoggerMessage(LogLevel.Information, "Mirror {Path} ({Megabytes} MB) removed: the cache was over its {Bound} MB (Supervisor:Worker:Git:MirrorCacheMegabytes)")]
    partial void LogEvicted(string path, long megabytes, long bound);
}

/// <summary>
/// The exclusive lock on one mirror (<c>&lt;mirror&gt;.lock</c>, <c>flock</c> through .NET's <see cref="FileShare.None"/>),
/// across worker processes; its file's time is when the mirror was last used.
/// </summary>
sealed class MirrorLease : IAsyncDisposable, IDisposable
{
    readonly FileStream _lock;

    MirrorLease(string mirror, FileStream held)
    {
        Mirror = mirror;
        _lock = held;
    }

    public string Mirror { get; }

    public static async Task<MirrorLease> TakeAsync(string mirror, CancellationToken ct)
    {
        for (var wait = 20; ; wait = Math.Min(wait * 2, 500))
        {
            if (TryTake(mirror) is { } lease)
                return lease;
            await Task.Delay(wait, ct);
        }
    }

    /// <summary>The lock when no one else holds it; null when someone does.</summary>
    public static MirrorLease? TryTake(string mirror)
    {
        try
        {
            return new MirrorLease(mirror, new FileStream(mirror + ".lock", FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None));
        }
        catch (IOException) when (File.Exists(mirror + ".lock"))
        {
            return null;
        }
    }

    public void Touch() => File.SetLastWriteTimeUtc(Mirror + ".lock", DateTime.UtcNow);

    public void Dispose() => _lock.Dispose();

    public ValueTask DisposeAsync() => _lock.DisposeAsync();
}

/// <summary>A fetch or push that failed, with its class (<see cref="RemoteGitFailures"/>).</summary>
public sealed class RemoteGitException(string errorClass, string message) : Exception(message)
{
    public string ErrorClass { get; } = errorClass;
}
