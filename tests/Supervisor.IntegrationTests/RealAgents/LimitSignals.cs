using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Supervisor.IntegrationTests.Infrastructure;
using static Supervisor.IntegrationTests.RealAgents.RealAgentTask;

namespace Supervisor.IntegrationTests.RealAgents;

/// <summary>
/// Provider limits read from the real CLIs' live output: the worker signals the account at once (a note in the output,
/// <c>AccountLimitSignalled</c> counted on its <c>/metrics</c>), lets the CLI wait out a near reset, and stops an agent
/// whose limit resets beyond <c>Limits:EndAttemptWhenBlockedBeyond</c> rather than let it sleep on a worker; the account's
/// other tasks then wait for its reset instead of running into the limit.
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
    public async Task A_limit_that_resets_beyond_EndAttemptWhenBlockedBeyond_ends_the_attempt_at_once_and_holds_the_accounts_other_tasks_back()
    {
        using var work = await CreateAsync(_api);
        using var other = await CreateAsync(_api);
        // A spent window resetting in 15 s: claude would sleep 15 s on its own retry.
        await _stub.ScriptAsync(work.Case, ["usage:resetIn=15"], file: "notes.txt", api: "anthropic");
        await _stub.ScriptAsync(other.Case, [], file: "notes.txt", api: "anthropic");

        var id = await work.SubmitAsync("notes.txt", ["claude-limits"]);
        // Once its attempt has met the limit, a second task on the same account waits for the reset without an attempt.
        var limited = await WaitForAttemptAsync(id, a => a["errorClass"]?.GetValue<string>() == "RateLimited");
        var otherId = await other.SubmitAsync("notes.txt", ["claude-limits"]);
        await WaitForTransitionAsync(otherId, "Waiting");
        // Read again: the API reads a task and its transitions in two statements, which a commit can fall between.
        var waiting = await _api.WaitForAsync(otherId, TimeSpan.FromSeconds(10), "RetryScheduled");
        Assert.Empty(Attempts(waiting));
        Assert.Contains("claude-limits/", waiting["waiting"]!["account"]!.GetValue<string>(), StringComparison.Ordinal);

        var task = await _api.WaitForAsync(id, RealAgentTask.Timeout);
        var otherTask = await _api.WaitForAsync(otherId, RealAgentTask.Timeout);

        Assert.Equal("Succeeded", State(task));
        Assert.Equal([("claude-limits", "RateLimited"), ("claude-limits", null)], Outcomes(task));
        var took = Time(limited, "finishedAt") - Time(limited, "startedAt");
        Assert.True(took < TimeSpan.FromSeconds(10), $"the limited attempt took {took}, as long as the CLI's own wait");
        var message = limited["message"]!.GetValue<string>();
        Assert.Matches(@"^rate limit on claude-limits/[0-9a-f]{12}, resets in 15s \(\d\d:\d\d:\d\dZ\): beyond EndAttemptWhenBlockedBeyond \(5s\)", message);
        var lines = await SystemLinesAsync(id);
        Assert.Contains(lines, l => Regex.IsMatch(l, RateLimitNote("claude-limits", 15), RegexOptions.None, TimeSpan.FromSeconds(1)));
        Assert.Contains(lines, l => l.StartsWith("[supervisor: the limit resets beyond EndAttemptWhenBlockedBeyond (5s): ending the attempt", StringComparison.Ordinal));
        Assert.Empty(AgentProcesses.Of(id));

        // The other task made no call into the spent window: its one attempt started after the reset, and succeeded.
        Assert.Equal("Succeeded", State(otherTask));
        var otherAttempt = Assert.Single(Attempts(otherTask));
        Assert.True(Time(otherAttempt, "startedAt") >= Time(limited, "startedAt") + TimeSpan.FromSeconds(13),
            $"the other task's attempt started at {Time(otherAttempt, "startedAt"):O}, inside the window");
    }

    async Task<JsonNode> WaitForAttemptAsync(Guid id, Func<JsonNode, bool> condition)
    {
        var until = DateTime.UtcNow + RealAgentTask.Timeout;
        while (true)
        {
            if (await _api.TryGetAsync(id) is { } task && Attempts(task).FirstOrDefault(condition) is { } attempt)
                return attempt;
            Assert.True(DateTime.UtcNow < until, $"task {id} has no such attempt after {RealAgentTask.Timeout}");
            await Task.Delay(200);
        }
    }

    async Task<JsonNode> WaitForTransitionAsync(Guid id, string what)
    {
        var until = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            var task = await _api.TryGetAsync(id);
            if (task is not null && task["transitions"]!.AsArray().Any(t => t!["event"]!.GetValue<string>() == what))
                return task;
            Assert.True(DateTime.UtcNow < until, $"task {id} has no {what} transition after 30 s: {task?.ToJsonString()}");
            await Task.Delay(200);
        }
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
