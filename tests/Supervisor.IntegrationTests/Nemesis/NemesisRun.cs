using Supervisor.IntegrationTests.Containers;
using Supervisor.IntegrationTests.Infrastructure;
using Xunit.Abstractions;

namespace Supervisor.IntegrationTests.Nemesis;

/// <summary>
/// One campaign: its own PostgreSQL and RabbitMQ containers, 2 service instances and 3 workers (agents <c>steady</c>
/// and <c>doomed</c>, TestAgents/nemesis-agent.sh, and <c>boxed</c>, a container of the test image per attempt), the seeded workload and fault schedule run together, then every
/// invariant checked. The seed, the schedule, what happened when, and the verdicts go to the timeline.
/// </summary>
sealed class NemesisRun : IAsyncDisposable
{
    readonly CampaignProfile _profile;
    readonly Timeline _timeline;
    readonly IReadOnlyList<PlannedFault> _plan;
    readonly IReadOnlyList<PlannedTask> _tasks;
    readonly string _state;
    ServiceContainers? _containers;
    SupervisorStack? _stack;

    NemesisRun(CampaignProfile profile, ITestOutputHelper output)
    {
        _profile = profile;
        _timeline = new Timeline(output, profile.Seed);
        var random = new Random(profile.Seed);
        _plan = FaultPlan.Make(random, profile);
        _tasks = Workload.Plan(random, profile);
        _state = TestEnvironment.SharedDirectory("supervisor-nemesis-");
    }

    public static async Task<NemesisRun> StartAsync(CampaignProfile profile, ITestOutputHelper output)
    {
        var run = new NemesisRun(profile, output);
        var log = run._timeline;
        log.Log($"NEMESIS {profile}");
        log.Log($"replay: NEMESIS_SEED={profile.Seed}; timeline also in {log.FilePath}");
        foreach (var fault in run._plan)
            log.Log($"planned: {fault}");
        log.Log("planned work: " + string.Join(", ", run._tasks.GroupBy(t => $"{t.Kind} on {string.Join(">", t.Agents)}").Select(g => $"{g.Count()} {g.Key}"))
            + $"; {run._tasks.Count(t => t.CancelAfter is not null)} to cancel, {run._tasks.Count(t => t.PauseAfter is not null)} to pause and resume");
        try
        {
            await DockerEngine.EnsureAsync();
            run._containers = await ServiceContainers.StartAsync("nemesis");
            run._stack = await SupervisorStack.StartOnAsync(run._containers, "nemesis", Configuration(run._state), services: 2);
        }
        catch
        {
            await run.DisposeAsync();
            throw;
        }

        log.Log($"stack up: services at {string.Join(", ", run._stack.ServiceUrls)}");
        return run;
    }

    static Dictionary<string, string> Configuration(string state)
    {
        var script = TestEnvironment.AgentScript("nemesis-agent.sh");
        var config = new Dictionary<string, string>
        {
            ["Supervisor__Fleet__LostAfter"] = CampaignProfile.LostAfter.ToString(),
            // a wedged service exits for its process manager (the stack) to restart it: well within the settle bound
            ["Supervisor__Watchdog__StuckAfter"] = "00:02:00",
            // a paused Docker engine outlasts this: the attempts waiting on it end ContainerCrash
            ["Supervisor__Worker__EngineCallTimeout"] = CampaignProfile.EngineCallTimeout.ToString(),
        };
        ContainerFixture.AddAgent(config, "boxed", "00:00:02", "00:00:02", "00:00:02");
        foreach (var agent in new[] { "steady", "doomed" })
        {
            var prefix = $"Supervisor__Agents__{agent}__";
            config[prefix + "Command"] = "/bin/sh";
            config[prefix + "Args__0"] = script;
            config[prefix + "Args__1"] = "{prompt}";
            config[prefix + "Env__NEMESIS_STATE"] = state;
            config[prefix + "Isolation"] = "none";
            config[prefix + "Concurrency"] = "6";
            config[prefix + "ErrorPatterns__Fatal__0"] = "^nemesis: fatal";
            for (var i = 0; i < 3; i++)
                config[prefix + $"Retry__Intervals__{i}"] = "00:00:02";
            config[prefix + "Retry__Jitter"] = "0";
        }

        return config;
    }

    /// <summary>Starts the workers, runs the workload and the faults, waits for the bound and checks every invariant.</summary>
    public async Task<IReadOnlyList<Verdict>> RunAsync()
    {
        var stack = _stack!;
        using var api = new FleetApi(stack.ServiceUrls);
        var injector = new FaultInjector(stack, _containers!, api, _timeline);
        await injector.StartWorkersAsync();
        _timeline.Log("workers up; campaign starts");

        var origin = DateTime.UtcNow;
        var workload = new Workload(api, _timeline, _profile, _tasks);
        var work = workload.RunAsync(origin, origin + _profile.FaultPhase + TimeSpan.FromMinutes(1));
        await injector.RunAsync(_plan, origin);
        _timeline.Log("faults over");
        await work;
        _timeline.Log($"operator done: {workload.Accepted.Count} submits accepted, "
            + string.Join(", ", workload.Actions.OrderBy(a => a.Key, StringComparer.Ordinal).Select(a => $"{a.Value} {a.Key}"))
            + $", {workload.CancelAcks.Count} cancels acknowledged as Cancelled, {workload.Unanswered.Count} actions never answered");

        var verdicts = await new Invariants(stack, api, workload, Path.Combine(_state, "runs.log"), _timeline).CheckAsync(_profile.SettleBound);
        _timeline.Log($"VERDICTS for seed {_profile.Seed}:");
        foreach (var verdict in verdicts)
            _timeline.Log("  " + verdict);
        _timeline.Log($"process logs: {string.Join(" ", stack.LogFiles)}");
        return verdicts;
    }

    public async ValueTask DisposeAsync()
    {
        if (_stack is not null)
            await _stack.DisposeAsync();
        if (_containers is not null)
            await _containers.RemoveAsync();
        _timeline.Dispose();
        Directory.Delete(_state, recursive: true);
    }
}
