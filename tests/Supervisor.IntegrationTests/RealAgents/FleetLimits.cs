using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Supervisor.IntegrationTests.Infrastructure;
using static Supervisor.IntegrationTests.RealAgents.RealAgentTask;

namespace Supervisor.IntegrationTests.RealAgents;

/// <summary>
/// A fleet waits out a usage window: 60 tasks on <c>claude-fleet → codex</c> chains over three workers, each running the
/// real Claude Code and Codex CLIs against the provider stub. The stub spends claude-fleet's account for 60 s (long enough for the submissions and a restart on a busy machine), whatever
/// is asked (as a subscription's window does). claude-fleet has an account of its own, a cap of 2 attempts at once
/// across the fleet and a release spread of 4 s; the service is restarted during the block.
/// </summary>
public sealed class FleetLimits : IAsyncLifetime
{
    const string Agent = "claude-fleet";
    const int WindowSeconds = 60, Cap = 2, Waiting = 20, Falling = 40;
    static readonly TimeSpan ReleaseSpread = TimeSpan.FromSeconds(4);
    static readonly TimeSpan Timeout = TimeSpan.FromMinutes(4);

    SupervisorStack _stack = null!;
    ProviderStubProcess _stub = null!;

    public async Task InitializeAsync()
    {
        _stub = await ProviderStubProcess.StartAsync();
        var config = new Dictionary<string, string>
        {
            ["PATH"] = RealAgentsFixture.CliDirectory + Path.PathSeparator + Environment.GetEnvironmentVariable("PATH"),
            ["Supervisor__Worker__HeartbeatInterval"] = "1s",
        };
        RealAgentsFixture.CopyProfile(config, "claude", Agent);
        RealAgentsFixture.Profile(config, _stub.Endpoint, Agent, "ANTHROPIC_API_KEY");
        RealAgentsFixture.Profile(config, _stub.Endpoint, "codex", "OPENAI_API_KEY");
        var limits = $"Supervisor__Agents__{Agent}__Limits__";
        config[limits + "MaxConcurrent"] = Cap.ToString(CultureInfo.InvariantCulture);
        config[limits + "ReleaseSpread"] = ReleaseSpread.ToString("c", CultureInfo.InvariantCulture);
        config[limits + "EndAttemptWhenBlockedBeyond"] = "00:00:05";
        config[limits + "MaxWait"] = "00:03:00";
        config[$"Supervisor__Agents__{Agent}__Concurrency"] = "2";
        config["Supervisor__Agents__codex__Concurrency"] = "2";
        _stack = await SupervisorStack.StartAsync("fleet", config, services: 1, ($"{Agent},codex", 3));
    }

    public async Task DisposeAsync()
    {
        if (_stack is not null)
            await _stack.DisposeAsync();
        if (_stub is not null)
            await _stub.DisposeAsync();
    }

    [Fact]
    public async Task Sixty_tasks_wait_out_a_usage_window_with_one_probe_fall_back_at_once_and_never_run_more_than_the_cap()
    {
        var api = _stack.Api;
        var cases = Enumerable.Range(0, Waiting + Falling).Select(i => $"fleet-{i:00}-{Guid.NewGuid():N}"[..20]).ToList();
        foreach (var match in cases)
            await _stub.ScriptAsync(match, []);
        await SpendAccountAsync(WindowSeconds);
        var windowEnds = DateTime.UtcNow.AddSeconds(WindowSeconds);
        using var watching = new CancellationTokenSource(Timeout);
        var held = WatchAccountAsync(watching.Token);

        // Interleaved, so that either kind may be the first to meet the window; submitted all at once, so that the window's
        // time goes to the block and the restart rather than to sixty requests one after the other.
        var tasks = (await Task.WhenAll(cases.Select(async (match, i) =>
        {
            var waits = i % 3 == 0;
            var id = await api.SubmitAsync(new
            {
                prompt = $"Say hello. ({match})",
                agents = new[] { Agent, "codex" },
                onLimit = waits ? "wait" : "fallback",
            });
            return (Id: id, Case: match, Waits: waits);
        }))).ToList();

        // The first attempts meet the window, and the account is held for the fleet until its reset; it stays so across a restart.
        var account = await _held.Task.WaitAsync(TimeSpan.FromSeconds(60));
        var first = account["until"]!.GetValue<DateTime>().ToUniversalTime();
        Assert.InRange(first, windowEnds.AddSeconds(-5), windowEnds.AddSeconds(5));
        await _stack.RestartServiceAsync(_stack.Services[0]);
        var afterRestart = await api.AccountAsync(Agent, account["id"]!.GetValue<string>(), _ => true);
        Assert.True(first > DateTime.UtcNow.AddSeconds(2), $"the window ended at {first:O}, before the restart was over");
        Assert.Equal(account["state"]!.GetValue<string>(), afterRestart["state"]!.GetValue<string>());
        Assert.True(afterRestart["until"]!.GetValue<DateTime>().ToUniversalTime() >= first, "the restart shortened the block");

        var ended = new List<(Guid Id, string Case, bool Waits, JsonNode Task)>();
        foreach (var (id, match, waits) in tasks)
            ended.Add((id, match, waits, await api.WaitForAsync(id, Timeout)));

        await watching.CancelAsync();
        // The block's end as the service kept it: a later signal (an attempt still under way) may have extended it.
        var until = await held;
        Assert.All(ended, t => Assert.Equal("Succeeded", State(t.Task)));
        var claude = ended.SelectMany(t => Attempts(t.Task).Where(a => a["agent"]!.GetValue<string>() == Agent)).ToList();
        var limited = claude.Where(a => a["errorClass"]?.GetValue<string>() == "RateLimited").ToList();
        var firstSignal = limited.Min(a => Time(a, "finishedAt"));

        // Only attempts already under way met the window (the cap allows two); none started between the signal and the reset.
        Assert.InRange(limited.Count, 1, Cap);
        Assert.DoesNotContain(claude, a => Time(a, "startedAt") > firstSignal && Time(a, "startedAt") < until);
        var refused = (await ServedAsync()).Where(r => r["step"]!.GetValue<string>().Contains("UsageWindow", StringComparison.Ordinal)).ToList();
        Assert.InRange(refused.Select(r => r["script"]?.GetValue<string>()).Distinct().Count(), 1, Cap);

        // At the reset one probe goes first, alone; the waiting tasks follow it, spread out, never more than the cap at once.
        var afterReset = claude.Where(a => Time(a, "startedAt") >= until).OrderBy(a => Time(a, "startedAt")).ToList();
        Assert.True(afterReset.Count >= Waiting, $"{afterReset.Count} claude attempts after the reset, fewer than the {Waiting} waiting tasks");
        var probe = afterReset[0];
        Assert.True(Time(afterReset[1], "startedAt") >= Time(probe, "finishedAt"),
            $"a second attempt started at {Time(afterReset[1], "startedAt"):O}, before the probe ended at {Time(probe, "finishedAt"):O}");
        Assert.True(Time(afterReset[^1], "startedAt") - Time(afterReset[1], "startedAt") >= ReleaseSpread / 2, "the released tasks all started at once");
        var most = Runs.MostAtOnce([.. claude.Select(a => (Time(a, "startedAt"), Time(a, "finishedAt")))]);
        Assert.True(most <= Cap, $"{most} claude attempts ran at once, above the cap of {Cap}");

        // wait: on claude after the reset; fallback: on codex at once, without waiting for the reset.
        foreach (var (id, _, waits, task) in ended)
        {
            var result = task["result"]!["agent"]!.GetValue<string>();
            if (waits)
            {
                Assert.Equal(Agent, result);
            }
            else
            {
                Assert.Equal("codex", result);
                // When codex then starts depends on its own slots (six, for forty tasks on two cores), not on claude-fleet's window.
                var left = LeftForCodexAt(task);
                Assert.True(left < until, $"fallback task {id} left {Agent} for codex at {left:O}, not before the reset at {until:O}");
            }
        }

        var metrics = await api.Http.GetStringAsync("/metrics");
        Assert.Matches(new Regex($"supervisor_attempts_started_while_blocked_total\\{{account=\"{Agent}/[0-9a-f]{{12}}\"\\}} 0", RegexOptions.None, TimeSpan.FromSeconds(1)), metrics);
    }

    /// <summary>
    /// When a fallback task was sent on from claude-fleet: its limit gate's fallback on the record, or else the end of its
    /// claude-fleet attempt that met the window.
    /// </summary>
    static DateTime LeftForCodexAt(JsonNode task) =>
        task["transitions"]!.AsArray().Where(t => t!["event"]!.GetValue<string>() == "LimitFallback").Select(t => Time(t!, "at"))
            .DefaultIfEmpty(Attempts(task).Where(a => a["agent"]!.GetValue<string>() == Agent).Select(a => Time(a, "finishedAt")).DefaultIfEmpty(DateTime.MaxValue).Max())
            .Min();

    /// <summary>The stub refuses every claude-fleet turn as a spent usage window for <paramref name="seconds"/>.</summary>
    async Task SpendAccountAsync(int seconds)
    {
        using var http = new HttpClient { BaseAddress = _stub.Endpoint };
        using var response = await http.PostAsJsonAsync("/_stub/limits", new { api = "anthropic", kind = "usage", resetInSeconds = seconds });
        response.EnsureSuccessStatusCode();
    }

    async Task<List<JsonNode>> ServedAsync()
    {
        using var http = new HttpClient { BaseAddress = _stub.Endpoint };
        return JsonNode.Parse(await http.GetStringAsync("/_stub/requests"))!.AsArray()
            .Where(r => r!["api"]!.GetValue<string>() == "anthropic" && r["agentTurn"]!.GetValue<bool>()).Select(r => r!).ToList();
    }

    readonly TaskCompletionSource<JsonNode> _held = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>
    /// Watches claude-fleet's account until cancelled: <see cref="_held"/> gets the first view of it cooling down or blocked
    /// (the stub's window comes as a 429 with its retry-after, or as a usage limit); answers the latest end of the block seen.
    /// </summary>
    async Task<DateTime> WatchAccountAsync(CancellationToken cancellationToken)
    {
        var latest = DateTime.MinValue;
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                var agents = JsonNode.Parse(await _stack.Api.Http.GetStringAsync("/api/agents", cancellationToken))!.AsArray();
                var held = agents.Single(a => a!["name"]!.GetValue<string>() == Agent)!["accounts"]!.AsArray()
                    .FirstOrDefault(a => a!["state"]!.GetValue<string>() is "cooling" or "blocked");
                if (held is not null)
                {
                    _held.TrySetResult(held);
                    var until = held["until"]!.GetValue<DateTime>().ToUniversalTime();
                    latest = until > latest ? until : latest;
                }

                await Task.Delay(100, cancellationToken);
            }
            catch (HttpRequestException)
            {
                // The service is restarting: what it kept shows once it is back.
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }

        return latest;
    }
}
