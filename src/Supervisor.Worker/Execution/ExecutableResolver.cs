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
