using System.Globalization;
using Microsoft.Extensions.Options;

using Supervisor.Worker.Settings;
namespace Supervisor.Worker.Execution;

/// <summary>
/// One file per running agent process group, under <c>&lt;WorkspaceRoot&gt;/.agent-processes/&lt;worker id&gt;/&lt;pid&gt;</c>,
/// holding the process's start time. An agent runs in its own session, so a worker killed with <c>kill -9</c> leaves it
/// running; the next start of a worker with the same id kills what its predecessor left (the start time guards against
/// a reused pid), so an orphan does not keep working beside the attempt that replaced it.
/// </summary>
public sealed partial class AgentProcessLedger(IOptions<WorkerOptions> options, ILogger<AgentProcessLedger> logger)
{
    string Folder => Path.Combine(options.Value.WorkspaceRoot, ".agent-processes", Safe(options.Value.Id));

    public void Add(int pid)
    {
        if (StartTime(pid) is not { } started)
            return;
        try
        {
            Directory.CreateDirectory(Folder);
            File.WriteAllText(Path.Combine(Folder, pid.ToString(CultureInfo.InvariantCulture)), started);
        }
        catch (IOException e)
        {
            LogNotRecorded(pid, e.Message);
        }
    }

    public void Remove(int pid)
    {
        try
        {
            File.Delete(Path.Combine(Folder, pid.ToString(CultureInfo.InvariantCulture)));
        }
        catch (IOException)
        {
            // never recorded (its folder could not be created)
        }
    }

    /// <summary>Kills the process groups a previous run of this worker left behind; returns how many there were.</summary>
    public int KillOrphans()
    {
        if (!Directory.Exists(Folder))
            return 0;
        var killed = 0;
        foreach (var file in Directory.EnumerateFiles(Folder))
        {
            if (int.TryParse(Path.GetFileName(file), NumberStyles.None, CultureInfo.InvariantCulture, out var pid)
                && StartTime(pid) is { } started && started == File.ReadAllText(file).Trim()
                && NativeMethods.KillProcessGroup(pid, NativeMethods.SigKill))
            {
                LogKilled(pid);
                killed++;
            }

            File.Delete(file);
        }

        return killed;
    }

    /// <summary>Field 22 of /proc/PID/stat (start time in clock ticks since boot), or null for no such live process.</summary>
    static string? StartTime(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return fields[0] == "Z" ? null : fields[19];
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or IndexOutOfRangeException or ArgumentOutOfRangeException)
        {
            return null;
        }
    }

    static string Safe(string id) => string.Concat(id.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '_'));

    [LoggerMessage(LogLevel.Warning, "Killed agent process group {Pid}, left running by a previous run of this worker")]
    partial void LogKilled(int pid);

    [LoggerMessage(LogLevel.Warning, "Agent process {Pid} not recorded in the ledger: {Reason}")]
    partial void LogNotRecorded(int pid, string reason);
}

/// <summary>Before the worker takes jobs: kill the agent processes a killed predecessor with the same id left running.</summary>
public sealed class OrphanedAgentReaper(AgentProcessLedger ledger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        ledger.KillOrphans();
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
