using Supervisor.Service.Schedules;

namespace Supervisor.Tests.Schedules;

/// <summary>When a schedule fires (cron in a time zone, or an interval, between start and end), and which definitions are refused, naming the field.</summary>
public sealed class ScheduleSpecSpecs
{
    static readonly DateTime Day = Utc("2025-06-02T00:00:00");

    [Fact]
    public void Five_fields_are_minutes_to_days_of_the_week()
    {
        var spec = Create(cron: "*/15 9 * * 1");

        Assert.Null(spec.Every);
        Assert.Equal("UTC", spec.TimeZoneId);
        Assert.Equal(
            [Utc("2025-06-02T09:00:00"), Utc("2025-06-02T09:15:00"), Utc("2025-06-02T09:30:00"), Utc("2025-06-02T09:45:00")],
            spec.Occurrences(Day, Day.AddDays(7)));
    }

    [Fact]
    public void Six_fields_start_with_seconds()
    {
        var spec = Create(cron: "*/20 0 9 * * *");

        Assert.Equal(
            [Utc("2025-06-02T09:00:00"), Utc("2025-06-02T09:00:20"), Utc("2025-06-02T09:00:40")],
            spec.Occurrences(Day, Day.AddDays(1)));
    }

    [Fact]
    public void The_range_excludes_its_start_and_includes_its_end()
    {
        var spec = Create(cron: "0 * * * *");

        Assert.Equal([Utc("2025-06-02T01:00:00"), Utc("2025-06-02T02:00:00")], spec.Occurrences(Day, Day.AddHours(2)));
        Assert.Equal([Utc("2025-06-02T02:00:00"), Utc("2025-06-02T01:00:00")], spec.OccurrencesDescending(Day, Day.AddHours(2)));
        Assert.Empty(spec.Occurrences(Day.AddHours(2), Day.AddHours(1)));
    }

    [Fact]
    public void A_daily_fire_at_02_30_in_Berlin_fires_once_at_03_00_on_the_spring_forward_day()
    {
        var spec = Create(cron: "30 2 * * *", timeZone: "Europe/Berlin");

        // 2025-03-30: clocks go from 02:00 CET to 03:00 CEST; 02:30 does not exist, Cronos fires at 03:00 CEST.
        Assert.Equal(
            [Utc("2025-03-29T01:30:00"), Utc("2025-03-30T01:00:00"), Utc("2025-03-31T00:30:00")],
            spec.Occurrences(Utc("2025-03-29T00:00:00"), Utc("2025-03-31T12:00:00")));
    }

    [Fact]
    public void A_daily_fire_at_02_30_in_Berlin_fires_once_on_the_fall_back_day()
    {
        var spec = Create(cron: "30 2 * * *", timeZone: "Europe/Berlin");

        // 2025-10-26: 02:00-03:00 happens twice (CEST, then CET); a daily fire takes the first.
        Assert.Equal(
            [Utc("2025-10-25T00:30:00"), Utc("2025-10-26T00:30:00"), Utc("2025-10-27T01:30:00")],
            spec.Occurrences(Utc("2025-10-25T00:00:00"), Utc("2025-10-27T12:00:00")));
    }

    [Fact]
    public void An_interval_without_a_start_is_anchored_on_the_Unix_epoch()
    {
        var spec = Create(every: TimeSpan.FromMinutes(7));

        var occurrences = spec.Occurrences(Day, Day.AddHours(1)).ToList();

        // 2025-06-02T00:00Z is 6 minutes past a multiple of 7 minutes since 1970-01-01T00:00Z.
        Assert.Equal(Day.AddMinutes(1), occurrences[0]);
        Assert.Equal(9, occurrences.Count);
        Assert.All(occurrences, o => Assert.Equal(0, (o - DateTime.UnixEpoch).Ticks % TimeSpan.FromMinutes(7).Ticks));
        Assert.Equal(occurrences[0], spec.NextAfter(Day));
        Assert.Equal(occurrences[1], spec.NextAfter(occurrences[0]));
        Assert.Equal([.. occurrences.AsEnumerable().Reverse()], spec.OccurrencesDescending(Day, Day.AddHours(1)));
    }

    [Fact]
    public void An_interval_with_a_start_is_anchored_on_it_and_fires_at_it_first()
    {
        var start = Utc("2025-06-02T10:00:03");
        var spec = Create(every: TimeSpan.FromSeconds(10), startAt: start);

        Assert.Equal([start, start.AddSeconds(10), start.AddSeconds(20)], spec.Occurrences(Day, start.AddSeconds(25)));
        Assert.Equal(start, spec.NextAfter(Day));
        Assert.Equal(start.AddSeconds(10), spec.NextAfter(start));
        Assert.Equal([start.AddSeconds(20), start.AddSeconds(10), start], spec.OccurrencesDescending(Day, start.AddSeconds(25)));
        Assert.Equal([start.AddSeconds(10)], spec.Occurrences(start, start.AddSeconds(10)));
    }

    [Fact]
    public void A_cron_fires_from_its_start_on()
    {
        var start = Utc("2025-06-02T10:30:00");
        var spec = Create(cron: "*/30 * * * *", startAt: start);

        Assert.Equal([start, start.AddMinutes(30)], spec.Occurrences(Day, start.AddMinutes(30)));
        Assert.Equal(start, spec.NextAfter(Day));
    }

    [Theory]
    [InlineData("0 * * * *", null)]
    [InlineData(null, "01:00:00")]
    public void Nothing_fires_after_the_end_and_a_fire_at_the_end_counts(string? cron, string? every)
    {
        var end = Utc("2025-06-02T03:00:00");
        var spec = Create(cron: cron, every: every is null ? null : TimeSpan.Parse(every, System.Globalization.CultureInfo.InvariantCulture), endAt: end);

        Assert.Equal([Day.AddHours(1), Day.AddHours(2), end], spec.Occurrences(Day, Day.AddDays(1)));
        Assert.Equal(end, spec.NextAfter(Day.AddHours(2)));
        Assert.Null(spec.NextAfter(end));
        Assert.Empty(spec.Occurrences(end, Day.AddDays(1)));
    }

    [Fact]
    public void A_cron_that_never_fires_is_refused()
    {
        var errors = Refused(cron: "0 0 30 2 *");

        var error = Assert.Single(errors);
        Assert.Equal("cron", error.Field);
        Assert.Equal("'0 0 30 2 *' never fires.", error.Message);
    }

    [Fact]
    public void A_cron_that_never_fires_between_start_and_end_is_refused()
    {
        var errors = Refused(cron: "0 0 1 1 *", startAt: Utc("2025-02-01T00:00:00"), endAt: Utc("2025-12-31T00:00:00"));

        var error = Assert.Single(errors);
        Assert.Equal("cron", error.Field);
        Assert.Equal("'0 0 1 1 *' never fires between startAt and endAt.", error.Message);
    }

    public static TheoryData<string?, string?, string?, string?, string?, string, string> Bad => new()
    {
        { "* * * * *", "00:01:00", null, null, null, "cron", "give either cron or every" },
        { null, null, null, null, null, "cron", "give either cron or every" },
        { "61 * * * *", null, null, null, null, "cron", "Minutes: Value must be a number between 0 and 59" },
        { "* * * *", null, null, null, null, "cron", "invalid format" },
        { "H * * * *", null, null, null, null, "cron", "H (a hashed value) is not supported" },
        { null, "00:00:00.5000000", null, null, null, "every", "must be between 1s and 366d" },
        { null, "367.00:00:00", null, null, null, "every", "must be between 1s and 366d" },
        { "0 * * * *", null, "Mars/Olympus", null, null, "timeZone", "'Mars/Olympus' is not a time zone; give an IANA id such as Europe/Berlin" },
        { "0 * * * *", null, null, "2025-06-02T10:00:00", "2025-06-02T09:00:00", "endAt", "must be after startAt (2025-06-02T10:00:00Z)" },
        { null, "00:00:10", null, "2025-06-02T10:00:00", "2025-06-02T10:00:00", "endAt", "must be after startAt" },
    };

    [Theory]
    [MemberData(nameof(Bad))]
    public void Each_error_names_its_field(string? cron, string? every, string? timeZone, string? startAt, string? endAt, string field, string message)
    {
        var errors = Refused(
            cron, every is null ? null : TimeSpan.Parse(every, System.Globalization.CultureInfo.InvariantCulture), timeZone,
            startAt is null ? null : Utc(startAt), endAt is null ? null : Utc(endAt));

        var error = Assert.Single(errors);
        Assert.Equal(field, error.Field);
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_error_is_reported_at_once()
    {
        var errors = Refused(cron: "61 * * * *", timeZone: "Mars/Olympus", startAt: Day.AddDays(1), endAt: Day);

        Assert.Equal(["cron", "timeZone", "endAt"], errors.Select(e => e.Field));
    }

    [Fact]
    public void Times_are_kept_to_whole_microseconds_as_the_database_holds_them()
    {
        var spec = Create(every: TimeSpan.FromTicks(TimeSpan.TicksPerSecond + 7), startAt: Day.AddTicks(15));

        Assert.Equal(TimeSpan.FromSeconds(1), spec.Every);
        Assert.Equal(Day.AddTicks(10), spec.StartAt);
        Assert.All(spec.Occurrences(Day, Day.AddMinutes(1)), o => Assert.Equal(0, o.Ticks % 10));
    }

    [Fact]
    public void A_time_that_is_not_UTC_is_a_programming_error()
    {
        var spec = Create(cron: "0 * * * *");

        Assert.Throws<ArgumentException>(() => spec.NextAfter(new DateTime(2025, 6, 2, 0, 0, 0, DateTimeKind.Unspecified)));
        Assert.Throws<ArgumentException>(() => ScheduleSpec.TryCreate(
            "0 * * * *", null, null, new DateTime(2025, 6, 2, 0, 0, 0, DateTimeKind.Local), null, out _, out _));
    }

    static ScheduleSpec Create(string? cron = null, TimeSpan? every = null, string? timeZone = null, DateTime? startAt = null, DateTime? endAt = null)
    {
        Assert.True(ScheduleSpec.TryCreate(cron, every, timeZone, startAt, endAt, out var spec, out var errors),
            string.Join("; ", errors.Select(e => $"{e.Field}: {e.Message}")));
        Assert.Empty(errors);
        return spec;
    }

    static IReadOnlyList<FieldError> Refused(
        string? cron = null, TimeSpan? every = null, string? timeZone = null, DateTime? startAt = null, DateTime? endAt = null)
    {
        Assert.False(ScheduleSpec.TryCreate(cron, every, timeZone, startAt, endAt, out var spec, out var errors));
        Assert.Null(spec);
        return errors;
    }

    internal static DateTime Utc(string text) =>
        DateTime.SpecifyKind(DateTime.Parse(text, System.Globalization.CultureInfo.InvariantCulture), DateTimeKind.Utc);
}
