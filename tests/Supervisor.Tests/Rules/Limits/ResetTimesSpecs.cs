using Supervisor.Rules.Limits;

namespace Supervisor.Tests.Rules.Limits;

public sealed class ResetTimesSpecs
{
    static readonly TimeZoneInfo NewYork = TimeZoneInfo.FindSystemTimeZoneById("America/New_York");
    static readonly TimeZoneInfo Berlin = TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin");

    static DateTime Utc(int year, int month, int day, int hour, int minute = 0) => new(year, month, day, hour, minute, 0, DateTimeKind.Utc);

    static LimitContext At(DateTime now, TimeZoneInfo? zone = null) => new(now, zone ?? TimeZoneInfo.Utc);

    [Fact]
    public void A_time_with_its_zone_is_the_next_such_time_in_that_zone()
    {
        // 20:00 EST on 7 March 2026: 10pm New York is two hours ahead, still in winter time (UTC-5).
        Assert.Equal(Utc(2026, 3, 8, 3), ResetTimes.Next("10pm (America/New_York)", At(Utc(2026, 3, 8, 1), Berlin)));
    }

    [Fact]
    public void The_next_10pm_in_New_York_after_the_spring_change_is_in_summer_time()
    {
        // 23:00 EST on 7 March: the next 10pm is on 8 March, after clocks went forward (UTC-4).
        Assert.Equal(Utc(2026, 3, 9, 2), ResetTimes.Next("10pm (America/New_York)", At(Utc(2026, 3, 8, 4))));
    }

    [Fact]
    public void The_next_10pm_in_New_York_after_the_autumn_change_is_in_winter_time()
    {
        // 23:00 EDT on 31 October: the next 10pm is on 1 November, after clocks went back (UTC-5).
        Assert.Equal(Utc(2026, 11, 2, 3), ResetTimes.Next("10pm (America/New_York)", At(Utc(2026, 11, 1, 3))));
    }

    [Fact]
    public void A_time_skipped_by_the_spring_change_is_when_the_clock_jumps_past_it()
    {
        // 2:30am does not exist in New York on 8 March 2026; 3:30 EDT is the first moment after the gap.
        Assert.Equal(Utc(2026, 3, 8, 7, 30), ResetTimes.Next("2:30am (America/New_York)", At(Utc(2026, 3, 8, 5))));
    }

    [Fact]
    public void A_time_that_just_passed_is_still_that_time_not_tomorrow()
    {
        Assert.Equal(Utc(2026, 1, 16, 3), ResetTimes.Next("10pm (America/New_York)", At(Utc(2026, 1, 16, 3, 2))));
        Assert.Equal(Utc(2026, 1, 17, 3), ResetTimes.Next("10pm (America/New_York)", At(Utc(2026, 1, 16, 3, 10))));
    }

    [Theory]
    [InlineData("1pm (Etc/GMT+5).", 2026, 6, 14, 18, 0)] // Etc/GMT+5 is UTC-5 (POSIX sign)
    [InlineData("4:50am (Europe/Rome)", 2026, 6, 15, 2, 50)] // CEST, UTC+2: tomorrow
    [InlineData("11:52 AM.", 2026, 6, 15, 11, 52)] // no zone: the worker's (UTC here), tomorrow
    [InlineData("3pm UTC", 2026, 6, 14, 15, 0)]
    [InlineData("14:05", 2026, 6, 14, 14, 5)]
    public void Wall_clock_forms_read_in_their_zone_or_the_workers(string text, int year, int month, int day, int hour, int minute)
    {
        Assert.Equal(Utc(year, month, day, hour, minute), ResetTimes.Next(text, At(Utc(2026, 6, 14, 12))));
    }

    [Fact]
    public void A_time_without_a_zone_is_read_in_the_workers_zone()
    {
        // Codex prints its local time: 8:19 PM in Berlin (CEST, UTC+2).
        Assert.Equal(Utc(2026, 6, 14, 18, 19), ResetTimes.Next("8:19 PM", At(Utc(2026, 6, 14, 12), Berlin)));
    }

    [Fact]
    public void A_date_with_a_year_is_that_date()
    {
        Assert.Equal(Utc(2026, 7, 5, 18, 19), ResetTimes.Next("Jul 5th, 2026 8:19 PM.", At(Utc(2026, 6, 5, 12), Berlin)));
        Assert.Equal(Utc(2026, 5, 11, 13, 36), ResetTimes.Next("May 11th, 2026 1:36 PM", At(Utc(2026, 5, 4, 12))));
    }

    [Fact]
    public void A_date_without_a_year_is_its_next_occurrence()
    {
        // "resets Jan 30, 11:30am (Asia/Calcutta)" printed on 28 January; IST is UTC+5:30.
        Assert.Equal(Utc(2026, 1, 30, 6, 0), ResetTimes.Next("Jan 30, 11:30am (Asia/Calcutta)", At(Utc(2026, 1, 28, 9))));
        Assert.Equal(Utc(2027, 1, 2, 6, 0), ResetTimes.Next("Jan 2, 11:30am (Asia/Calcutta)", At(Utc(2026, 12, 30, 9))));
    }

    [Theory]
    [InlineData("|1749924000", 2025, 6, 14, 18, 0)]
    [InlineData("1749924000", 2025, 6, 14, 18, 0)]
    [InlineData("1777936568", 2026, 5, 4, 23, 16)]
    public void Unix_times_are_taken_as_given(string text, int year, int month, int day, int hour, int minute)
    {
        var at = ResetTimes.At(text, At(Utc(2020, 1, 1, 0)))!.Value;

        Assert.Equal(Utc(year, month, day, hour, minute), at.AddSeconds(-at.Second));
    }

    [Theory]
    [InlineData("2 days 17 hours 14 minutes.", 2 * 24 * 60 + 17 * 60 + 14)]
    [InlineData("3 hours 2 minutes", 182)]
    [InlineData("5 days 22 hours 11\nminutes.", 5 * 24 * 60 + 22 * 60 + 11)]
    [InlineData("2 hours. Please review", 120)]
    [InlineData("1h30m", 90)]
    public void Durations_add_their_parts(string text, int minutes)
    {
        Assert.Equal(TimeSpan.FromMinutes(minutes), ResetTimes.Duration(text));
    }

    [Theory]
    [InlineData("30s.", 30_000)]
    [InlineData("58.934310785s", 58_934.310785)]
    [InlineData("500ms", 500)]
    public void Short_durations_keep_their_precision(string text, double milliseconds)
    {
        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), ResetTimes.Duration(text));
    }

    [Fact]
    public void A_per_day_quota_resets_at_the_next_Pacific_midnight()
    {
        var pacific = TimeZoneInfo.FindSystemTimeZoneById("America/Los_Angeles");

        Assert.Equal(Utc(2026, 6, 15, 7), ResetTimes.NextMidnight(Utc(2026, 6, 14, 12), pacific)); // PDT, UTC-7
        Assert.Equal(Utc(2026, 1, 15, 8), ResetTimes.NextMidnight(Utc(2026, 1, 14, 12), pacific)); // PST, UTC-8
        Assert.Equal(Utc(2026, 1, 15, 8), ResetTimes.NextMidnight(Utc(2026, 1, 15, 7, 59), pacific)); // still the 14th there
    }

    [Theory]
    [InlineData("")]
    [InlineData("soon")]
    [InlineData("every hour")]
    [InlineData("13pm")]
    [InlineData("25:00")]
    [InlineData("10pm (Mars/Olympus_Mons)")]
    [InlineData("Feb 30, 2026 8:00 PM")]
    [InlineData("the 10pm train")]
    public void Garbage_is_no_time(string text)
    {
        Assert.Null(ResetTimes.Next(text, At(Utc(2026, 6, 14, 12))));
        Assert.Null(ResetTimes.At(text, At(Utc(2026, 6, 14, 12))));
    }

    [Theory]
    [InlineData("")]
    [InlineData("later")]
    [InlineData("2 months")]
    [InlineData("a few minutes")]
    public void Garbage_is_no_duration(string text)
    {
        Assert.Null(ResetTimes.Duration(text));
    }

    [Theory]
    [InlineData("|42")]
    [InlineData("99999999999")]
    public void Implausible_unix_times_are_none(string text)
    {
        Assert.Null(ResetTimes.At(text, At(Utc(2026, 6, 14, 12))));
    }
}
