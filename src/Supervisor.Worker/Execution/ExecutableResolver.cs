namespace Supervisor.Worker.Execution;

/// <summary>
/// Finds the program the way execvp would, but against the child's configured PATH rather than the worker's:
/// the child's environment is cleared, so the worker's own PATH says nothing about what the agent can run,
/// and resolving up front turns "not found" into a clear message instead of an exit code from a launcher.
/// </summary>
static class ExecutableResolver
{
    const UnixFileMode AnyExecute = UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;

    public static bool TryResolve(
        string fileName,
        string workingDirectory,
        IReadOnlyDictionary<string, string> environment,
        out string path,
        out string error)
    {
        path = "";
        if (string.IsNullOrWhiteSpace(fileName))
        {
            error = "no command given";
            return false;
        }

        if (fileName.Contains('/', StringComparison.Ordinal))
        {
            // Like a shell, a relative path with a slash is relative to where the program will run.
            var candidate = Path.GetFullPath(fileName, workingDirectory);
            if (IsExecutableFile(candidate, out var reason))
            {
                path = candidate;
                error = "";
                return true;
            }

            error = $"cannot start '{fileName}': {reason}";
            return false;
        }

        if (!environment.TryGetValue("PATH", out var searchPath) || string.IsNullOrWhiteSpace(searchPath))
        {
            error = $"command '{fileName}' not found: the configured environment has no PATH";
            return false;
        }

        string? firstReason = null;
        foreach (var directory in searchPath.Split(Path.PathSeparator))
        {
            // An empty PATH entry means the current directory, which for the child is its working directory.
            var candidate = Path.GetFullPath(fileName, directory.Length == 0 ? workingDirectory : Path.GetFullPath(directory, workingDirectory));
            if (IsExecutableFile(candidate, out var reason))
            {
                path = candidate;
                error = "";
                return true;
            }

            if (File.Exists(candidate))
            {
                firstReason ??= $"'{candidate}' {reason}";
            }
        }

        error = firstReason is null
            ? $"command '{fileName}' not found in PATH ({searchPath})"
            : $"command '{fileName}' cannot be run: {firstReason}";
        return false;
    }

    /// <summary>
    /// Why user <paramref name="uid"/> (group the same, no other groups) cannot run <paramref name="path"/>: the first
    /// directory on the way to it (or to the file a link leads to) that it may not search, or the file itself not executable
    /// by it; null when it can. The worker runs as root and sees everything: a CLI installed under a private directory
    /// (a clone in <c>/root</c>, <c>mktemp -d</c>) would otherwise fail inside the agent with a bare "permission denied".
    /// </summary>
    public static string? WhyNotExecutableBy(string fileName, string path, int uid)
    {
        foreach (var target in new[] { path, Path.GetFullPath(File.ResolveLinkTarget(path, returnFinalTarget: true)?.FullName ?? path) }.Distinct(StringComparer.Ordinal))
        {
            for (var directory = Path.GetDirectoryName(target); directory is not null; directory = Path.GetDirectoryName(directory))
            {
                if (!Allows(directory, uid, UnixFileMode.UserExecute, UnixFileMode.GroupExecute, UnixFileMode.OtherExecute))
                    return $"cannot start '{fileName}' as agent user {uid}: directory '{directory}' on the way to {target} is not searchable by it (it needs o+x)";
            }

            if (!Allows(target, uid, UnixFileMode.UserExecute, UnixFileMode.GroupExecute, UnixFileMode.OtherExecute))
                return $"cannot start '{fileName}' as agent user {uid}: '{target}' is not executable by it (it needs o+x)";
        }

        return null;
    }

    /// <summary>Whether <paramref name="uid"/> (its gid the same) has the permission: the owner's bit if it owns the file, else the group's or others'.</summary>
    internal static bool Allows(string path, int uid, UnixFileMode user, UnixFileMode group, UnixFileMode other)
    {
        if (OperatingSystem.IsWindows() || Ownership.Of(path) is not { } owner)
            return true;
        var mode = File.GetUnixFileMode(path);
        return owner.Uid == uid ? (mode & user) != UnixFileMode.None : owner.Gid == uid ? (mode & group) != UnixFileMode.None : (mode & other) != UnixFileMode.None;
    }

    static bool IsExecutableFile(string candidate, out string reason)
    {
        if (Directory.Exists(candidate))
        {
            reason = "is a directory";
            return false;
        }

        if (!File.Exists(candidate))
        {
            reason = "no such file";
            return false;
        }

        if (!OperatingSystem.IsWindows() && (File.GetUnixFileMode(candidate) & AnyExecute) == UnixFileMode.None)
        {
            reason = "is not executable";
            return false;
        }

        reason = "";
        return true;
    }
}
