using System.Text.Json.Nodes;
using MassTransit;
using Supervisor.Contracts;
using Supervisor.IntegrationTests.Infrastructure;

namespace Supervisor.IntegrationTests.Limits;

/// <summary>
/// A limit reported for an account (as a worker publishes it) blocks that account fleet-wide: the service records it
/// under the account's row lock, never shortens it, keeps it across a restart, and shows it in <c>GET /api/agents</c> and
/// <c>/metrics</c>. The reports are real messages on the real broker; the test plays the worker that reports them. Tasks
/// then run on a real worker: <c>metered</c> and <c>metered2</c> are shell agents on the accounts <c>metered/one</c> and
/// <c>metered/two</c> (released over 3 s after a block), <c>capped</c> runs two at most on <c>capped/one</c> (a worker
/// would run four; freed slots released over 1 s), <c>spare</c> has no account, <c>lingering</c> runs a minute (for concurrency keys),
/// <c>budgeted</c> reports a cost on <c>budgeted/one</c> (AccountBudgets.cs).
/// </summary>
public sealed partial class AccountBlocks(AccountBlocksFixture fixture) : IClassFixture<AccountBlocksFixture>
{
    const string MeteredOne = AccountBlocksFixture.MeteredOne;
    const string MeteredTwo = AccountBlocksFixture.MeteredTwo;
    const string Capped = AccountBlocksFixture.Capped;

    readonly SupervisorStack _stack = fixture.Stack;
    readonly IBusControl _bus = fixture.Bus;

    [Fact]
    public async Task A_usage_window_blocks_the_account_until_its_reset_is_never_shortened_and_survives_a_restart()
    {
        const string account = "claude/0123456789ab";
        var reset = DateTime.UtcNow.AddMinutes(30);

        await SignalAsync("claude", account, LimitKinds.UsageWindow, resetAt: reset, evidence: "You've hit your limit · resets 3pm (UTC)");
        var blocked = await WaitForAccountAsync("claude", account, a => a["state"]!.GetValue<string>() == "blocked");

        Assert.Equal("usageWindow", blocked["kind"]!.GetValue<string>());
        Assert.InRange(blocked["until"]!.GetValue<DateTime>().ToUniversalTime(), reset.AddSeconds(-1), reset.AddSeconds(1));
        Assert.Equal("You've hit your limit · resets 3pm (UTC)", blocked["lastSignal"]!.GetValue<string>());

        // An earlier reset (a rate limit seen meanwhile) does not shorten the block, nor change its kind.
        await SignalAsync("claude", account, LimitKinds.RateLimit, resetIn: 20, evidence: "429 retry-after 20");
        var notShortened = await WaitForAccountAsync("claude", account, a => a["lastSignal"]!.GetValue<string>() == "429 retry-after 20");
        Assert.Equal("blocked", notShortened["state"]!.GetValue<string>());
        Assert.Equal("usageWindow", notShortened["kind"]!.GetValue<string>());
        Assert.InRange(notShortened["until"]!.GetValue<DateTime>().ToUniversalTime(), reset.AddSeconds(-1), reset.AddSeconds(1));

        // A later one extends it, in the same episode.
        var later = reset.AddMinutes(10);
        await SignalAsync("claude", account, LimitKinds.UsageWindow, resetAt: later, evidence: "resets later");
        var extended = await WaitForAccountAsync("claude", account, a => a["lastSignal"]!.GetValue<string>() == "resets later");
        Assert.InRange(extended["until"]!.GetValue<DateTime>().ToUniversalTime(), later.AddSeconds(-1), later.AddSeconds(1));
        Assert.Equal(1, extended["blocks"]!.GetValue<int>());

        await _stack.RestartServiceAsync(_stack.Services[0]);
        var afterRestart = await WaitForAccountAsync("claude", account, _ => true);
        Assert.Equal("blocked", afterRestart["state"]!.GetValue<string>());
        Assert.InRange(afterRestart["until"]!.GetValue<DateTime>().ToUniversalTime(), later.AddSeconds(-1), later.AddSeconds(1));

        var metrics = await _stack.Api.Http.GetStringAsync("/metrics");
        Assert.Contains($"supervisor_account_blocks_total{{account=\"{account}\",kind=\"usageWindow\"}} 1", metrics, StringComparison.Ordinal);
        Assert.Contains($"supervisor_account_blocked_until_seconds{{account=\"{account}\",state=\"blocked\",kind=\"usageWindow\"}}", metrics, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_block_is_capped_by_the_agents_MaxBlock_and_a_failure_carrying_a_limit_counts_too()
    {
        const string account = "codex/0123456789ab";
        var failed = new AgentAttemptFailed(Guid.NewGuid(), Guid.NewGuid(), 1, 1, "codex", "test-worker", 1, ErrorClasses.RateLimited,
            "You've hit your usage limit", DateTime.UtcNow, null, 0, null,
            Limit: new LimitReport(account, LimitKinds.UsageWindow, DateTime.UtcNow.AddDays(2), null, null, "try again in 2 days", DateTime.UtcNow));

        await _bus.Publish(failed);

        var blocked = await WaitForAccountAsync("codex", account, a => a["state"]!.GetValue<string>() == "blocked");
        Assert.InRange(blocked["until"]!.GetValue<DateTime>().ToUniversalTime(), DateTime.UtcNow.AddMinutes(58), DateTime.UtcNow.AddMinutes(61));
    }

    [Fact]
    public async Task A_rate_limit_cools_the_account_for_its_retry_after_and_then_it_is_probed()
    {
        const string account = "gemini/0123456789ab";

        await SignalAsync("gemini", account, LimitKinds.RateLimit, resetIn: 3, evidence: "Suggested retry after 3s.");

        var cooling = await WaitForAccountAsync("gemini", account, a => a["state"]!.GetValue<string>() == "cooling");
        Assert.Equal("rateLimit", cooling["kind"]!.GetValue<string>());
        // Then the next start on it goes first, alone, to test it.
        var probing = await WaitForAccountAsync("gemini", account, a => a["state"]!.GetValue<string>() == "probing", seconds: 15);
        Assert.Equal(1, probing["blocks"]!.GetValue<int>());
    }

    [Fact]
    public async Task A_report_of_an_unknown_kind_or_agent_blocks_nothing()
    {
        await SignalAsync("claude", "claude/ffffffffffff", "weather", resetIn: 60, evidence: "storm");
        await SignalAsync("no-such-agent", "no-such-agent/ffffffffffff", LimitKinds.RateLimit, resetIn: 60, evidence: "429");
        // A valid one after them: once it shows, the two before it (same queue) have been handled.
        await SignalAsync("claude", "claude/eeeeeeeeeeee", LimitKinds.RateLimit, resetIn: 60, evidence: "429");
        await WaitForAccountAsync("claude", "claude/eeeeeeeeeeee", _ => true);

        var agents = JsonNode.Parse(await _stack.Api.Http.GetStringAsync("/api/agents"))!.AsArray();
        Assert.DoesNotContain(agents.SelectMany(a => a!["accounts"]!.AsArray()), a => a!["id"]!.GetValue<string>().EndsWith("ffffffffffff", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Tasks_on_a_blocked_account_wait_without_an_attempt_then_one_probes_and_the_rest_follow_spread_out_across_a_restart()
    {
        var reset = DateTime.UtcNow.AddSeconds(20);
        await SignalAsync("metered", MeteredOne, LimitKinds.UsageWindow, resetAt: reset, evidence: "You've hit your limit");
        await WaitForAccountAsync("metered", MeteredOne, a => a["state"]!.GetValue<string>() == "blocked");

        var ids = new List<Guid>();
        for (var i = 0; i < 4; i++)
            ids.Add(await _stack.Api.SubmitAsync(new { prompt = $"task {i}", agent = "metered" }));
        foreach (var id in ids)
        {
            await WaitForTransitionAsync(id, "Waiting");
            // Read again: the API reads a task and its transitions in two statements, which a commit can fall between.
            var waiting = await _stack.Api.WaitForAsync(id, TimeSpan.FromSeconds(10), "RetryScheduled");
            Assert.Empty(waiting["attempts"]!.AsArray());
            Assert.Equal(MeteredOne, waiting["waiting"]!["account"]!.GetValue<string>());
            Assert.Equal("limit", waiting["waiting"]!["reason"]!.GetValue<string>());
            Assert.InRange(waiting["waiting"]!["until"]!.GetValue<DateTime>().ToUniversalTime(), reset.AddSeconds(-1), reset.AddSeconds(1));
        }

        // The block and the parked tasks are in the database: a new service process releases them.
        await _stack.RestartServiceAsync(_stack.Services[0]);

        var tasks = new List<JsonNode>();
        foreach (var id in ids)
            tasks.Add(await _stack.Api.WaitForAsync(id, TimeSpan.FromSeconds(90), "Succeeded"));
        var attempts = tasks.Select(t => Assert.Single(t["attempts"]!.AsArray())!).ToList();
        var starts = attempts.Select(a => a["startedAt"]!.GetValue<DateTime>().ToUniversalTime()).ToList();
        Assert.All(starts, start => Assert.True(start >= reset.AddSeconds(-1), $"an attempt started at {start:O}, before the reset at {reset:O}"));

        // One task went first, alone, as the probe; the others started after its attempt ended, spread over the 3 s.
        var probe = tasks.Single(t => Transitions(t).Any(r => r["event"]!.GetValue<string>() == "Released"
            && r["reason"]!.GetValue<string>().Contains("probe", StringComparison.Ordinal)));
        var probeAttempt = Assert.Single(probe["attempts"]!.AsArray())!;
        var probeEnd = probeAttempt["finishedAt"]!.GetValue<DateTime>().ToUniversalTime();
        var followers = attempts.Where(a => a != probeAttempt).Select(a => a["startedAt"]!.GetValue<DateTime>().ToUniversalTime()).Order().ToList();
        Assert.Equal(3, followers.Count);
        Assert.All(followers, start => Assert.True(start >= probeEnd, $"an attempt started at {start:O}, before the probe ended at {probeEnd:O}"));
        Assert.True(followers[^1] - followers[0] >= TimeSpan.FromSeconds(1), $"the released tasks started within {followers[^1] - followers[0]}, not spread out");
        Assert.All(attempts, a => Assert.Equal(MeteredOne, a["account"]?.GetValue<string>()));

        await WaitForAccountAsync("metered", MeteredOne, a => a["state"]!.GetValue<string>() == "ok");
        var metrics = await _stack.Api.Http.GetStringAsync("/metrics");
        Assert.Contains($"supervisor_limit_waits_total{{account=\"{MeteredOne}\",reason=\"limit\"}} 4", metrics, StringComparison.Ordinal);
        Assert.Contains($"supervisor_attempts_started_while_blocked_total{{account=\"{MeteredOne}\"}} 0", metrics, StringComparison.Ordinal);
    }

    [Fact]
    public async Task On_a_blocked_account_a_fallback_task_moves_on_at_once_and_a_wait_beyond_maxWait_fails_saying_so()
    {
        await SignalAsync("metered2", MeteredTwo, LimitKinds.UsageWindow, resetIn: 600, evidence: "usage limit reached");
        await WaitForAccountAsync("metered2", MeteredTwo, a => a["state"]!.GetValue<string>() == "blocked");

        var movesOn = Guid.NewGuid();
        await _bus.Publish(new SubmitTask(movesOn, "moves on", ["metered2", "spare"], null, null, null, null, false, null, "test", OnLimit: "fallback"));
        var moved = await _stack.Api.WaitForAsync(movesOn, TimeSpan.FromSeconds(60), "Succeeded");
        Assert.Equal("spare", Assert.Single(moved["attempts"]!.AsArray())!["agent"]!.GetValue<string>());
        Assert.Contains(Transitions(moved), r => r["event"]!.GetValue<string>() == "LimitFallback"
            && r["reason"]!.GetValue<string>().Contains(MeteredTwo + " blocked until", StringComparison.Ordinal));

        var cannotWait = Guid.NewGuid();
        await _bus.Publish(new SubmitTask(cannotWait, "cannot wait", ["metered2"], null, null, null, null, false, null, "test", MaxWait: TimeSpan.FromMinutes(1)));
        var failed = await _stack.Api.WaitForAsync(cannotWait, TimeSpan.FromSeconds(60), "Failed");
        Assert.Empty(failed["attempts"]!.AsArray());
        Assert.Contains("maxWait 1m", failed["error"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Contains("no agent left to fall back to", failed["error"]!.GetValue<string>(), StringComparison.Ordinal);

        // A waiting task cancelled waits no more: it ends, and the account no longer counts it.
        var waits = await _stack.Api.SubmitAsync(new { prompt = "waits", agent = "metered2", maxWait = "1h" });
        await WaitForTransitionAsync(waits, "Waiting");
        await WaitForAccountAsync("metered2", MeteredTwo, a => a["waiting"]!.GetValue<int>() == 1);
        Assert.Equal(202, (await _stack.Api.CommandAsync(waits, "cancel", "test", "no longer needed")).Status);
        var cancelled = await _stack.Api.WaitForAsync(waits, TimeSpan.FromSeconds(30), "Cancelled");
        Assert.Null(cancelled["waiting"]);
        await WaitForAccountAsync("metered2", MeteredTwo, a => a["waiting"]!.GetValue<int>() == 0);
    }

    [Fact]
    public async Task An_accounts_MaxConcurrent_holds_across_the_fleet_and_the_tasks_over_it_wait_for_a_slot()
    {
        var ids = new List<Guid>();
        for (var i = 0; i < 6; i++)
            ids.Add(await _stack.Api.SubmitAsync(new { prompt = $"capped {i}", agent = "capped" }));
        var tasks = new List<JsonNode>();
        foreach (var id in ids)
            tasks.Add(await _stack.Api.WaitForAsync(id, TimeSpan.FromSeconds(90), "Succeeded"));

        var runs = tasks.Select(t => Assert.Single(t["attempts"]!.AsArray())!)
            .Select(a => (Start: a["startedAt"]!.GetValue<DateTime>(), End: a["finishedAt"]!.GetValue<DateTime>())).ToList();
        var most = Runs.MostAtOnce(runs);
        Assert.True(most <= 2, $"{most} attempts ran at once on {Capped}: {string.Join(", ", runs.Select(r => $"{r.Start:HH:mm:ss.fff}-{r.End:HH:mm:ss.fff}"))}");
        Assert.Contains(tasks.SelectMany(Transitions), r => r["event"]!.GetValue<string>() == "Waiting"
            && r["reason"]!.GetValue<string>().Contains("MaxConcurrent 2", StringComparison.Ordinal));

        var metrics = await _stack.Api.Http.GetStringAsync("/metrics");
        Assert.Matches($"supervisor_limit_waits_total{{account=\"{Capped}\",reason=\"cap\"}} [1-9]", metrics);
        Assert.Contains($"supervisor_attempts_started_while_blocked_total{{account=\"{Capped}\"}} 0", metrics, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Tasks_of_a_concurrency_key_run_one_at_a_time_in_order_and_a_full_key_can_drop_the_newest()
    {
        var ids = new List<Guid>();
        for (var i = 0; i < 3; i++)
            ids.Add(await SubmitKeyedAsync("spare", "repo-a"));
        var dropped = await SubmitKeyedAsync("spare", "repo-a", ConcurrencyStrategies.DropNewest);

        var tasks = new List<JsonNode>();
        foreach (var id in ids)
            tasks.Add(await _stack.Api.WaitForAsync(id, TimeSpan.FromSeconds(60), "Succeeded"));
        var runs = tasks.Select(t => Assert.Single(t["attempts"]!.AsArray())!)
            .Select(a => (Start: a["startedAt"]!.GetValue<DateTime>(), End: a["finishedAt"]!.GetValue<DateTime>())).ToList();
        for (var i = 1; i < runs.Count; i++)
            Assert.True(runs[i].Start >= runs[i - 1].End, $"task {i} started at {runs[i].Start:O}, before task {i - 1} ended at {runs[i - 1].End:O}");
        Assert.Contains(Transitions(tasks[1]), r => r["event"]!.GetValue<string>() == "Queued");

        var drop = await _stack.Api.WaitForAsync(dropped, TimeSpan.FromSeconds(30), "Cancelled");
        Assert.Empty(drop["attempts"]!.AsArray());
        Assert.StartsWith("dropped: concurrency key repo-a has ", drop["error"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.EndsWith("its strategy is dropNewest", drop["error"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_task_whose_strategy_is_cancelRunning_cancels_the_one_under_way_and_starts_when_it_has_ended()
    {
        var first = await SubmitKeyedAsync("lingering", "repo-c");
        await _stack.Api.WaitForAsync(first, TimeSpan.FromSeconds(30), "Running");

        var second = await SubmitKeyedAsync("spare", "repo-c", ConcurrencyStrategies.CancelRunning);

        var cancelled = await _stack.Api.WaitForAsync(first, TimeSpan.FromSeconds(30), "Cancelled");
        Assert.Contains($"superseded by task {second}", cancelled["error"]!.GetValue<string>(), StringComparison.Ordinal);
        var succeeded = await _stack.Api.WaitForAsync(second, TimeSpan.FromSeconds(30), "Succeeded");
        var cancelledAt = Transitions(cancelled).Single(r => r["to"]!.GetValue<string>() == "Cancelled")["at"]!.GetValue<DateTime>();
        Assert.True(Assert.Single(succeeded["attempts"]!.AsArray())!["startedAt"]!.GetValue<DateTime>() >= cancelledAt);
    }

    async Task<Guid> SubmitKeyedAsync(string agent, string key, string? strategy = null)
    {
        var id = await _stack.Api.SubmitAsync(new { prompt = $"keyed {key}", agent, concurrencyKey = key, concurrencyStrategy = strategy });
        await _stack.Api.WaitForAsync(id, TimeSpan.FromSeconds(30), "Submitted", "Dispatched", "Running", "Succeeded", "Cancelled");
        return id;
    }

    static IEnumerable<JsonNode> Transitions(JsonNode task) => task["transitions"]!.AsArray().Select(t => t!);

    async Task<JsonNode> WaitForTransitionAsync(Guid id, string what)
    {
        var until = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            var task = await _stack.Api.TryGetAsync(id);
            if (task is not null && Transitions(task).Any(t => t["event"]!.GetValue<string>() == what))
                return task;
            Assert.True(DateTime.UtcNow < until, $"task {id} has no {what} transition after 30 s: {task?.ToJsonString()}");
            await Task.Delay(200);
        }
    }

    Task SignalAsync(string agent, string account, string kind, DateTime? resetAt = null, double? resetIn = null, string evidence = "") =>
        _bus.Publish(new AccountLimitSignalled(Guid.NewGuid(), Guid.NewGuid(), agent, "test-worker",
            new LimitReport(account, kind, resetAt, resetIn, null, evidence, DateTime.UtcNow)));

    Task<JsonNode> WaitForAccountAsync(string agent, string account, Func<JsonNode, bool> condition, int seconds = 30) =>
        _stack.Api.AccountAsync(agent, account, condition, seconds);
}
