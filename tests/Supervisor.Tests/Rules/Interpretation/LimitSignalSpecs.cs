using System.Globalization;
using Supervisor.Rules.Interpretation;
using Supervisor.Rules.Limits;
using Supervisor.Tests.Rules.Limits;

namespace Supervisor.Tests.Rules.Interpretation;

/// <summary>
/// Every sample through its CLI's interpreter: the limit the attempt ended on (<see cref="AgentReport.Limit"/>) and the
/// limits its live output shows (<see cref="RetryWatch.LimitSeen"/>). Reset times are read at <see cref="Now"/> in UTC,
/// the zone the samples were captured in.
/// </summary>
public sealed class LimitSignalSpecs
{
    /// <summary>A few seconds before codex-usage-window's "try again at 11:52 AM" (captured against the stub).</summary>
    static readonly DateTime Now = new(2026, 12, 5, 11, 51, 35, DateTimeKind.Utc);

    static readonly LimitContext At = new(Now, TimeZoneInfo.Utc);

    static string FormatOf(string sample) => sample.Split('-')[0] switch
    {
        "claude" => "claude-json",
        "codex" => "codex-jsonl",
        "gemini" => "gemini-json",
        _ => "copilot-jsonl",
    };

    /// <summary>A reset as the specs write it: <c>in:SECONDS</c>, <c>at:ISO-8601</c>, or <c>none</c>.</summary>
    static string Reset(LimitSignal signal) =>
        signal.ResetAt is { } at ? "at:" + at.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture)
        : signal.ResetIn is { } delay ? "in:" + delay.TotalSeconds.ToString(CultureInfo.InvariantCulture)
        : "none";

    [Theory]
    // Captured against the provider stub (capture.sh).
    [InlineData("claude-rate-limited", LimitKind.RateLimit, "in:1")]
    [InlineData("claude-usage-window", LimitKind.RateLimit, "in:30")] // with an API key claude never reads the usage-window headers
    [InlineData("claude-quota", LimitKind.Billing, "none")]
    [InlineData("codex-rate-limited", LimitKind.RateLimit, "none")]
    [InlineData("codex-quota", LimitKind.Quota, "none")]
    [InlineData("codex-usage-window", LimitKind.UsageWindow, "at:2026-12-05T11:52:00Z")]
    [InlineData("gemini-rate-limited", LimitKind.RateLimit, "in:1")]
    [InlineData("gemini-usage-window", LimitKind.RateLimit, "in:30")]
    [InlineData("gemini-quota", LimitKind.Quota, "at:2026-12-06T08:00:00Z")] // midnight Pacific (PST)
    // Published forms, hand-written (each sample's .source says where from).
    [InlineData("claude-published-rate-limit-event", LimitKind.UsageWindow, "at:2026-05-12T06:00:00Z")]
    [InlineData("claude-published-hit-your-limit", LimitKind.UsageWindow, "at:2026-12-06T03:00:00Z")] // 10pm EST
    [InlineData("claude-published-usage-limit-reached", LimitKind.UsageWindow, "at:2026-12-05T18:00:00Z")] // 1pm at UTC-5
    [InlineData("claude-published-usage-limit-unix", LimitKind.UsageWindow, "at:2025-06-14T18:00:00Z")]
    [InlineData("codex-published-usage-limit-body", LimitKind.UsageWindow, "at:2026-05-04T23:16:08Z")]
    [InlineData("codex-published-try-again-in", LimitKind.UsageWindow, "in:234840")] // 2 days 17 hours 14 minutes
    [InlineData("codex-published-try-again-at", LimitKind.UsageWindow, "at:2026-07-05T20:19:00Z")]
    [InlineData("gemini-published-retry-delay", LimitKind.Quota, "in:3600")]
    [InlineData("copilot-published-session-error-429", LimitKind.RateLimit, "in:7200")]
    public void A_limit_the_attempt_ended_on_is_its_final_signal(string sample, LimitKind kind, string reset)
    {
        var limit = Sample.Load(sample).Interpret(FormatOf(sample), at: At)!.Limit!;

        Assert.Equal((kind, reset), (limit.Kind, Reset(limit)));
        Assert.InRange(limit.Evidence.Length, 1, 201);
    }

    [Theory]
    [InlineData("claude-rate-limited", LimitKind.RateLimit, "in:1")]
    [InlineData("claude-rate-limited-20", LimitKind.RateLimit, "in:20")] // the case: seen while claude waits it out
    [InlineData("claude-usage-window", LimitKind.RateLimit, "in:30")]
    [InlineData("claude-quota", LimitKind.Billing, "none")]
    [InlineData("codex-rate-limited", LimitKind.RateLimit, "none")]
    [InlineData("codex-quota", LimitKind.Quota, "none")]
    [InlineData("codex-usage-window", LimitKind.UsageWindow, "at:2026-12-05T11:52:00Z")]
    [InlineData("gemini-rate-limited", LimitKind.RateLimit, "in:1")]
    [InlineData("gemini-usage-window", LimitKind.RateLimit, "in:30")]
    [InlineData("gemini-quota", LimitKind.Quota, "at:2026-12-06T08:00:00Z")]
    [InlineData("copilot-retried-then-ok", LimitKind.RateLimit, "none")]
    [InlineData("claude-published-rate-limit-event", LimitKind.UsageWindow, "at:2026-05-12T06:00:00Z")]
    [InlineData("claude-published-hit-your-limit", LimitKind.UsageWindow, "at:2026-12-06T03:00:00Z")]
    [InlineData("codex-published-usage-limit-body", LimitKind.UsageWindow, "at:2026-05-04T23:16:08Z")]
    [InlineData("codex-published-try-again-in", LimitKind.UsageWindow, "in:234840")]
    [InlineData("gemini-published-retry-delay", LimitKind.Quota, "in:3600")]
    [InlineData("copilot-published-session-error-429", LimitKind.RateLimit, "in:7200")]
    public async Task A_limit_counts_as_soon_as_the_live_output_shows_it(string sample, LimitKind kind, string reset)
    {
        var live = await Sample.Load(sample).LiveLimitsAsync(FormatOf(sample), new FixedTime(Now, TimeZoneInfo.Utc));

        var strongest = live.Aggregate((LimitSignal?)null, Signals.Stronger)!;
        Assert.Equal((kind, reset), (strongest.Kind, Reset(strongest)));
    }

    [Fact]
    public void A_claude_usage_window_event_names_its_window()
    {
        var limit = Sample.Load("claude-published-rate-limit-event").Interpret("claude-json", at: At)!.Limit!;

        Assert.Equal("five_hour", limit.Window);
        Assert.Contains("rate_limit_event", limit.Evidence);
    }

    [Theory]
    [InlineData("claude-rate-limited-20")]
    [InlineData("copilot-retried-then-ok")]
    public void A_run_that_waited_out_its_limit_and_succeeded_ends_without_a_signal(string sample)
    {
        var report = Sample.Load(sample).Interpret(FormatOf(sample), at: At)!;

        Assert.Null(report.ErrorClass);
        Assert.Null(report.Limit);
    }

    [Theory]
    [InlineData("claude-ok")]
    [InlineData("claude-server-error")]
    [InlineData("claude-unauthorized")]
    [InlineData("claude-dropped")]
    [InlineData("claude-overloaded")]
    [InlineData("claude-denied")]
    [InlineData("codex-ok")]
    [InlineData("codex-server-error")]
    [InlineData("codex-unauthorized")]
    [InlineData("codex-dropped")]
    [InlineData("codex-overloaded")]
    [InlineData("gemini-ok")]
    [InlineData("gemini-server-error")]
    [InlineData("gemini-unauthorized")]
    [InlineData("gemini-dropped")]
    [InlineData("gemini-overloaded")]
    [InlineData("copilot-ok")]
    [InlineData("copilot-unauthorized")]
    public async Task Output_without_a_limit_gives_no_signal_live_or_final(string sample)
    {
        var loaded = Sample.Load(sample);

        Assert.Null(loaded.Interpret(FormatOf(sample), at: At)?.Limit);
        Assert.Empty(await loaded.LiveLimitsAsync(FormatOf(sample), new FixedTime(Now, TimeZoneInfo.Utc)));
    }

    [Fact]
    public void The_signal_does_not_change_the_failure_class()
    {
        // The class says what the attempt was, the signal what the account is.
        Assert.Equal(Supervisor.Contracts.ErrorClasses.Fatal, Sample.Load("gemini-quota").Interpret("gemini-json", at: At)!.ErrorClass);
        Assert.Equal(Supervisor.Contracts.ErrorClasses.Fatal, Sample.Load("claude-quota").Interpret("claude-json", at: At)!.ErrorClass);
        Assert.Equal(Supervisor.Contracts.ErrorClasses.RateLimited, Sample.Load("claude-usage-window").Interpret("claude-json", at: At)!.ErrorClass);
    }
}
