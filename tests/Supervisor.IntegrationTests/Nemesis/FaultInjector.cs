using System.Globalization;
using System.Text.Json.Nodes;
using Supervisor.IntegrationTests.Infrastructure;

namespace Supervisor.IntegrationTests.Nemesis;

/// <summary>
/// Runs the fault schedule against a stack: worker slots (fixed ids, as a process manager runs them, so a restarted
/// worker reaps what its predecessor left), service instances, and the stack's own PostgreSQL and RabbitMQ containers.
/// Every fault is on the timeline with when it began and ended.
/// </summary>
sealed class FaultInjector(SupervisorStack stack, ServiceContainers containers, FleetApi api, Timeline timeline)
{
    public const string Agents = "steady,doomed,boxed";

    /// <summary>Where the engine scripts/services.sh starts (scripts/docker-engine.sh) writes its pid.</summary>
    const string DockerPidFile = "/var/run/docker.pid";

    /// <summary>libfaketime's multi-threaded variant (Debian's package <c>faketime</c>), for a worker with a skewed clock.</summary>
    static readonly string? FakeTime = new[] { "/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1", "/usr/lib/aarch64-linux-gnu/faketime/libfaketimeMT.so.1" }
        .FirstOrDefault(File.Exists);

    readonly HostProcess[] _workers = new HostProcess[FaultPlan.Workers];
    readonly Dictionary<string, string>?[] _clocks = new Dictionary<string, string>?[FaultPlan.Workers];

    public static string WorkerId(int slot) => $"nemesis-w{slot + 1}";

    public async Task StartWorkersAsync()
    {
        for (var slot = 0; slot < _workers.Length; slot++)
            _workers[slot] = await stack.AddWorkerAsync(Agents, null, WorkerId(slot));
    }

    /// <summary>Runs <paramref name="plan"/>, each fault at its time from <paramref name="origin"/> or right after the previous one's recovery.</summary>
    public async Task RunAsync(IReadOnlyList<PlannedFault> plan, DateTime origin)
    {
        foreach (var fault in plan)
        {
            var wait = origin + fault.At - DateTime.UtcNow;
            if (wait > TimeSpan.Zero)
                await Task.Delay(wait);
            timeline.Log($"FAULT begins: {fault}");
            try
            {
                await InjectAsync(fault);
                timeline.Log($"FAULT ends: {fault.Kind}");
            }
            catch (Exception e) when (e is InvalidOperationException or TimeoutException or IOException or HttpRequestException)
            {
                timeline.Log($"FAULT {fault.Kind} could not be carried out as planned: {e.GetType().Name}: {FirstLine(e.Message)}");
            }
        }

        await EnsureWorkersRunAsync();
    }

    async Task InjectAsync(PlannedFault fault)
    {
        switch (fault.Kind)
        {
            case FaultKind.KillWorker:
                await KillWorkerAsync(fault.Target, fault.Duration, "at a random point");
                break;
            case FaultKind.KillWorkerAfterFailure:
                var (slot, why) = await WorkerOfAFailureAsync(fault.Target);
                await KillWorkerAsync(slot, fault.Duration, why);
                break;
            case FaultKind.StopWorker:
                var stopped = _workers[fault.Target];
                await HostProcess.SignalAsync("STOP", stopped.Pid);
                timeline.Log($"  SIGSTOP {WorkerId(fault.Target)} (pid {stopped.Pid})");
                try
                {
                    await Task.Delay(fault.Duration);
                }
                finally
                {
                    await HostProcess.SignalAsync("CONT", stopped.Pid);
                    timeline.Log($"  SIGCONT {WorkerId(fault.Target)}");
                }

                break;
            case FaultKind.SkewWorkerClock when FakeTime is null:
                timeline.Log("  skipped: libfaketime is not installed (apt-get install faketime; scripts/nemesis.sh does)");
                break;
            case FaultKind.SkewWorkerClock:
                _clocks[fault.Target] = new Dictionary<string, string>
                {
                    ["LD_PRELOAD"] = FakeTime,
                    ["FAKETIME"] = fault.SkewSeconds.ToString("+0;-0", CultureInfo.InvariantCulture),
                    // timers and Stopwatch keep real time: only the wall clock is off, as on a host with a wrong clock
                    ["FAKETIME_DONT_FAKE_MONOTONIC"] = "1",
                    // libfaketime 0.9.10 (Debian 12) still shifts a CLOCK_MONOTONIC condition wait's deadline by the
                    // offset unless this is 0 (fixed upstream later): every timed wait of the runtime's Timer and
                    // Finalizer threads returned at once, and the skewed worker spun on both cores for the rest of the campaign
                    ["FAKETIME_FORCE_MONOTONIC_FIX"] = "0",
                };
                await KillWorkerAsync(fault.Target, TimeSpan.FromSeconds(1), $"to restart it with its clock {fault.SkewSeconds:+0;-0} s off");
                break;
            case FaultKind.StopPostgres:
                await containers.Postgres.StopAsync();
                timeline.Log("  PostgreSQL stopped");
                await Task.Delay(fault.Duration);
                await containers.Postgres.StartAsync();
                timeline.Log("  PostgreSQL started");
                break;
            case FaultKind.RestartRabbitMq:
                await ServiceContainers.RestartAsync(containers.RabbitMq);
                break;
            case FaultKind.PauseDockerEngine:
                if (EnginePid() is not { } engine)
                {
                    timeline.Log($"  skipped: no dockerd pid in {DockerPidFile} (the engine is not the one scripts/services.sh starts)");
                    break;
                }

                await HostProcess.SignalAsync("STOP", engine);
                timeline.Log($"  SIGSTOP dockerd (pid {engine})");
                try
                {
                    await Task.Delay(fault.Duration);
                }
                finally
                {
                    await HostProcess.SignalAsync("CONT", engine);
                    timeline.Log("  SIGCONT dockerd");
                }

                break;
            case FaultKind.KillService:
                var service = stack.Services[fault.Target % stack.Services.Count];
                await service.KillAsync();
                timeline.Log($"  kill -9 {service.Name} (pid {service.Pid})");
                await Task.Delay(fault.Duration);
                var restarted = await stack.RestartServiceAsync(service);
                timeline.Log($"  {restarted.Name} started (pid {restarted.Pid})");
                break;
        }
    }

    async Task KillWorkerAsync(int slot, TimeSpan down, string why)
    {
        var victim = _workers[slot];
        await victim.KillAsync();
        timeline.Log($"  kill -9 {WorkerId(slot)} (pid {victim.Pid}) {why}");
        await Task.Delay(down);
        await RestartWorkerAsync(slot);
    }

    async Task RestartWorkerAsync(int slot)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                _workers[slot] = await stack.AddWorkerAsync(Agents, _clocks[slot], WorkerId(slot));
                timeline.Log($"  {WorkerId(slot)} started (pid {_workers[slot].Pid}{(_clocks[slot] is { } c ? $", FAKETIME={c["FAKETIME"]}" : "")})");
                return;
            }
            catch (Exception e) when (attempt < 3 && e is InvalidOperationException or TimeoutException)
            {
                timeline.Log($"  {WorkerId(slot)} did not start ({FirstLine(e.Message)}); again");
            }
        }
    }

    /// <summary>The slot of the worker whose attempt of a task now RetryScheduled just failed; <paramref name="fallback"/> when none shows within 20 s.</summary>
    async Task<(int Slot, string Why)> WorkerOfAFailureAsync(int fallback)
    {
        var until = DateTime.UtcNow.AddSeconds(20);
        while (DateTime.UtcNow < until)
        {
            var (status, body) = await api.GetTextAsync("/api/tasks?state=RetryScheduled&limit=20");
            var ids = status == 200 ? JsonNode.Parse(body)!.AsArray().Select(t => t!["id"]!.GetValue<Guid>()).ToList() : [];
            foreach (var id in ids)
            {
                var worker = (await api.GetAsync(id))?["attempts"]?.AsArray().LastOrDefault()?["worker"]?.GetValue<string>();
                var slot = Enumerable.Range(0, _workers.Length).FirstOrDefault(i => WorkerId(i) == worker, -1);
                if (slot >= 0)
                    return (slot, $"right after its attempt of task {id} failed (task RetryScheduled)");
            }

            await Task.Delay(200);
        }

        return (fallback, "(no failure seen within 20 s: at a random point)");
    }

    async Task EnsureWorkersRunAsync()
    {
        for (var slot = 0; slot < _workers.Length; slot++)
        {
            if (_workers[slot].HasExited)
                await RestartWorkerAsync(slot);
        }
    }

    /// <summary>The local dockerd's pid, when its pid file names a live dockerd.</summary>
    static int? EnginePid()
    {
        try
        {
            var pid = int.Parse(File.ReadAllText(DockerPidFile).Trim(), CultureInfo.InvariantCulture);
            return File.ReadAllText($"/proc/{pid}/comm").Trim() == "dockerd" ? pid : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
            return null;
        }
    }

    static string FirstLine(string text) => text.Split('\n')[0];
}
