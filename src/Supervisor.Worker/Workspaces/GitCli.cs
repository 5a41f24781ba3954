using System.ComponentModel;
using System.Text;
using CliWrap;

namespace Supervisor.Worker.Workspaces;

sealed record GitResult(int ExitCode, string Output, string Error)
{
    public bool Succeeded => ExitCode == 0;

    /// <summary>Git's stderr, or its stdout when stderr is empty, as one line for messages.</summary>
    public string Reason => (Error.Trim().Length > 0 ? Error : Output).Trim().ReplaceLineEndings(" ");

    /// <summary>This result when git succeeded; otherwise an exception naming the subcommand, the directory and git's reason.</summary>
    public GitResult Checked(string directory, string subcommand) =>
        Succeeded ? this : throw new InvalidOperationException($"git {subcommand} in {directory} failed: {Reason}");
}

/// <summary>
/// Runs git as a plain program: argument lists, no prompts, English messages, and a retry when another process
/// holds one of the repository's lock files (workers in other processes add and remove worktrees of the same repository).
/// Every command runs without hooks and without fsmonitor: an agent of an earlier attempt may have planted either in the
/// repository, and git would run them here, as the worker. Commands on an attempt's workspace go through
/// <see cref="WorkspaceGit"/>, which shuts out the rest of what the agent could plant.
/// </summary>
static class GitCli
{
    const int LockAttempts = 6;
    static readonly TimeSpan CommandTimeout = TimeSpan.FromMinutes(5);
    static readonly IReadOnlyDictionary<string, string?> Environment = BuildEnvironment();

    /// <summary>Configuration every command gets: the command line outranks every config file.</summary>
    static readonly string[] Guards = ["-c", "core.hooksPath=/dev/null", "-c", "core.fsmonitor=false"];

    /// <summary>As <see cref="RunAsync(string, IEnumerable{string}, CancellationToken)"/>, with the index at <paramref name="indexFile"/> (a checkout outside any worktree).</summary>
    public static Task<GitResult> RunWithIndexAsync(string directory, string indexFile, IEnumerable<string> arguments, CancellationToken cancellationToken) =>
        RunAsync(directory, ["-C", directory, .. Guards, .. arguments],
            new Dictionary<string, string?>(Environment, StringComparer.Ordinal) { ["GIT_INDEX_FILE"] = indexFile }, cancellationToken);

    /// <summary>Runs git on the repository at <paramref name="directory"/> (found from there, as git finds it).</summary>
    public static Task<GitResult> RunAsync(string directory, IEnumerable<string> arguments, CancellationToken cancellationToken) =>
        RunAsync(directory, ["-C", directory, .. Guards, .. arguments], Environment, cancellationToken);

    /// <summary>Runs git on the repository at <paramref name="directory"/> with what <paramref name="remote"/> needs to reach its URL.</summary>
    public static Task<GitResult> RunAsync(string directory, RemoteAccess remote, IEnumerable<string> arguments, CancellationToken cancellationToken) =>
        RunAsync(directory, ["-C", directory, .. Guards, .. remote.Options, .. arguments], remote.Environment, cancellationToken);

    /// <summary>
    /// Runs git with exactly <paramref name="arguments"/> (no <c>-C</c>, no guards added) in <paramref name="directory"/>, with
    /// the worker's environment changed by <paramref name="environment"/>: for <see cref="WorkspaceGit"/>.
    /// </summary>
    public static async Task<GitResult> RunAsync(
        string directory, string[] arguments, IReadOnlyDictionary<string, string?> environment, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            var result = await RunOnceAsync(directory, arguments, environment, cancellationToken);
            if (result.Succeeded || attempt == LockAttempts || !IsLockContention(result.Error))
            {
                return result;
            }

            await Task.Delay(TimeSpan.FromMilliseconds((50 * attempt) + Random.Shared.Next(50)), cancellationToken);
        }
    }

    static async Task<GitResult> RunOnceAsync(
        string directory, string[] arguments, IReadOnlyDictionary<string, string?> environment, CancellationToken cancellationToken)
    {
        var output = new StringBuilder();
        var error = new StringBuilder();
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(CommandTimeout);
        try
        {
            // The working directory only has to exist; -C names the repository (the workspace may be gone on removal).
            // On timeout or cancellation CliWrap kills git with its whole tree (Process.Kill(true)).
            var result = await Cli.Wrap("git")
                .WithArguments(arguments)
                .WithWorkingDirectory(Directory.Exists(directory) ? directory : Path.GetTempPath())
                .WithEnvironmentVariables(environment)
                .WithStandardOutputPipe(PipeTarget.ToStringBuilder(output))
                .WithStandardErrorPipe(PipeTarget.ToStringBuilder(error))
                .WithValidation(CommandResultValidation.None)
                .ExecuteAsync(limit.Token);
            return new GitResult(result.ExitCode, output.ToString(), error.ToString());
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return new GitResult(-1, output.ToString(), $"git {string.Join(' ', arguments)} timed out after {CommandTimeout}");
        }
        catch (Win32Exception e)
        {
            return new GitResult(-1, "", $"cannot start 'git': {e.InnerException?.Message ?? e.Message}");
        }
    }

    static bool IsLockContention(string error) =>
        error.Contains(".lock", StringComparison.Ordinal)
        || error.Contains("could not lock", StringComparison.OrdinalIgnoreCase)
        || error.Contains("cannot lock", StringComparison.OrdinalIgnoreCase)
        || error.Contains("unable to lock", StringComparison.OrdinalIgnoreCase);

    /// <summary>The environment changes every git command gets; <see cref="WorkspaceGit"/> starts from them and adds its own.</summary>
    public static IReadOnlyDictionary<string, string?> BaseEnvironment => Environment;

    /// <summary>What changes in the worker's environment for git: CliWrap passes everything else on as it is.</summary>
    static Dictionary<string, string?> BuildEnvironment()
    {
        var environment = new Dictionary<string, string?>(StringComparer.Ordinal)
        {
            // Variables that point git at another repository (set when the worker itself runs inside a git hook,
            // for example) would make every command act on the wrong repository; null removes them.
            ["GIT_DIR"] = null,
            ["GIT_WORK_TREE"] = null,
            ["GIT_INDEX_FILE"] = null,
            ["GIT_COMMON_DIR"] = null,
            ["GIT_OBJECT_DIRECTORY"] = null,
            ["GIT_ALTERNATE_OBJECT_DIRECTORIES"] = null,
            ["GIT_NAMESPACE"] = null,
            ["GIT_PREFIX"] = null,
            ["GIT_TERMINAL_PROMPT"] = "0",

            // Configuration and programs handed down through the environment would outrank or bypass the guards
            // above (GIT_CONFIG_PARAMETERS is what `-c` itself becomes in git's children).
            ["GIT_CONFIG_PARAMETERS"] = null,
            ["GIT_CONFIG_COUNT"] = null,
            ["GIT_CONFIG"] = null,
            ["GIT_EXEC_PATH"] = null,
            ["GIT_EXTERNAL_DIFF"] = null,
            ["GIT_DIFF_OPTS"] = null,
            ["GIT_PAGER"] = null,
            ["GIT_EDITOR"] = null,
            ["GIT_SSH"] = null,
            ["GIT_SSH_COMMAND"] = null,
            ["GIT_ASKPASS"] = null,
            ["GIT_TEMPLATE_DIR"] = null,

            // Lock contention is recognised by git's English messages.
            ["LC_ALL"] = "C",

            // `git status` would otherwise take the index lock to refresh stat data, contending with nothing useful.
            ["GIT_OPTIONAL_LOCKS"] = "0",
        };
        if (System.Environment.GetEnvironmentVariable("PATH") is null)
            environment["PATH"] = "/usr/local/bin:/usr/bin:/bin";
        return environment;
    }
}
