using Microsoft.Extensions.Options;
using Supervisor.Worker.Containers;
using Supervisor.Worker.Settings;

namespace Supervisor.Worker.Execution;

/// <summary>
/// Agents run in sessions of their own, so nothing the kernel does on the worker's death reaches them. At boot the worker
/// starts this tiny <c>/bin/sh</c> process in a session of its own too (a kill of the worker's process group does not take
/// it), holding the read end of a pipe whose only write end is the worker's (close-on-exec: no agent inherits it). However
/// the worker dies, <c>kill -9</c> included, the kernel closes that end; the reaper's <c>read</c> returns and it kills
/// every process carrying this run's <see cref="AgentProcessLedger.MarkVariable"/> (a forked child, a daemon started with
/// <c>setsid</c>, the verify command and hooks), round after round until none is left, and every process group the ledger
/// names (start time checked, so a reused pid is spared); then, where a docker CLI is installed, it removes the
/// containers labelled with this worker's id. A reaper that dies while the worker runs is started again.
/// Before that, the ledger's leftovers of a predecessor with the same id are killed, should its reaper have died with it.
/// </summary>
public sealed partial class AgentReaper(AgentProcessLedger ledger, IOptions<WorkerOptions> options, ILogger<AgentReaper> logger)
    : IHostedService, IDisposable
{
    const string Shell = "/bin/sh";

    // The worker never writes to the pipe: read returns at its end. A process being killed may still show its
    // environment for a moment, so a round that killed something is followed by another (at most ~10 s of them).
    internal const string Script = """
        exec >/dev/null 2>&1
        mark="$1" ledger="$2" worker="$3" label="$4"
        while read -r _; do :; done
        round=0
        while [ "$round" -lt 100 ]; do
            round=$((round + 1))
            killed=0
            for environ in $(grep -lzxF -e "$mark" /proc/[0-9]*/environ 2>/dev/null); do
                pid=${environ#/proc/}
                kill -9 "${pid%/environ}" 2>/dev/null && killed=1
            done
            for entry in "$ledger"/*; do
                [ -f "$entry" ] || continue
                pid=${entry##*/}
                stat=$(cat "/proc/$pid/stat" 2>/dev/null) || continue
                set -- ${stat##*) }
                [ "${20:-}" = "$(cat "$entry" 2>/dev/null)" ] && kill -9 "-$pid" 2>/dev/null
            done
            [ "$killed" = 1 ] || break
            sleep 0.1
        done
        if command -v docker >/dev/null 2>&1; then
            timeout 60 docker ps -aq --filter "label=$label=$worker" | xargs -r timeout 60 docker rm -f
        fi
        """;

    static readonly TimeSpan RestartDelay = TimeSpan.FromSeconds(1);

    readonly CancellationTokenSource _stopping = new();
    SpawnedProcess? _reaper;
    Task _watch = Task.CompletedTask;

    /// <summary>The reaper's pid (for tests and logs); 0 before the worker starts.</summary>
    public int Pid => _reaper?.Id ?? 0;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        ledger.KillOrphans();
        _reaper = Start();
        _watch = WatchAsync(_stopping.Token);
        return Task.CompletedTask;
    }

    /// <summary>On a clean stop the pipe closes too: whatever the worker started and is still running does not outlive it.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync();
        await _watch;
        _reaper?.StandardInput.Dispose();
    }

    public void Dispose()
    {
        _reaper?.Dispose();
        _stopping.Dispose();
    }

    SpawnedProcess Start()
    {
        var worker = options.Value;
        var process = SpawnedProcess.Start(Shell,
            ["-c", Script, "supervisor-reaper", $"{AgentProcessLedger.MarkVariable}={ledger.RunMark}", ledger.Folder, worker.Id, ContainerRequests.WorkerLabel],
            "/", Environment());
        process.StandardOutput.Dispose();
        process.StandardError.Dispose();
        LogStarted(process.Id, ledger.RunMark);
        return process;
    }

    async Task WatchAsync(CancellationToken stopping)
    {
        while (true)
        {
            try
            {
                var exitCode = await _reaper!.Exited.WaitAsync(stopping);
                LogDied(_reaper.Id, exitCode);
                await Task.Delay(RestartDelay, stopping);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            _reaper.Dispose();
            _reaper = Start();
        }
    }

    /// <summary>PATH for the shell's tools, and what the docker CLI reads to find this worker's engine.</summary>
    static Dictionary<string, string> Environment()
    {
        var environment = new Dictionary<string, string>(StringComparer.Ordinal) { ["PATH"] = "/usr/local/bin:/usr/bin:/bin" };
        foreach (var name in new[] { "DOCKER_HOST", "DOCKER_API_VERSION", "DOCKER_CONFIG", "HOME" })
        {
            if (System.Environment.GetEnvironmentVariable(name) is { Length: > 0 } value)
                environment[name] = value;
        }

        return environment;
    }

    [LoggerMessage(LogLevel.Debug, "Agent reaper started as pid {Pid}; it kills the processes marked {Mark} when this worker dies")]
    partial void LogStarted(int pid, string mark);

    [LoggerMessage(LogLevel.Warning, "Agent reaper {Pid} exited ({ExitCode}) while the worker runs; starting another")]
    partial void LogDied(int pid, int? exitCode);
}
