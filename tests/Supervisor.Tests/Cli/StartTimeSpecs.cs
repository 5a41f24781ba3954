using Supervisor.Cli.Commands;

namespace Supervisor.Tests.Cli;

/// <summary>How <c>submit --at</c> reads a start time: an ISO 8601 date-time with its offset, or a delay from now.</summary>
public sealed class StartTimeSpecs
{
    static readonly DateTimeOffset Now = new(2026, 12, 5, 9, 0, 0, TimeSpan.Zero);

    public static TheoryData<string, TimeSpan> Delays => new()
    {
        { "+5s", TimeSpan.FromSeconds(5) },
        { "+30s", TimeSpan.FromSeconds(30) },
        { "+5m", TimeSpan.FromMinutes(5) },
        { "+1h30m", TimeSpan.FromMinutes(90) },
        { "+2d", TimeSpan.FromDays(2) },
        { "+1m30s", TimeSpan.FromSeconds(90) },
        { "+1s500ms", TimeSpan.FromMilliseconds(1500) },
        { "+1.5h", TimeSpan.FromMinutes(90) },
        { "+1h 15m", TimeSpan.FromMinutes(75) },
    };

    [Theory]
    [MemberData(nameof(Delays))]
    public void A_delay_is_that_long_after_now(string text, TimeSpan delay)
    {
        Assert.True(StartTime.TryParse(text, Now, out var at, out var error), error);

        Assert.Equal(Now + delay, at);
        Assert.Equal(TimeSpan.Zero, at.Offset);
    }

    [Theory]
    [InlineData("2026-12-05T10:00:00Z")]
    [InlineData("2026-12-05T10:00Z")]
    [InlineData("2026-12-05t10:00:00z")]
    [InlineData("2026-12-05 10:00:00Z")]
    [InlineData("2026-12-05T11:00:00+01:00")]
    [InlineData("2026-12-05T11:00:00+0100")]
    [InlineData("2026-12-05T05:00:00-05:00")]
    public void A_date_time_with_an_offset_is_read_as_that_instant_in_UTC(string text)
    {
        Assert.True(StartTime.TryParse(text, Now, out var at, out var error), error);

        Assert.Equal(new DateTimeOffset(2026, 12, 5, 10, 0, 0, TimeSpan.Zero), at);
        Assert.Equal(TimeSpan.Zero, at.Offset);
    }

    [Fact]
    public void A_date_time_keeps_its_fraction_of_a_second() =>
        Assert.Equal(new DateTimeOffset(2026, 12, 5, 10, 0, 0, 250, TimeSpan.Zero),
            StartTime.TryParse("2026-12-05T10:00:00.25Z", Now, out var at, out _) ? at : default);

    [Theory]
    [InlineData("2026-12-05T10:00:00")]
    [InlineData("2026-12-05T10:00")]
    public void A_date_time_without_an_offset_is_refused_with_how_to_add_one(string text)
    {
        Assert.False(StartTime.TryParse(text, Now, out _, out var error));

        Assert.Contains($"'{text}' has no offset", error, StringComparison.Ordinal);
        Assert.Contains($"{text}Z for UTC", error, StringComparison.Ordinal);
        Assert.Contains($"{text}+01:00", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("tomorrow")]
    [InlineData("10:00")]
    [InlineData("2026-12-05")]
    [InlineData("12/05/2026 10:00 +01:00")]
    [InlineData("2026-13-05T10:00:00Z")]
    [InlineData("now")]
    public void Anything_but_a_date_time_or_a_delay_is_refused_naming_both_forms(string text)
    {
        Assert.False(StartTime.TryParse(text, Now, out _, out var error));

        Assert.Contains($"'{text}' is not a time", error, StringComparison.Ordinal);
        Assert.Contains(StartTime.Forms, error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("+")]
    [InlineData("+5")]
    [InlineData("+5x")]
    [InlineData("+5min")]
    [InlineData("+10:00")]
    [InlineData("+1m1h")]
    [InlineData("+1m1m")]
    public void A_delay_that_is_not_a_number_with_a_unit_from_the_largest_down_is_refused(string text)
    {
        Assert.False(StartTime.TryParse(text, Now, out _, out var error));

        Assert.Contains($"'{text}' is not a delay", error, StringComparison.Ordinal);
        Assert.Contains("+1h30m", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("+0s")]
    [InlineData("+0m0s")]
    [InlineData("+0ms")]
    public void A_zero_delay_is_refused(string text)
    {
        Assert.False(StartTime.TryParse(text, Now, out _, out var error));

        Assert.Contains($"'{text}' is no delay", error, StringComparison.Ordinal);
        Assert.Contains("leave out --at to run now", error, StringComparison.Ordinal);
    }

    [Fact]
    public void A_negative_delay_is_refused_as_in_the_past()
    {
        Assert.False(StartTime.TryParse("-5m", Now, out _, out var error));

        Assert.Contains("'-5m' lies in the past", error, StringComparison.Ordinal);
        Assert.Contains("+5m", error, StringComparison.Ordinal);
    }

    [Fact]
    public void A_delay_beyond_the_calendar_is_refused_rather_than_overflowing()
    {
        Assert.False(StartTime.TryParse("+99999999999d", Now, out _, out var error));

        Assert.Contains("too long a delay", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("  ")]
    [InlineData(null)]
    public void No_text_is_no_time(string? text)
    {
        Assert.False(StartTime.TryParse(text, Now, out _, out var error));

        Assert.StartsWith("needs a time", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("30s", 30_000)]
    [InlineData("1h30m", 5_400_000)]
    [InlineData("1.5h", 5_400_000)]
    [InlineData("2d", 172_800_000)]
    [InlineData("1s500ms", 1_500)]
    [InlineData("1h 15m", 4_500_000)]
    [InlineData("0s", 0)]
    public void A_duration_is_a_delay_without_its_plus(string text, long milliseconds)
    {
        Assert.True(StartTime.TryParseDuration(text, out var duration, out var error), error);

        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), duration);
    }

    [Theory]
    [InlineData("", "is not a duration: write " + StartTime.DurationForms)]
    [InlineData("5", "is not a duration: write " + StartTime.DurationForms)]
    [InlineData("-5m", "is not a duration: write " + StartTime.DurationForms)]
    [InlineData("1m1h", "is not a duration: give each unit once, from the largest down (1h30m, 1m30s)")]
    [InlineData("+5m", "is not a duration: write it without the +, e.g. 5m")]
    [InlineData("99999999999d", "is too long a duration")]
    public void A_duration_not_in_units_is_refused_saying_how_to_write_it(string text, string why)
    {
        Assert.False(StartTime.TryParseDuration(text, out _, out var error));

        Assert.Equal($"'{text}' {why}", error);
    }
}
