using System.Globalization;
using Microsoft.Extensions.Options;
using Supervisor.Agents;
using Supervisor.Worker.Settings;

namespace Supervisor.Worker.Execution;

/// <summary>
/// At start-up, for a sandboxed worker (<c>Supervisor:Worker:AgentUsers</c> a range): that it can switch users at all (root,
/// or the capabilities to set uids and gids, change owners and kill), that setpriv is there, and that agent users can reach
/// the workspace root. Otherwise the worker refuses to start and says what to do: it never runs agents as itself unasked.
/// </summary>
sealed class AgentUsersValidator : IValidateOptions<WorkerOptions>
{
    // linux/capability.h
    static readonly (int Bit, string Name)[] Needed =
        [(0, "CAP_CHOWN"), (1, "CAP_DAC_OVERRIDE"), (3, "CAP_FOWNER"), (5, "CAP_KILL"), (6, "CAP_SETGID"), (7, "CAP_SETUID")];

    public ValidateOptionsResult Validate(string? name, WorkerOptions options)
    {
        if (AgentUserRange.TryRead(options.AgentUsers) is not { } range)
            return ValidateOptionsResult.Success;
        var key = $"{WorkerOptions.Section}:AgentUsers";
        var errors = new List<string>();
        if (MissingCapabilities() is { Count: > 0 } missing)
        {
            errors.Add($"{key}: agents run as users {range}, but this worker (uid {NativeMethods.EffectiveUserId()}) cannot switch users "
                + $"(it lacks {string.Join(", ", missing)}). Run the worker as root (or with those capabilities), "
                + $"or set {key} to '{AgentUserRange.Worker}' to run agents as the worker itself (development only: they can read its secrets).");
        }

        if (!File.Exists(AgentUsers.SetPriv))
            errors.Add($"{key}: {AgentUsers.SetPriv} (util-linux) is missing; it starts agents as their users. Install util-linux.");
        if (UsersIn(range).FirstOrDefault() is { Name: { } user, Uid: var uid })
        {
            errors.Add($"{key}: user id {uid} of {range} is '{user}' in /etc/passwd; agents would run as that user and a kill of "
                + "their leftovers would reach its processes. Choose a range no user has.");
        }

        var root = Path.GetFullPath(options.WorkspaceRoot);
        for (var directory = Path.GetDirectoryName(root); directory is not null; directory = Path.GetDirectoryName(directory))
        {
            if (Directory.Exists(directory) && !ExecutableResolver.Allows(directory, range.First, UnixFileMode.UserExecute, UnixFileMode.GroupExecute, UnixFileMode.OtherExecute))
            {
                errors.Add($"{WorkerOptions.Section}:WorkspaceRoot: '{root}' is inside '{directory}', which agent users cannot enter (it needs o+x); "
                    + "choose a workspace root they can reach, e.g. under /var/lib or /tmp.");
                break;
            }
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    /// <summary>The users of /etc/passwd whose ids are in <paramref name="range"/>.</summary>
    static IEnumerable<(string Name, int Uid)> UsersIn(AgentUserRange range) =>
        File.Exists("/etc/passwd")
            ? File.ReadLines("/etc/passwd").Select(l => l.Split(':')).Where(f => f.Length > 2 && int.TryParse(f[2], NumberStyles.None, CultureInfo.InvariantCulture, out _))
                .Select(f => (f[0], int.Parse(f[2], NumberStyles.None, CultureInfo.InvariantCulture))).Where(u => u.Item2 >= range.First && u.Item2 <= range.Last)
            : [];

    /// <summary>The capabilities of <see cref="Needed"/> this process's effective set lacks (/proc/self/status, CapEff).</summary>
    static List<string> MissingCapabilities()
    {
        if (OperatingSystem.IsWindows())
            return ["a Linux kernel"];
        var line = File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("CapEff:", StringComparison.Ordinal));
        var effective = line is null ? 0UL : ulong.Parse(line["CapEff:".Length..].Trim(), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
        return [.. Needed.Where(c => (effective & (1UL << c.Bit)) == 0).Select(c => c.Name)];
    }
}

/// <summary>
/// Before the first attempt: a sandboxed worker's workspace root is the worker's and only traversable by others (0711), so
/// that an agent can reach its own workspace but not list the others; an unsandboxed worker says loudly what that means.
/// </summary>
sealed partial class AgentSandboxCheck(AgentUsers users, IOptions<WorkerOptions> options, AgentCatalog catalog, ILogger<AgentSandboxCheck> logger)
    : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        foreach (var agent in options.Value.Agents.Where(a => catalog.TryGet(a, out var profile) && profile.PromptMayBeOption))
            LogPromptMayBeOption(agent, $"{SupervisorOptions.Section}:Agents:{agent}:Args");

        var root = Path.GetFullPath(options.Value.WorkspaceRoot);
        if (users.Range is not { } range || OperatingSystem.IsWindows())
        {
            LogNotSandboxed(options.Value.Id, $"{WorkerOptions.Section}:AgentUsers");
            return Task.CompletedTask;
        }

        Directory.CreateDirectory(root);
        File.SetUnixFileMode(root, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute);
        Directory.CreateDirectory(Path.Combine(root, ".agent-processes")).UnixFileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
        Directory.CreateDirectory(AgentUsers.LockFolder).UnixFileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

        LogSandboxed(range.ToString(), root);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(LogLevel.Warning, "Agent {Agent}: {Key} passes {{prompt}} as a whole argument with no '--' before it: a prompt that starts "
        + "with '-' may be read as an option of the command. Put '--' before it or pass it as --flag={{prompt}}, unless the command reads no "
        + "options there (after a script's name, for one)")]
    partial void LogPromptMayBeOption(string agent, string key);

    [LoggerMessage(LogLevel.Information, "Agents run as user ids {Range}, one per attempt; workspaces under {Root}")]
    partial void LogSandboxed(string range, string root);

    [LoggerMessage(LogLevel.Warning, "!!! Worker {WorkerId}: {Key} is 'worker': agents run as this worker's own user and can read its environment, "
        + "its broker credentials and every other attempt's workspace. Development only. !!!")]
    partial void LogNotSandboxed(string workerId, string key);
}
