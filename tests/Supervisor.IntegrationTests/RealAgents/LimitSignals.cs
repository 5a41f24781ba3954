using System.Globalization;
using System.Text.RegularExpressions;
using Supervisor.IntegrationTests.Infrastructure;
using static Supervisor.IntegrationTests.RealAgents.RealAgentTask;

namespace Supervisor.IntegrationTests.RealAgents;

/// <summary>
/// Provider limits read from the real CLIs' live output: the worker signals the account at once (a note in the output,
/// <c>AccountLimitSignalled</c> counted on its <c>/metrics</c>), lets the CLI wait out a near reset, and stops an agent
/// whose limit resets beyond <c>Limits:EndAttemptWhenBlockedBeyond</c> rather than let it sleep on a worker.
/// </summary>
[Collection(RealAgentsCollection.Name)]
public sealed class LimitSignals(RealAgentsFixture fixture)
{
    readonly ApiClient _api = fixture.Stack.Api;
    readonly ProviderStubProcess _stub = fixture.Stub;

    [Fact]
    public async Task A_rate_limit_the_cli_waits_out_is_signalled_for_its_account_at_once_and_the_task_still_succeeds()
    {
        using var work = await CreateAsync(_api);
        // One 429 asking for 3 s: claude retries once by itself (CLAUDE_CODE_MAX_RETRIES=1), after waiting them out.
        await _stub.ScriptAsync(work.Case, ["429:retryAfter=3"], file: "notes.txt", api: "anthropic");
        var before = await LiveSignalsAsync("claude");

        var (id, task) = await work.RunAsync("notes.txt", ["claude"]);

        Assert.Equal("Succeeded", State(task));
        Assert.Equal([("claude", null)], Outcomes(task));
        var note = Assert.Single(await SystemLinesAsync(id), l => l.StartsWith("[supervisor: limit:", StringComparison.Ordinal));
        Assert.Matches(RateLimitNote("claude", 3), note);
        Assert.True(await LiveSignalsAsync("claude") > before, "the worker counted no live limit signal of claude");

        // The service recorded it for the account, fleet-wide: GET /api/agents lists the account with its block.
        var account = Regex.Match(note, "claude/[0-9a-f]{12}", RegexOptions.None, TimeSpan.FromSeconds(1)).Value;
        var recorded = await _api.AccountAsync("claude", account, a => a["blocks"]!.GetValue<int>() >= 1, seconds: 15);
        Assert.Contains("429", recorded["lastSignal"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_limit_that_resets_beyond_EndAttemptWhenBlockedBeyond_ends_the_attempt_at_once_as_RateLimited()
    {
        using var work = await CreateAsync(_api);
        // A spent window resetting in 60 s: claude would sleep 60 s on its own retry.
        await _stub.ScriptAsync(work.Case, ["usage:resetIn=60"], file: "notes.txt", api: "anthropic");

        var (id, task) = await work.RunAsync("notes.txt", ["claude-limits"]);

        Assert.Equal("Succeeded", State(task));
        Assert.Equal([("claude-limits", "RateLimited"), ("claude-limits", null)], Outcomes(task));
        var limited = Attempts(task)[0];
        var took = Time(limited, "finishedAt") - Time(limited, "startedAt");
        Assert.True(took < TimeSpan.FromSeconds(20), $"the limited attempt took {took}, as long as the CLI's own wait");
        var message = limited["message"]!.GetValue<string>();
        Assert.Matches(@"^rate limit on claude-limits/[0-9a-f]{12}, resets in 1m \(\d\d:\d\d:\d\dZ\): beyond EndAttemptWhenBlockedBeyond \(5s\)", message);
        var lines = await SystemLinesAsync(id);
        Assert.Contains(lines, l => Regex.IsMatch(l, RateLimitNote("claude-limits", 60), RegexOptions.None, TimeSpan.FromSeconds(1)));
        Assert.Contains(lines, l => l.StartsWith("[supervisor: the limit resets beyond EndAttemptWhenBlockedBeyond (5s): ending the attempt", StringComparison.Ordinal));
        Assert.Empty(AgentProcesses.Of(id));
    }

    /// <summary>The worker's note of a rate limit of <paramref name="agent"/>'s account resetting in <paramref name="seconds"/>.</summary>
    static string RateLimitNote(string agent, int seconds) =>
        $@"^\[supervisor: limit: rate limit on {agent}/[0-9a-f]{{12}}, resets in {(seconds >= 60 ? $"{seconds / 60}m" : $"{seconds}s")} \(\d\d:\d\d:\d\dZ\); reported to the service for the whole fleet\]";

    async Task<List<string>> SystemLinesAsync(Guid id) =>
        (await _api.CompleteLogsAsync(id))
            .Where(c => c!["stream"]!.GetValue<string>() == "system")
            .SelectMany(c => c!["text"]!.GetValue<string>().Split('\n', StringSplitOptions.RemoveEmptyEntries))
            .ToList();

    /// <summary>The worker's count of live limit signals of <paramref name="agent"/> (rate limits), from its <c>/metrics</c>.</summary>
    async Task<long> LiveSignalsAsync(string agent)
    {
        using var http = new HttpClient();
        var text = await http.GetStringAsync(fixture.WorkerMetricsUrl + "/metrics");
        var match = Regex.Match(text, $"^supervisor_worker_limit_signals_total\\{{agent=\"{agent}\",kind=\"rateLimit\",source=\"live\"\\}} (\\d+)", RegexOptions.Multiline,
            TimeSpan.FromSeconds(1));
        return match.Success ? long.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture) : 0;
    }
}
