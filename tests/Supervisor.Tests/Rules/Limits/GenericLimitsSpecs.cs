using Supervisor.Rules;
using Supervisor.Rules.Interpretation;
using Supervisor.Rules.Limits;

namespace Supervisor.Tests.Rules.Limits;

/// <summary>A <c>plain</c> profile's output read for limits: clear evidence only.</summary>
public sealed class GenericLimitsSpecs
{
    static readonly LimitContext At = new(new DateTime(2026, 1, 15, 12, 0, 0, DateTimeKind.Utc), TimeZoneInfo.Utc);

    [Theory]
    [InlineData("retry-after: 20", 20)]
    [InlineData("Retry-After: 120\r", 120)]
    [InlineData("< retry-after: 7", 7)]
    public void A_retry_after_header_is_a_rate_limit_for_that_long(string line, int seconds)
    {
        var limit = GenericLimits.InLine(line, At)!;

        Assert.Equal((LimitKind.RateLimit, TimeSpan.FromSeconds(seconds), (DateTime?)null), (limit.Kind, limit.ResetIn, limit.ResetAt));
    }

    [Fact]
    public void A_retry_after_http_date_is_a_rate_limit_until_then()
    {
        var limit = GenericLimits.InLine("Retry-After: Thu, 15 Jan 2026 12:05:00 GMT", At)!;

        Assert.Equal((LimitKind.RateLimit, new DateTime(2026, 1, 15, 12, 5, 0, DateTimeKind.Utc)), (limit.Kind, limit.ResetAt));
    }

    [Theory]
    [InlineData("You've hit your limit · resets 10pm (America/New_York)", "2026-01-16T03:00:00Z")]
    [InlineData("5-hour limit reached ∙ resets 2am", "2026-01-16T02:00:00Z")]
    [InlineData("Claude AI usage limit reached|1749924000", "2025-06-14T18:00:00Z")]
    [InlineData("■ You’ve hit your usage limit. Upgrade to Pro or try again at 3:30 PM.", "2026-01-15T15:30:00Z")]
    public void A_usage_window_text_passed_on_by_a_wrapper_is_a_usage_window_until_its_reset(string line, string reset)
    {
        var limit = GenericLimits.InLine(line, At)!;

        Assert.Equal((LimitKind.UsageWindow, DateTime.Parse(reset, null, System.Globalization.DateTimeStyles.AdjustToUniversal)),
            (limit.Kind, limit.ResetAt!.Value));
    }

    [Fact]
    public void A_usage_limit_without_a_reset_is_a_usage_window_of_unknown_length()
    {
        var limit = GenericLimits.InLine("error: the usage limit has been reached", At)!;

        Assert.Equal((LimitKind.UsageWindow, (DateTime?)null, (TimeSpan?)null), (limit.Kind, limit.ResetAt, limit.ResetIn));
    }

    [Theory]
    [InlineData("The rate limit resets every hour.")]
    [InlineData("Set Retry-After to 20 in the config")]
    [InlineData("retry after a while")]
    [InlineData("We hit the limit of what the parser can do")]
    [InlineData("429 tests passed, 0 failed")]
    [InlineData("Limits reset at midnight, see the docs")]
    [InlineData("# Usage limits")]
    [InlineData("retry-after: soon")]
    [InlineData("")]
    public void Ordinary_text_about_limits_is_no_signal(string line)
    {
        Assert.Null(GenericLimits.InLine(line, At));
    }

    [Fact]
    public void A_plain_attempt_that_failed_ends_on_the_strongest_limit_of_its_output_and_one_that_succeeded_on_none()
    {
        const string stdout = "calling the API\nHTTP/1.1 429 Too Many Requests\nretry-after: 20\n";
        const string stderr = "You've hit your limit · resets 10pm (America/New_York)\n";
        ProcessOutcome Exited(int code) => new(code, false, false, null, null, TimeSpan.FromSeconds(1));

        var failed = OutputInterpreter.FinalLimit(OutputInterpreter.Plain, Exited(1), stdout, stderr, At)!;

        Assert.Equal(LimitKind.UsageWindow, failed.Kind);
        Assert.Null(OutputInterpreter.FinalLimit(OutputInterpreter.Plain, Exited(0), stdout, stderr, At));
    }
}
