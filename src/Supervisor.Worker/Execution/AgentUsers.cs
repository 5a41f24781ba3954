using System.Globalization;
using System.Text;
using CliWrap;
using Microsoft.Extensions.Options;
using Supervisor.Worker.Settings;

namespace Supervisor.Worker.Execution;

/// <summary>
/// The user ids agents run as (<c>Supervisor:Worker:AgentUsers</c>). Each running attempt claims one of the range for
/// itself, like systemd's DynamicUser: a lock file <c>/run/supervisor/agent-users/&lt;uid&gt;.lock</c> held open with an
/// exclusive lock (released by the kernel if the worker dies), so that no two attempts on this machine, of any worker,
/// ever share a uid and read each other's workspaces. The folder is machine-wide (not under a workspace root, which
/// differs between workers) and under <c>/run</c>, where only root creates anything (not the world-writable /tmp). Null <see cref="Range"/>: the
/// sandbox is off (<c>worker</c>) and agents run as the worker.
/// </summary>
public sealed partial class AgentUsers(IOptions<WorkerOptions> options, ILogger<AgentUsers> logger)
{
    /// <summary>util-linux's setpriv: switches to the attempt's uid and gid, drops groups and capabilities, then execs the program.</summary>
    public const string SetPriv = "/usr/bin/setpriv";

    /// <summary>
    /// The shell's own <c>kill -KILL -1</c>: run as the attempt's uid it reaches exactly that uid's processes but the shell
    /// itself. The builtin, not procps' <c>/bin/kill</c>, which a minimal image (the compose worker's) does not have.
    /// </summary>
    static readonly string[] KillAll = ["/bin/sh", "-c", "kill -KILL -1"];

    public AgentUserRange? Range { get; } = AgentUserRange.Parse(options.Value.AgentUsers);

    /// <summary>Where the claims are held: one lock file per uid in use on this machine.</summary>
    public const string LockFolder = "/run/supervisor/agent-users";

    /// <summary>
    /// A free uid of the range, held until the returned lease is disposed; null when the sandbox is off. Whatever a former
    /// holder of the uid left running (an agent that escaped its worker's reaper) is killed before the uid is handed out.
    /// </summary>
    /// <exception cref="InvalidOperationException">Every uid of the range is taken.</exception>
    public async Task<AgentUser?> ClaimAsync()
    {
        if (Range is not { } range)
            return null;
        if (!Directory.Exists(LockFolder) && !OperatingSystem.IsWindows())
            Directory.CreateDirectory(LockFolder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        // From a random point, so that concurrent claimants rarely collide on the same file.
        var offset = Random.Shared.Next(range.Count);
        for (var i = 0; i < range.Count; i++)
        {
            var uid = range.First + ((offset + i) % range.Count);
            FileStream held;
            try
            {
                // FileShare.None takes an exclusive advisory lock (flock) on Unix, which other processes see too.
                held = new FileStream(Path.Combine(LockFolder, uid.ToString(CultureInfo.InvariantCulture) + ".lock"),
                    FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException)
            {
                continue;
            }

            var user = new AgentUser(uid, held);
            try
            {
                await user.KillAllAsync();
            }
            catch
            {
                await held.DisposeAsync();
                throw;
            }

            LogClaimed(uid);
            return user;
        }

        throw new InvalidOperationException(
            $"every agent user id of {WorkerOptions.Section}:AgentUsers ({range}) is taken by a running attempt on this machine; widen the range");
    }

    /// <summary>setpriv's arguments that run the program after them as <paramref name="uid"/> (gid the same), nothing more.</summary>
    public static IReadOnlyList<string> SwitchTo(int uid) =>
    [
        string.Create(CultureInfo.InvariantCulture, $"--reuid={uid}"),
        string.Create(CultureInfo.InvariantCulture, $"--regid={uid}"),
        "--clear-groups", "--no-new-privs", "--inh-caps=-all", "--",
    ];

    /// <summary>
    /// Kills every process of <paramref name="uid"/>: <c>kill -KILL -1</c> sent as that user reaches exactly its processes.
    /// Sent from a thread of the worker's (<see cref="AgentUserThread"/>) where it can, else by a shell started as the user.
    /// </summary>
    /// <exception cref="InvalidOperationException">The kill could not be made (setpriv refused, kill missing): the uid's processes may live on.</exception>
    internal static async Task KillAllOfAsync(int uid)
    {
        if (AgentUserThread.Supported)
        {
            AgentUserThread.KillAll(uid);
            return;
        }

        var errors = new StringBuilder();
        var result = await Cli.Wrap(SetPriv)
            .WithArguments([.. SwitchTo(uid), .. KillAll])
            .WithStandardErrorPipe(PipeTarget.ToStringBuilder(errors))
            .WithValidation(CommandResultValidation.None)
            // It runs as the uid, whose processes could read its environment until they die: none of the worker's.
            .ExecuteAsync(start => CommandRunner.OnlyEnvironment(start, [new("PATH", "/usr/bin:/bin")]), null, CancellationToken.None, CancellationToken.None);
        // setpriv's and the shell's own failures say why; "No such process" only means there was nothing left to kill.
        if (result.ExitCode != 0 && (result.ExitCode != 1 || errors.ToString().Trim() is { Length: > 0 } said && !said.Contains("No such process", StringComparison.Ordinal)))
            throw new InvalidOperationException($"could not kill the processes of agent user id {uid} ({SetPriv} … {string.Join(' ', KillAll)} exited {result.ExitCode}): {errors.ToString().Trim()}");
    }

    [LoggerMessage(LogLevel.Debug, "Claimed agent user id {Uid}")]
    partial void LogClaimed(int uid);
}

/// <summary>One attempt's hold on its uid; disposing it kills whatever still runs as the uid, then frees it.</summary>
public sealed class AgentUser(int uid, FileStream held) : IAsyncDisposable
{
    public int Uid { get; } = uid;

    /// <summary>Kills every process running as this attempt's uid (its agent, anything it left in the background).</summary>
    public Task KillAllAsync() => AgentUsers.KillAllOfAsync(Uid);

    /// <summary>
    /// Gives <paramref name="directory"/> and everything in it to the attempt's uid, readable by it alone (0700). For a
    /// copy-on-write workspace, <paramref name="upper"/> is its overlay's upper layer: only what lies there changes hands
    /// (the shared checkout below is open to every attempt's user already, and changing it would copy it up whole).
    /// </summary>
    public void Hand(string? directory, string? upper = null)
    {
        if (directory is null || !Directory.Exists(directory) || OperatingSystem.IsWindows())
            return;
        Ownership.Give(directory, Uid, Uid, upper);
        File.SetUnixFileMode(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    /// <summary>
    /// Takes <paramref name="directory"/> back for the worker once the agent is done: everything of the uid is killed first,
    /// so nothing the agent left behind changes the files while the worker's git reads them. With <paramref name="upper"/>
    /// (a copy-on-write workspace), what the agent wrote is exactly what lies in it.
    /// </summary>
    public async Task ReclaimAsync(string directory, string? upper = null)
    {
        await KillAllAsync();
        if (Directory.Exists(directory))
            Ownership.Give(directory, (int)NativeMethods.EffectiveUserId(), (int)NativeMethods.EffectiveGroupId(), upper);
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await KillAllAsync();
        }
        finally
        {
            await held.DisposeAsync();
        }
    }
}
