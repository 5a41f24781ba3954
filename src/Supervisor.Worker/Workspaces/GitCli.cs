using System.Collections;
using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using Supervisor.Worker.Execution;

namespace Supervisor.Worker.Workspaces;

sealed record GitResult(int ExitCode, string Output, string Error)
{
    public bool Succeeded => ExitCode == 0;

    /// <summary>Git's stderr, or its stdout when stderr is empty, as one line for messages.</summary>
    public string Reason => (Error.Trim().Length > 0 ? Error : Output).Trim().ReplaceLineEndings(" ");
}

/// <summary>
/// Runs git as a plain program: argument lists, no prompts, English messages, and a retry when another process
/// holds one of the repository's lock files (workers in other processes add and remove worktrees of the same repository).
/// </summary>
static class GitCli
{
    const int LockAttempts = 6;
    static readonly TimeSpan CommandTimeout = TimeSpan.FromMinutes(5);
    static readonly ProcessRunner Runner = new(NullLogger<ProcessRunner>.Instance);
    static readonly IReadOnlyDictionary<string, string> Environment = BuildEnvironment();

    public static async Task<GitResult> RunAsync(string directory, IEnumerable<string> arguments, CancellationToken cancellationToken)
    {
        string[] argumentList = ["-C", directory, .. arguments];
        for (var attempt = 1; ; attempt++)
        {
            var result = await RunOnceAsync(directory, argumentList, cancellationToken);
            if (result.Succeeded || attempt == LockAttempts || !IsLockContention(result.Error))
            {
                return result;
            }

            await Task.Delay(TimeSpan.FromMilliseconds((50 * attempt) + Random.Shared.Next(50)), cancellationToken);
        }
    }

    static async Task<GitResult> RunOnceAsync(string directory, string[] arguments, CancellationToken cancellationToken)
    {
        var output = new StringBuilder();
        var error = new StringBuilder();

        // The working directory only has to exist; -C names the repository (the workspace may be gone on removal).
        var workingDirectory = Directory.Exists(directory) ? directory : Path.GetTempPath();
        var spec = new ProcessSpec("git", arguments, workingDirectory, Environment, CommandTimeout);
        var outcome = await Runner.RunAsync(
            spec,
            (stream, text) =>
            {
                (stream == "stdout" ? output : error).Append(text);
                return ValueTask.CompletedTask;
            },
            cancellationToken);

        if (outcome.Cancelled)
        {
            throw new OperationCanceledException(cancellationToken);
        }

        if (outcome.StartError is { } startError)
        {
            return new GitResult(-1, "", startError);
        }

        if (outcome.TimedOut)
        {
            return new GitResult(-1, output.ToString(), $"git {string.Join(' ', arguments)} timed out after {CommandTimeout}");
        }

        return new GitResult(outcome.ExitCode ?? -1, output.ToString(), error.ToString());
    }

    static bool IsLockContention(string error) =>
        error.Contains(".lock", StringComparison.Ordinal)
        || error.Contains("could not lock", StringComparison.OrdinalIgnoreCase)
        || error.Contains("cannot lock", StringComparison.OrdinalIgnoreCase)
        || error.Contains("unable to lock", StringComparison.OrdinalIgnoreCase);

    static Dictionary<string, string> BuildEnvironment()
    {
        var environment = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (DictionaryEntry entry in System.Environment.GetEnvironmentVariables())
        {
            var name = (string)entry.Key;

            // Variables that point git at another repository (set when the worker itself runs inside a git hook,
            // for example) would make every command act on the wrong repository.
            if (name is "GIT_DIR" or "GIT_WORK_TREE" or "GIT_INDEX_FILE" or "GIT_COMMON_DIR" or "GIT_OBJECT_DIRECTORY"
                or "GIT_ALTERNATE_OBJECT_DIRECTORIES" or "GIT_NAMESPACE" or "GIT_PREFIX")
            {
                continue;
            }

            environment[name] = (string?)entry.Value ?? "";
        }

        environment.TryAdd("PATH", "/usr/local/bin:/usr/bin:/bin");
        environment["GIT_TERMINAL_PROMPT"] = "0";

        // Lock contention is recognised by git's English messages.
        environment["LC_ALL"] = "C";

        // `git status` would otherwise take the index lock to refresh stat data, contending with nothing useful.
        environment["GIT_OPTIONAL_LOCKS"] = "0";
        return environment;
    }
}
