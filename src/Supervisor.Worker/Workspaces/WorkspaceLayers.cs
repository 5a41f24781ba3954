using System.Collections.Concurrent;
using System.ComponentModel;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;

namespace Supervisor.Worker.Workspaces;

/// <summary>
/// Copy-on-write workspaces: an attempt's worktree is an overlay mount whose lower layer is a read-only checkout of the
/// base commit, made once per commit and shared by every attempt from it, and whose upper layer is the attempt's own,
/// empty at first. Preparing one costs a <c>git worktree add --no-checkout</c>, a copy of the checkout's index and a mount,
/// whatever the repository's size; its disk is what the agent writes. Removing it drops the upper layer, so nothing an
/// attempt wrote survives it.
/// </summary>
/// <remarks>
/// <para>The checkout's files are mode 0666 (0777 when executable) and its folders 0777, so that an attempt's own user
/// (<c>AgentUsers</c>), whoever it is, may change them in its workspace: the kernel copies a file up to the attempt's layer
/// before the first write. The checkouts themselves lie under a folder only root may enter, so no agent reaches them but
/// through its overlay. The index was written with the checkout and is read with <c>core.checkStat=minimal</c> and
/// <c>core.trustCtime=false</c> (size and mtime, which the overlay keeps), so git sees only what the attempt changed.</para>
/// <para>Mounting needs root (CAP_SYS_ADMIN) and overlayfs; a worker without them (an unprivileged container, say), or
/// with <c>Supervisor:Worker:CopyOnWrite</c> false, makes plain worktrees, as before. The mounts of a worker that died are
/// detached when a worker with the same root and id starts.</para>
/// </remarks>
public sealed partial class WorkspaceLayers
{
    /// <summary>Checkouts kept per repository beyond those in use: the least recently used of the rest are removed.</summary>
    const int KeptPerRepository = 2;

    const ulong NoSuid = 2, NoDev = 4;
    const int Detach = 2;

    readonly string _folder;
    readonly bool _wanted;
    readonly ILogger _logger;
    readonly Lock _gate = new();
    readonly Dictionary<string, Lower> _lowers = new(StringComparer.Ordinal);
    readonly ConcurrentDictionary<string, Lower> _inUseBy = new(StringComparer.Ordinal);
    string? _unavailableBecause;
    bool _probed;

    /// <summary>Layers under <c>&lt;root&gt;/.layers/&lt;worker&gt;</c>, when <paramref name="wanted"/> and the machine allows.</summary>
    public WorkspaceLayers(string root, string worker, bool wanted, ILogger logger)
    {
        _folder = Path.Combine(Path.GetFullPath(root), ".layers", Safe(worker));
        _wanted = wanted && OperatingSystem.IsLinux();
        _logger = logger;
    }

    /// <summary>A read-only checkout of one commit of one repository, with its index.</summary>
    sealed class Lower(string key, string folder)
    {
        public string Key { get; } = key;
        public string Tree { get; } = Path.Combine(folder, "tree");
        public string Index { get; } = Path.Combine(folder, "index");
        public string Folder { get; } = folder;
        public int Users { get; set; }
        public long LastUsed { get; set; }
    }

    /// <summary>Whether workspaces are overlays here; the first call tries a mount, once.</summary>
    public bool Available
    {
        get
        {
            lock (_gate)
            {
                if (!_probed)
                {
                    _probed = true;
                    _unavailableBecause = !_wanted || !OperatingSystem.IsLinux() ? "turned off (Supervisor:Worker:CopyOnWrite)" : Probe();
                    if (_unavailableBecause is null)
                        LogOn(_folder);
                    else
                        LogOff(_unavailableBecause);
                }

                return _unavailableBecause is null;
            }
        }
    }

    /// <summary>
    /// Detaches the overlays a dead worker of the same id left mounted (those whose upper layer is under this worker's
    /// folder), and removes its layers and checkouts: they are a cache, made again by the first attempt that needs one.
    /// </summary>
    public void RemoveStale()
    {
        if (!_wanted || !Directory.Exists(_folder))
            return;
        foreach (var (mountPoint, line) in MountsUnder(Path.GetDirectoryName(Path.GetDirectoryName(_folder)!)!))
        {
            if (line.Contains("upperdir=" + _folder + "/", StringComparison.Ordinal))
                _ = umount2(mountPoint, Detach);
        }

        DirectoryRemover.Remove(_folder);
    }

    /// <summary>
    /// Makes the worktree just added at <paramref name="path"/> (<c>--no-checkout</c>) of <paramref name="repository"/> at
    /// <paramref name="commit"/> the attempt's copy-on-write workspace: the commit's shared checkout below, its index in
    /// the worktree's git directory, the <c>.git</c> file in the attempt's fresh layer, the overlay mounted. The caller
    /// holds the repository's lock. Returns the attempt's upper layer.
    /// </summary>
    public async Task<string> MountAsync(string repository, string lockKey, string path, string commit, CancellationToken ct)
    {
        var lower = await LowerAsync(repository, lockKey, commit, ct);
        var attempt = Path.Combine(_folder, "attempts", Path.GetFileName(path));
        var upper = Path.Combine(attempt, "upper");
        try
        {
            var gitFile = Path.Combine(path, ".git");
            var gitDirectory = (await File.ReadAllTextAsync(gitFile, ct)).Trim() is var line && line.StartsWith("gitdir: ", StringComparison.Ordinal)
                ? line["gitdir: ".Length..]
                : throw new InvalidOperationException($"git worktree add wrote no gitdir line in {gitFile}");
            File.Copy(lower.Index, Path.Combine(gitDirectory, "index"), overwrite: true);
            Directory.CreateDirectory(upper);
            Directory.CreateDirectory(Path.Combine(attempt, "work"));
            File.Move(gitFile, Path.Combine(upper, ".git"));
            // redirect_dir: a folder of the checkout renamed (git mv) is recorded, not refused as a move across devices.
            var options = $"lowerdir={lower.Tree},upperdir={upper},workdir={Path.Combine(attempt, "work")},redirect_dir=on";
            if (mount("overlay", path, "overlay", NoSuid | NoDev, options) != 0)
                throw new IOException($"cannot mount the workspace's overlay on {path}: {new Win32Exception(Marshal.GetLastPInvokeError()).Message}");
            _inUseBy[path] = lower;
            return upper;
        }
        catch
        {
            _ = umount2(path, Detach);
            Release(lower);
            DirectoryRemover.Remove(attempt);
            DirectoryRemover.Remove(path);
            throw;
        }
    }

    /// <summary>Unmounts the workspace at <paramref name="path"/> and drops its layer; false when it is no overlay of ours.</summary>
    public bool Remove(string path)
    {
        if (!_inUseBy.TryRemove(path, out var lower))
            return false;
        try
        {
            // Detached: an agent's leftover still holding a file open must not keep the layer.
            if (umount2(path, Detach) != 0)
                LogUnmountFailed(path, new Win32Exception(Marshal.GetLastPInvokeError()).Message);
            DirectoryRemover.Remove(Path.Combine(_folder, "attempts", Path.GetFileName(path)));
            DirectoryRemover.Remove(path);
        }
        finally
        {
            Release(lower);
        }

        return true;
    }

    /// <summary>
    /// The paths (relative, '/'-separated) an attempt changed, read from its overlay's upper layer: every file, link and
    /// deletion (whiteout) in it, and whole the folders the overlay marks as replaced (opaque) or renamed (redirect), whose
    /// contents below differ from the checkout's without a trace of each file. The worktree's own <c>.git</c> file is not
    /// one.
    /// </summary>
    public static IReadOnlyList<string> ChangedPaths(string upper)
    {
        var changed = new List<string>();
        var pending = new Stack<DirectoryInfo>();
        pending.Push(new DirectoryInfo(upper));
        var options = new EnumerationOptions { RecurseSubdirectories = false, AttributesToSkip = FileAttributes.None, IgnoreInaccessible = false };
        while (pending.TryPop(out var directory))
        {
            foreach (var entry in directory.EnumerateFileSystemInfos("*", options))
            {
                var relative = Path.GetRelativePath(upper, entry.FullName).Replace('\\', '/');
                if (relative == ".git")
                    continue;
                if (entry is DirectoryInfo folder && entry.LinkTarget is null && !HasXattr(entry.FullName, "trusted.overlay.opaque") && !HasXattr(entry.FullName, "trusted.overlay.redirect"))
                    pending.Push(folder);
                else
                    changed.Add(relative);
            }
        }

        return changed;
    }

    static bool HasXattr(string path, string name) => lgetxattr(path, name, IntPtr.Zero, 0) >= 0;

    /// <summary>
    /// Takes the overlay off a stale workspace at <paramref name="path"/> (a lost attempt's) before its folder is removed:
    /// dropped whole if this worker made it, else detached if mounted.
    /// </summary>
    public void Evict(string path)
    {
        if (Remove(path) || !_wanted || !OperatingSystem.IsLinux())
            return;
        if (MountsUnder(Path.GetDirectoryName(path)!).Any(m => m.Point == path))
            _ = umount2(path, Detach);
    }

    async Task<Lower> LowerAsync(string repository, string lockKey, string commit, CancellationToken ct)
    {
        var folder = Path.Combine(_folder, Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(lockKey)))[..16], commit);
        var key = folder;
        lock (_gate)
        {
            if (_lowers.TryGetValue(key, out var known))
            {
                known.Users++;
                known.LastUsed = Environment.TickCount64;
                return known;
            }
        }

        var lower = new Lower(key, folder);
        if (!File.Exists(lower.Index))
        {
            // Made aside, then renamed into place: a half-made checkout is never used.
            var partial = Path.Combine(Path.GetDirectoryName(folder)!, ".new-" + commit);
            DirectoryRemover.Remove(partial);
            var tree = Directory.CreateDirectory(Path.Combine(partial, "tree")).FullName;
            var index = Path.Combine(partial, "index");
            (await GitCli.RunWithIndexAsync(repository, index, ["read-tree", commit], ct)).Checked(repository, "read-tree");
            (await GitCli.RunWithIndexAsync(repository, index, ["--work-tree=" + tree, "checkout-index", "--all", "--force"], ct)).Checked(repository, "checkout-index");
            if (OperatingSystem.IsLinux())
                OpenToEveryone(new DirectoryInfo(tree));
            DirectoryRemover.Remove(folder);
            Directory.Move(partial, folder);
            LogLowerMade(commit, repository);
        }

        lock (_gate)
        {
            lower = _lowers.TryGetValue(key, out var raced) ? raced : _lowers[key] = lower;
            lower.Users++;
            lower.LastUsed = Environment.TickCount64;
        }

        return lower;
    }

    void Release(Lower lower)
    {
        List<Lower> evicted;
        var doomedFolders = new List<string>();
        lock (_gate)
        {
            lower.Users--;
            var prefix = Path.GetDirectoryName(lower.Folder)!;
            evicted = [.. _lowers.Values
                .Where(l => l.Users == 0 && Path.GetDirectoryName(l.Folder) == prefix)
                .OrderByDescending(l => l.LastUsed)
                .Skip(KeptPerRepository)];
            foreach (var old in evicted)
            {
                _lowers.Remove(old.Key);
                // Out of the way at once, under the lock: an attempt that wants the same commit next makes it afresh
                // rather than finding it half deleted.
                var doomed = Path.Combine(Path.GetDirectoryName(old.Folder)!, ".old-" + Guid.NewGuid().ToString("N"));
                Directory.Move(old.Folder, doomed);
                doomedFolders.Add(doomed);
            }
        }

        foreach (var doomed in doomedFolders)
            DirectoryRemover.Remove(doomed);
    }

    /// <summary>Files 0666 (0777 when executable) and folders 0777: an attempt's user, any, may change them through its overlay.</summary>
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    static void OpenToEveryone(DirectoryInfo directory)
    {
        const UnixFileMode all = (UnixFileMode)0b111_111_111, readWrite = (UnixFileMode)0b110_110_110;
        directory.UnixFileMode = all;
        foreach (var entry in directory.EnumerateFileSystemInfos())
        {
            if (entry.LinkTarget is not null)
                continue;
            if (entry is DirectoryInfo child)
                OpenToEveryone(child);
            else
                entry.UnixFileMode = (entry.UnixFileMode & UnixFileMode.UserExecute) != UnixFileMode.None ? all : readWrite;
        }
    }

    /// <summary>Why overlays cannot be mounted here, or null when a trial mount worked.</summary>
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    string? Probe()
    {
        if (Execution.NativeMethods.EffectiveUserId() != 0)
            return "the worker is not root";
        if (_folder.IndexOfAny([',', ':', '\\']) >= 0)
            return $"the workspace root's path holds a character overlayfs options cannot carry ({_folder})";
        var probe = Path.Combine(_folder, "probe-" + Environment.ProcessId.ToString(CultureInfo.InvariantCulture));
        try
        {
            Directory.CreateDirectory(_folder).UnixFileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
            // The folder above, .layers, is the worker's alone too: the checkouts are open to everyone inside it.
            new DirectoryInfo(Path.GetDirectoryName(_folder)!).UnixFileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
            foreach (var part in new[] { "lower", "upper", "work", "merged" })
                Directory.CreateDirectory(Path.Combine(probe, part));
            var merged = Path.Combine(probe, "merged");
            var options = $"lowerdir={Path.Combine(probe, "lower")},upperdir={Path.Combine(probe, "upper")},workdir={Path.Combine(probe, "work")},redirect_dir=on";
            if (mount("overlay", merged, "overlay", NoSuid | NoDev, options) != 0)
                return $"an overlay mount failed: {new Win32Exception(Marshal.GetLastPInvokeError()).Message}";
            _ = umount2(merged, Detach);
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or DllNotFoundException or EntryPointNotFoundException)
        {
            return e.Message;
        }
        finally
        {
            try
            {
                DirectoryRemover.Remove(probe);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // A probe folder left behind is removed with the stale layers at the next start.
            }
        }
    }

    /// <summary>The mounts under <paramref name="root"/>: each mount point, and its whole line of /proc/self/mountinfo (octal escapes undone).</summary>
    static IEnumerable<(string Point, string Line)> MountsUnder(string root)
    {
        var prefix = Path.TrimEndingDirectorySeparator(root) + "/";
        foreach (var line in File.ReadLines("/proc/self/mountinfo"))
        {
            var fields = line.Split(' ');
            if (fields.Length > 4 && Unescape(fields[4]) is var point && point.StartsWith(prefix, StringComparison.Ordinal))
                yield return (point, Unescape(line));
        }
    }

    static string Unescape(string field)
    {
        var text = new StringBuilder();
        for (var i = 0; i < field.Length; i++)
        {
            if (field[i] == '\\' && i + 3 < field.Length)
            {
                text.Append((char)Convert.ToInt32(field.Substring(i + 1, 3), 8));
                i += 3;
            }
            else
            {
                text.Append(field[i]);
            }
        }

        return text.ToString();
    }

    static string Safe(string name) => string.Concat(name.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '_'));

    [DllImport("libc", SetLastError = true)]
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Globalization", "CA2101", Justification = "The strings are marshalled as UTF-8 by their MarshalAs, which CA2101 does not recognise.")]
    static extern int mount([MarshalAs(UnmanagedType.LPUTF8Str)] string source, [MarshalAs(UnmanagedType.LPUTF8Str)] string target,
        [MarshalAs(UnmanagedType.LPUTF8Str)] string type, ulong flags, [MarshalAs(UnmanagedType.LPUTF8Str)] string data);

    [DllImport("libc", SetLastError = true)]
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Globalization", "CA2101", Justification = "The strings are marshalled as UTF-8 by their MarshalAs, which CA2101 does not recognise.")]
    static extern nint lgetxattr([MarshalAs(UnmanagedType.LPUTF8Str)] string path, [MarshalAs(UnmanagedType.LPUTF8Str)] string name, IntPtr value, nuint size);

    [DllImport("libc", SetLastError = true)]
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Globalization", "CA2101", Justification = "The string is marshalled as UTF-8 by its MarshalAs, which CA2101 does not recognise.")]
    static extern int umount2([MarshalAs(UnmanagedType.LPUTF8Str)] string target, int flags);

    [LoggerMessage(Level = LogLevel.Information, Message = "Workspaces are copy-on-write overlays over shared checkouts in {Folder}")]
    private partial void LogOn(string folder);

    [LoggerMessage(Level = LogLevel.Information, Message = "Workspaces are plain worktrees: copy-on-write overlays are off here ({Reason})")]
    private partial void LogOff(string reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Checked out {Commit} of {Repository} as a shared lower layer")]
    private partial void LogLowerMade(string commit, string repository);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not unmount the workspace overlay on {Path}: {Reason}")]
    private partial void LogUnmountFailed(string path, string reason);
}
