using System.Globalization;
using Supervisor.Rules.Limits;

namespace Supervisor.Tests.Rules.Limits;

/// <summary>
/// Budget days and months as UTC instants in a zone: plain days, the year's end, days of 23 and 25 hours, and zones whose
/// clocks skip or repeat midnight itself (Havana); every hour of a year in zones of every shape.
/// </summary>
public sealed class BudgetWindowsSpecs
{
    static readonly TimeZoneInfo NewYork = TimeZoneInfo.FindSystemTimeZoneById("America/New_York");
    static readonly TimeZoneInfo Berlin = TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin");

    /// <summary>Cuba moves its clocks at midnight: 00:00 → 01:00 on 9 March 2025, 01:00 → 00:00 on 2 November 2025.</summary>
    static readonly TimeZoneInfo Havana = TimeZoneInfo.FindSystemTimeZoneById("America/Havana");

    static DateTime Utc(string iso) => DateTime.Parse(iso, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal);

    [Theory]
    [InlineData("2025-06-02T13:50:00Z", "2025-06-02T00:00:00Z", "2025-06-03T00:00:00Z")]
    [InlineData("2025-06-02T00:00:00Z", "2025-06-02T00:00:00Z", "2025-06-03T00:00:00Z")]
    [InlineData("2025-06-02T23:59:59Z", "2025-06-02T00:00:00Z", "2025-06-03T00:00:00Z")]
    [InlineData("2025-12-31T18:00:00Z", "2025-12-31T00:00:00Z", "2026-01-01T00:00:00Z")]
    public void In_UTC_a_day_runs_from_midnight_to_midnight(string now, string start, string next)
    {
        Assert.Equal(Utc(start), BudgetWindows.DayStart(Utc(now), TimeZoneInfo.Utc));
        Assert.Equal(Utc(next), BudgetWindows.NextDayStart(Utc(now), TimeZoneInfo.Utc));
    }

    [Theory]
    [InlineData("2025-06-02T13:50:00Z", "2025-06-01T00:00:00Z", "2025-07-01T00:00:00Z")]
    [InlineData("2025-02-28T23:59:59Z", "2025-02-01T00:00:00Z", "2025-03-01T00:00:00Z")]
    [InlineData("2025-12-31T18:00:00Z", "2025-12-01T00:00:00Z", "2026-01-01T00:00:00Z")]
    public void In_UTC_a_month_runs_from_its_first_to_the_next_month_s_first(string now, string start, string next)
    {
        Assert.Equal(Utc(start), BudgetWindows.MonthStart(Utc(now), TimeZoneInfo.Utc));
        Assert.Equal(Utc(next), BudgetWindows.NextMonthStart(Utc(now), TimeZoneInfo.Utc));
    }

    [Fact]
    public void A_zone_s_day_follows_its_local_midnight_not_UTC_s()
    {
        // 23:00 on 1 June in New York (EDT, UTC−4) is already 2 June in UTC.
        var now = Utc("2025-06-02T03:00:00Z");

        Assert.Equal(Utc("2025-06-01T04:00:00Z"), BudgetWindows.DayStart(now, NewYork));
        Assert.Equal(Utc("2025-06-02T04:00:00Z"), BudgetWindows.NextDayStart(now, NewYork));
        Assert.Equal(Utc("2025-07-01T04:00:00Z"), BudgetWindows.NextMonthStart(Utc("2025-06-30T23:00:00Z"), NewYork));
    }

    [Fact]
    public void The_day_the_clocks_spring_forward_is_23_hours_long()
    {
        var now = Utc("2025-03-30T12:00:00Z");

        Assert.Equal(Utc("2025-03-29T23:00:00Z"), BudgetWindows.DayStart(now, Berlin));
        Assert.Equal(Utc("2025-03-30T22:00:00Z"), BudgetWindows.NextDayStart(now, Berlin));
    }

    [Fact]
    public void The_day_the_clocks_fall_back_is_25_hours_long()
    {
        var now = Utc("2025-10-26T12:00:00Z");

        Assert.Equal(Utc("2025-10-25T22:00:00Z"), BudgetWindows.DayStart(now, Berlin));
        Assert.Equal(Utc("2025-10-26T23:00:00Z"), BudgetWindows.NextDayStart(now, Berlin));
    }

    [Fact]
    public void A_month_with_a_clock_change_starts_and_ends_at_local_midnight_under_each_offset()
    {
        var now = Utc("2025-10-15T12:00:00Z");

        Assert.Equal(Utc("2025-09-30T22:00:00Z"), BudgetWindows.MonthStart(now, Berlin));
        Assert.Equal(Utc("2025-10-31T23:00:00Z"), BudgetWindows.NextMonthStart(now, Berlin));
    }

    [Fact]
    public void Where_midnight_is_skipped_the_day_starts_when_the_clocks_jump()
    {
        // 9 March 2025 in Havana begins at 01:00 CDT, the instant 00:00 CST would have been: 05:00Z.
        Assert.True(Havana.IsInvalidTime(new DateTime(2025, 3, 9)));
        Assert.Equal(Utc("2025-03-09T05:00:00Z"), BudgetWindows.NextDayStart(Utc("2025-03-08T12:00:00Z"), Havana));
        Assert.Equal(Utc("2025-03-09T05:00:00Z"), BudgetWindows.DayStart(Utc("2025-03-09T05:00:00Z"), Havana));
        Assert.Equal(Utc("2025-03-08T05:00:00Z"), BudgetWindows.DayStart(Utc("2025-03-09T04:59:59Z"), Havana));
    }

    [Fact]
    public void Where_midnight_happens_twice_the_day_starts_at_the_first()
    {
        // 2 November 2025 in Havana: 00:00 CDT (04:00Z), then at 01:00 CDT back to 00:00 CST (05:00Z).
        Assert.True(Havana.IsAmbiguousTime(new DateTime(2025, 11, 2)));
        Assert.Equal(Utc("2025-11-02T04:00:00Z"), BudgetWindows.NextDayStart(Utc("2025-11-01T12:00:00Z"), Havana));
        Assert.Equal(Utc("2025-11-02T04:00:00Z"), BudgetWindows.DayStart(Utc("2025-11-02T04:30:00Z"), Havana));
        Assert.Equal(Utc("2025-11-02T04:00:00Z"), BudgetWindows.DayStart(Utc("2025-11-02T05:30:00Z"), Havana));
        Assert.Equal(Utc("2025-11-03T05:00:00Z"), BudgetWindows.NextDayStart(Utc("2025-11-02T05:30:00Z"), Havana));
        Assert.Equal(Utc("2025-11-01T04:00:00Z"), BudgetWindows.MonthStart(Utc("2025-11-02T05:30:00Z"), Havana));
    }

    [Theory]
    [InlineData("Etc/UTC")]
    [InlineData("America/New_York")]
    [InlineData("Europe/Berlin")]
    [InlineData("America/Havana")]
    [InlineData("Australia/Lord_Howe")]
    [InlineData("Pacific/Chatham")]
    [InlineData("Asia/Kathmandu")]
    public void Every_hour_of_a_year_lies_in_exactly_one_day_of_23_to_25_hours_and_one_month(string zoneId)
    {
        var zone = TimeZoneInfo.FindSystemTimeZoneById(zoneId);
        for (var now = Utc("2025-01-01T00:30:00Z"); now.Year == 2025; now = now.AddHours(1))
        {
            var start = BudgetWindows.DayStart(now, zone);
            var next = BudgetWindows.NextDayStart(now, zone);
            Assert.InRange(now, start, next.AddTicks(-1));
            Assert.InRange(next - start, TimeSpan.FromHours(23), TimeSpan.FromHours(25));
            Assert.Equal(next, BudgetWindows.DayStart(next, zone));
            Assert.InRange(now, BudgetWindows.MonthStart(now, zone), BudgetWindows.NextMonthStart(now, zone).AddTicks(-1));
        }
    }

    [Fact]
    public void A_time_that_is_not_UTC_is_a_programming_error() =>
        Assert.Throws<ArgumentException>(() => BudgetWindows.NextDayStart(new DateTime(2025, 6, 2, 12, 0, 0, DateTimeKind.Local), TimeZoneInfo.Utc));
}
