using Supervisor.Contracts;
using Supervisor.Rules.Limits;
using Supervisor.Worker.Jobs;

namespace Supervisor.Tests.Jobs;

public sealed class LimitReportsSpecs
{
    const string Account = "claude/3fa9c2d1e0b4";
    static readonly DateTime Now = new(2026, 12, 5, 15, 3, 45, DateTimeKind.Utc);
    static readonly TimeSpan Beyond = TimeSpan.FromMinutes(2);

    [Fact]
    public void A_relative_reset_is_reported_in_seconds_from_the_workers_clock()
    {
        var signal = new LimitSignal(LimitKind.RateLimit, null, TimeSpan.FromSeconds(20), null, "{\"subtype\":\"api_retry\",\"retry_delay_ms\":20000}");

        var report = LimitReports.From(signal, Account, Now, []);

        Assert.Equal(new LimitReport(Account, LimitKinds.RateLimit, null, 20, null, signal.Evidence, Now), report);
    }

    [Fact]
    public void An_absolute_reset_and_its_window_are_reported_as_given()
    {
        var resets = Now.AddHours(3);
        var signal = new LimitSignal(LimitKind.UsageWindow, resets, null, "five_hour", "rate_limit_event rejected");

        var report = LimitReports.From(signal, Account, Now, []);

        Assert.Equal(LimitKinds.UsageWindow, report.Kind);
        Assert.Equal(resets, report.ResetAt);
        Assert.Null(report.ResetInSeconds);
        Assert.Equal("five_hour", report.Window);
    }

    [Theory]
    [InlineData(LimitKind.RateLimit, LimitKinds.RateLimit)]
    [InlineData(LimitKind.UsageWindow, LimitKinds.UsageWindow)]
    [InlineData(LimitKind.Quota, LimitKinds.Quota)]
    [InlineData(LimitKind.Billing, LimitKinds.Billing)]
    public void Each_kind_has_its_contract_name(LimitKind kind, string name) => Assert.Equal(name, LimitNames.Of(kind));

    [Fact]
    public void The_evidence_is_redacted_as_the_output_is()
    {
        const string key = "sk-test-claude-0123456789abcdef";
        var signal = new LimitSignal(LimitKind.RateLimit, null, TimeSpan.FromSeconds(3), null, $"429 for key {key}: retry after 3s");

        var report = LimitReports.From(signal, Account, Now, [key]);

        Assert.DoesNotContain(key, report.Evidence, StringComparison.Ordinal);
        Assert.Contains("[REDACTED]", report.Evidence, StringComparison.Ordinal);
        Assert.StartsWith("429 for key ", report.Evidence, StringComparison.Ordinal);
    }

    [Fact]
    public void A_reset_within_the_bound_is_left_for_the_cli_to_wait_out()
    {
        Assert.False(LimitReports.EndsAttempt(new LimitSignal(LimitKind.RateLimit, null, TimeSpan.FromSeconds(20), null, "e"), Now, Beyond));
        Assert.False(LimitReports.EndsAttempt(new LimitSignal(LimitKind.UsageWindow, Now.AddMinutes(2), null, null, "e"), Now, Beyond));
    }

    [Fact]
    public void A_reset_beyond_the_bound_ends_the_attempt()
    {
        Assert.True(LimitReports.EndsAttempt(new LimitSignal(LimitKind.RateLimit, null, TimeSpan.FromSeconds(121), null, "e"), Now, Beyond));
        Assert.True(LimitReports.EndsAttempt(new LimitSignal(LimitKind.UsageWindow, Now.AddHours(5), null, "five_hour", "e"), Now, Beyond));
        Assert.True(LimitReports.EndsAttempt(new LimitSignal(LimitKind.RateLimit, null, TimeSpan.FromSeconds(6), null, "e"), Now, TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public void An_absolute_reset_counts_from_now_not_from_when_it_was_printed()
    {
        var signal = new LimitSignal(LimitKind.UsageWindow, Now.AddMinutes(3), null, null, "e");

        Assert.True(LimitReports.EndsAttempt(signal, Now, Beyond));
        Assert.False(LimitReports.EndsAttempt(signal, Now.AddMinutes(1.5), Beyond));
    }

    [Theory]
    [InlineData(LimitKind.Quota, true)]
    [InlineData(LimitKind.Billing, true)]
    [InlineData(LimitKind.RateLimit, false)]
    [InlineData(LimitKind.UsageWindow, false)]
    public void Without_a_reset_only_an_exhausted_quota_or_billing_ends_the_attempt(LimitKind kind, bool ends) =>
        Assert.Equal(ends, LimitReports.EndsAttempt(new LimitSignal(kind, null, null, null, "e"), Now, Beyond));

    [Fact]
    public void A_bound_of_zero_ends_the_attempt_on_any_reset_ahead()
    {
        Assert.True(LimitReports.EndsAttempt(new LimitSignal(LimitKind.RateLimit, null, TimeSpan.FromSeconds(1), null, "e"), Now, TimeSpan.Zero));
        Assert.False(LimitReports.EndsAttempt(new LimitSignal(LimitKind.RateLimit, null, TimeSpan.Zero, null, "e"), Now, TimeSpan.Zero));
    }

    [Fact]
    public void Only_a_change_of_kind_or_reset_is_news()
    {
        var first = new LimitSignal(LimitKind.RateLimit, null, TimeSpan.FromSeconds(20), null, "retry 1");

        Assert.True(LimitReports.Same(first, first with { Evidence = "retry 2" }));
        Assert.False(LimitReports.Same(first, first with { ResetIn = TimeSpan.FromSeconds(40) }));
        Assert.False(LimitReports.Same(first, first with { Kind = LimitKind.UsageWindow }));
        Assert.False(LimitReports.Same(first, first with { ResetIn = null, ResetAt = Now.AddSeconds(20) }));
    }

    [Fact]
    public void The_note_names_the_limit_the_account_and_the_reset()
    {
        var line = LimitReports.Line(new LimitSignal(LimitKind.RateLimit, null, TimeSpan.FromSeconds(20), null, "e"), Account, Now);

        Assert.Equal("[supervisor: limit: rate limit on claude/3fa9c2d1e0b4, resets in 20s (15:04:05Z); reported to the service for the whole fleet]\n", line);
    }

    [Fact]
    public void The_note_of_a_window_names_it_and_the_note_without_reset_says_so()
    {
        Assert.Equal("usage window (five_hour) on claude/3fa9c2d1e0b4, resets in 1h (16:03:45Z)",
            LimitReports.Describe(new LimitSignal(LimitKind.UsageWindow, Now.AddHours(1), null, "five_hour", "e"), Account, Now));
        Assert.Equal("quota on claude/3fa9c2d1e0b4, no reset given", LimitReports.Describe(new LimitSignal(LimitKind.Quota, null, null, null, "e"), Account, Now));
    }

    [Fact]
    public void The_message_of_an_ended_attempt_names_the_limit_its_reset_and_the_bound()
    {
        var message = LimitReports.EndMessage(new LimitSignal(LimitKind.RateLimit, null, TimeSpan.FromSeconds(60), null, "e"), Account, Now, TimeSpan.FromSeconds(5));

        Assert.Equal("rate limit on claude/3fa9c2d1e0b4, resets in 1m (15:04:45Z): beyond EndAttemptWhenBlockedBeyond (5s), the agent was stopped rather than left to wait",
            message);
    }
}
