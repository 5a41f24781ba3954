namespace Supervisor.Rules.Limits;

/// <summary>
/// The budget windows of an account: calendar days and months in a time zone, as UTC instants. A window starts at local
/// midnight; where a zone's clocks skip midnight (spring forward at 00:00) it starts at the jump, the first instant of
/// that day, and where midnight happens twice (fall back at 01:00 to 00:00) at the first of them, so every window starts
/// exactly once and none is lost.
/// </summary>
public static class BudgetWindows
{
    /// <summary>The start of the day <paramref name="now"/> falls in, in <paramref name="zone"/>.</summary>
    public static DateTime DayStart(DateTime now, TimeZoneInfo zone) => StartOf(LocalDate(now, zone), zone);

    /// <summary>The start of the next day in <paramref name="zone"/>: when a daily budget renews.</summary>
    public static DateTime NextDayStart(DateTime now, TimeZoneInfo zone) => StartOf(LocalDate(now, zone).AddDays(1), zone);

    /// <summary>The start of the month <paramref name="now"/> falls in, in <paramref name="zone"/>.</summary>
    public static DateTime MonthStart(DateTime now, TimeZoneInfo zone)
    {
        var date = LocalDate(now, zone);
        return StartOf(new DateOnly(date.Year, date.Month, 1), zone);
    }

    /// <summary>The start of the next month in <paramref name="zone"/>: when a monthly budget renews.</summary>
    public static DateTime NextMonthStart(DateTime now, TimeZoneInfo zone)
    {
        var date = LocalDate(now, zone);
        return StartOf(new DateOnly(date.Year, date.Month, 1).AddMonths(1), zone);
    }

    static DateOnly LocalDate(DateTime now, TimeZoneInfo zone)
    {
        ArgumentNullException.ThrowIfNull(zone);
        if (now.Kind != DateTimeKind.Utc)
            throw new ArgumentException($"must be a UTC time (its Kind is {now.Kind}).", nameof(now));
        return DateOnly.FromDateTime(TimeZoneInfo.ConvertTimeFromUtc(now, zone));
    }

    /// <summary>The first instant whose local time in <paramref name="zone"/> is on <paramref name="date"/>.</summary>
    static DateTime StartOf(DateOnly date, TimeZoneInfo zone)
    {
        var midnight = date.ToDateTime(TimeOnly.MinValue, DateTimeKind.Unspecified);
        if (zone.IsAmbiguousTime(midnight))
        {
            // Midnight happens twice; the day starts at the first, the one under the larger offset.
            var offset = zone.GetAmbiguousTimeOffsets(midnight).Max();
            return DateTime.SpecifyKind(midnight - offset, DateTimeKind.Utc);
        }

        return zone.IsInvalidTime(midnight) ? FirstInstantAtOrAfter(midnight, zone) : TimeZoneInfo.ConvertTimeToUtc(midnight, zone);
    }

    /// <summary>
    /// Midnight falls in a skipped hour: the day starts when the clocks jump past it. Searched rather than computed from
    /// the zone's rules, which differ in shape between zones (a moved base offset, a whole skipped day); a gap is
    /// contiguous, so before the jump local times are earlier than midnight and from it on they are not. Fifteen hours
    /// either side bracket it whatever the zone's offset (−12 h to +14 h).
    /// </summary>
    static DateTime FirstInstantAtOrAfter(DateTime local, TimeZoneInfo zone)
    {
        var low = DateTime.SpecifyKind(local, DateTimeKind.Utc).AddHours(-15);
        var high = DateTime.SpecifyKind(local, DateTimeKind.Utc).AddHours(15);
        while (high - low > TimeSpan.FromSeconds(1))
        {
            var middle = low + ((high - low) / 2);
            if (TimeZoneInfo.ConvertTimeFromUtc(middle, zone) >= local)
                high = middle;
            else
                low = middle;
        }

        // Zone transitions fall on whole seconds: round the bracket's upper end down to one.
        return new DateTime(high.Ticks - (high.Ticks % TimeSpan.TicksPerSecond), DateTimeKind.Utc);
    }
}
