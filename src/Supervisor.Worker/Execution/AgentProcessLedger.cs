using System.Globalization;
using Microsoft.Extensions.Options;

using Supervisor.Worker.Settings;
namespace Supervisor.Worker.Execution;

/// <summary>
/// What this worker run started, for the <see cref="AgentReaper"/> to kill when the worker dies: one file per running
/// agent process group, under <c>&lt;WorkspaceRoot&gt;/.agent-processes/&lt;worker id&gt;/&lt;pid&gt;</c>, holding the
/// process's start time (which guards against a reused pid), and a mark in the environment of every process the worker
/// starts (<see cref="MarkVariable"/>), which its descendants inherit wherever they go (a session of their own included).
/// The next start of a worker with the same id also kills what the ledger still names, should a reaper have died too.
/// </summary>
public sealed partial class AgentProcessLedger(IOptions<WorkerOptions> options, ILogger<AgentProcessLedger> logger)
{
    /// <summary>The environment variable that marks the processes of one worker run; its value is <see cref="RunMark"/>.</summary>
    public const string MarkVariable = "SUPERVISOR_WORKER_RUN";

    /// <summary>This worker run's mark: random, so that a kill by mark reaches no other worker's processes.</summary>
    public string RunMark { get; } = Guid.NewGuid().ToString("N");

    internal string Folder => Path.Combine(options.Value.WorkspaceRoot, ".agent-processes", Safe(options.Value.Id));

    /// <summary><paramref name="environment"/> with this run's mark added.</summary>
    public IReadOnlyDictionary<string, string> Marked(IReadOnlyDictionary<string, string> environment) =>
        new Dictionary<string, string>(environment, StringComparer.Ordinal) { [MarkVariable] = RunMark };

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
