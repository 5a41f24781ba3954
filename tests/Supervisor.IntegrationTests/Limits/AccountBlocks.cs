using System.Text.Json.Nodes;
using MassTransit;
using Supervisor.Contracts;
using Supervisor.IntegrationTests.Infrastructure;

namespace Supervisor.IntegrationTests.Limits;

/// <summary>
/// A limit reported for an account (as a worker publishes it) blocks that account fleet-wide: the service records it
/// under the account's row lock, never shortens it, keeps it across a restart, and shows it in <c>GET /api/agents</c> and
/// <c>/metrics</c>. The reports are real messages on the real broker; the test plays the worker.
/// </summary>
public sealed class AccountBlocks : IAsyncLifetime
{
    SupervisorStack _stack = null!;
    IBusControl _bus = null!;

    public async Task InitializeAsync()
    {
        _stack = await SupervisorStack.StartAsync("limits", new Dictionary<string, string>
        {
            ["Supervisor__Agents__codex__Limits__MaxBlock"] = "1h",
        }, services: 1);
        _bus = Bus.Factory.CreateUsingRabbitMq(cfg => cfg.Host(new Uri(_stack.Resources.RabbitMq)));
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await _bus.StartAsync(timeout.Token);
    }

    public async Task DisposeAsync()
    {
        await _bus.StopAsync();
        await _stack.DisposeAsync();
    }

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
    public async Task A_rate_limit_cools_the_account_for_its_retry_after_and_then_it_is_ok()
    {
        const string account = "gemini/0123456789ab";

        await SignalAsync("gemini", account, LimitKinds.RateLimit, resetIn: 3, evidence: "Suggested retry after 3s.");

        var cooling = await WaitForAccountAsync("gemini", account, a => a["state"]!.GetValue<string>() == "cooling");
        Assert.Equal("rateLimit", cooling["kind"]!.GetValue<string>());
        var ok = await WaitForAccountAsync("gemini", account, a => a["state"]!.GetValue<string>() == "ok", seconds: 15);
        Assert.Null(ok["until"]);
        Assert.Equal(1, ok["blocks"]!.GetValue<int>());
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

    Task SignalAsync(string agent, string account, string kind, DateTime? resetAt = null, double? resetIn = null, string evidence = "") =>
        _bus.Publish(new AccountLimitSignalled(Guid.NewGuid(), Guid.NewGuid(), agent, "test-worker",
            new LimitReport(account, kind, resetAt, resetIn, null, evidence, DateTime.UtcNow)));

    Task<JsonNode> WaitForAccountAsync(string agent, string account, Func<JsonNode, bool> condition, int seconds = 30) =>
        _stack.Api.AccountAsync(agent, account, condition, seconds);
}
