using System.Globalization;
using System.Text.RegularExpressions;

namespace Supervisor.Rules.Limits;

/// <summary>
/// The ways CLIs print when a limit resets: a wall-clock time with or without its zone and date ("10pm
/// (America/New_York)", "Jan 30, 11:30am (Asia/Calcutta)", "Jul 5th, 2026 8:19 PM"), a Unix time ("|1749924000"), or a
/// duration ("2 days 17 hours 14 minutes", "30s"). Each parser reads the expression at the start of its text and ignores
/// what follows (a full stop, the rest of the sentence); text that does not start with one gives null.
/// </summary>
public static partial class ResetTimes
{
    /// <summary>
    /// A wall-clock time printed a little after it passed (the CLI rounds to the hour, clocks differ) still means that
    /// time, not the same time a day later.
    /// </summary>
    static readonly TimeSpan JustPassed = TimeSpan.FromMinutes(5);

    /// <summary>Unix times outside these years are not reset times (a port, a count, milliseconds).</summary>
    static readonly DateTime Earliest = new(2000, 1, 1, 0, 0, 0, DateTimeKind.Utc), Latest = new(2200, 1, 1, 0, 0, 0, DateTimeKind.Utc);

    /// <summary>The UTC time of Unix time <paramref name="seconds"/>; null when it is no plausible reset time.</summary>
    public static DateTime? FromUnix(long seconds)
    {
        if (seconds <= 0 || seconds > (long)(Latest - DateTime.UnixEpoch).TotalSeconds)
            return null;
        var at = DateTime.UnixEpoch.AddSeconds(seconds);
        return at < Earliest ? null : at;
    }

    /// <summary>
    /// The reset at the start of <paramref name="text"/> as a UTC time: a Unix time (with or without the bar claude puts
    /// before it) or a wall-clock time (see <see cref="Next"/>).
    /// </summary>
    public static DateTime? At(string text, LimitContext at) =>
        UnixPattern().Match(text) is { Success: true } unix && long.TryParse(unix.Groups["s"].Value, CultureInfo.InvariantCulture, out var seconds)
            ? FromUnix(seconds)
            : Next(text, at);

    /// <summary>
    /// A wall-clock time at the start of <paramref name="text"/>, in the zone named after it in parentheses (an IANA id, or
    /// UTC/GMT) or else in <see cref="LimitContext.Zone"/>. With a full date it is that time; with a month and day and no
    /// year, or a time alone, it is the next such time from <see cref="LimitContext.Now"/>, daylight saving time included.
    /// </summary>
    public static DateTime? Next(string text, LimitContext at)
    {
        if (WallClock().Match(text) is not { Success: true } m || Time(m) is not { } time)
            return null;
        var zone = m.Groups["zone"].Success ? Zone(m.Groups["zone"].Value) : at.Zone;
        if (zone is null)
            return null;

        var localNow = TimeZoneInfo.ConvertTimeFromUtc(at.Now, zone);
        if (!m.Groups["mon"].Success)
            return NextAfter(at.Now, zone, d => d.AddDays(1), localNow.Date + time);

        var month = Array.IndexOf(Months, m.Groups["mon"].Value[..3].ToLowerInvariant()) + 1;
        var day = int.Parse(m.Groups["day"].Value, CultureInfo.InvariantCulture);
        if (m.Groups["year"].Success)
        {
            var year = int.Parse(m.Groups["year"].Value, CultureInfo.InvariantCulture);
            return day <= DateTime.DaysInMonth(year, month) ? ToUtc(new DateTime(year, month, day) + time, zone) : null;
        }

        if (day > 31)
            return null;
        // Feb 29 exists only in some years; a day a month cannot have is no date.
        var candidate = day <= DateTime.DaysInMonth(localNow.Year, month) ? new DateTime(localNow.Year, month, day) + time
            : day <= DateTime.DaysInMonth(localNow.Year + 1, month) ? new DateTime(localNow.Year + 1, month, day) + time
            : (DateTime?)null;
        return candidate is { } c ? NextAfter(at.Now, zone, d => d.AddYears(1), c) : null;
    }

    /// <summary>
    /// A duration at the start of <paramref name="text"/>: "2 days 17 hours 14 minutes", "3 hours 2 minutes", "30s",
    /// "58.93s", "1h30m", "500ms"; null when none.
    /// </summary>
    public static TimeSpan? Duration(string text)
    {
        if (DurationPattern().Match(text) is not { Success: true } m)
            return null;
        var total = TimeSpan.Zero;
        foreach (Capture part in m.Groups["part"].Captures)
        {
            var unit = UnitPattern().Match(part.Value);
            var value = double.Parse(unit.Groups["n"].Value, CultureInfo.InvariantCulture);
            var name = unit.Groups["unit"].Value.ToLowerInvariant();
            total += name switch
            {
                "ms" or "millisecond" or "milliseconds" => TimeSpan.FromMilliseconds(value),
                _ when name.StartsWith('d') => TimeSpan.FromDays(value),
                _ when name.StartsWith('h') => TimeSpan.FromHours(value),
                _ when name.StartsWith('m') => TimeSpan.FromMinutes(value),
                _ => TimeSpan.FromSeconds(value),
            };
        }

        return total;
    }

    /// <summary>The next midnight in <paramref name="zone"/> after <paramref name="now"/> (UTC): when a per-day quota resets.</summary>
    public static DateTime NextMidnight(DateTime now, TimeZoneInfo zone) =>
        ToUtc(TimeZoneInfo.ConvertTimeFromUtc(now, zone).Date.AddDays(1), zone);

    /// <summary>The zone of an IANA (or Windows) id; null for an unknown one.</summary>
    public static TimeZoneInfo? Zone(string id)
    {
        if (id is "UTC" or "GMT")
            return TimeZoneInfo.Utc;
        try
        {
            return TimeZoneInfo.FindSystemTimeZoneById(id);
        }
        catch (Exception e) when (e is TimeZoneNotFoundException or InvalidTimeZoneException)
        {
            return null;
        }
    }

    static readonly string[] Months = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];

    static TimeSpan? Time(Match m)
    {
        var hour = int.Parse(m.Groups["h"].Value, CultureInfo.InvariantCulture);
        var minute = m.Groups["min"].Success ? int.Parse(m.Groups["min"].Value, CultureInfo.InvariantCulture) : 0;
        if (m.Groups["ap"].Success)
        {
            if (hour is < 1 or > 12)
                return null;
            hour = (hour % 12) + (char.ToLowerInvariant(m.Groups["ap"].Value[0]) == 'p' ? 12 : 0);
        }

        return hour < 24 && minute < 60 ? new TimeSpan(hour, minute, 0) : null;
    }

    /// <summary>The first of <paramref name="candidate"/>, then <paramref name="step"/> of it, that has not passed (more than just).</summary>
    static DateTime NextAfter(DateTime now, TimeZoneInfo zone, Func<DateTime, DateTime> step, DateTime candidate)
    {
        var utc = ToUtc(candidate, zone);
        while (utc <= now - JustPassed)
        {
            candidate = step(candidate);
            utc = ToUtc(candidate, zone);
        }

        return utc;
    }

    /// <summary>
    /// A local time of <paramref name="zone"/> in UTC. A time skipped by a daylight-saving change (2:30 on the spring-forward
    /// night) is the moment the clock jumps past it; a time that occurs twice (autumn) is its first occurrence.
    /// </summary>
    static DateTime ToUtc(DateTime local, TimeZoneInfo zone)
    {
        local = DateTime.SpecifyKind(local, DateTimeKind.Unspecified);
        if (zone.IsInvalidTime(local))
        {
            var rule = zone.GetAdjustmentRules().FirstOrDefault(r => r.DateStart <= local && local <= r.DateEnd);
            local += rule?.DaylightDelta ?? TimeSpan.FromHours(1);
        }

        if (zone.IsAmbiguousTime(local))
            return DateTime.SpecifyKind(local - zone.GetAmbiguousTimeOffsets(local).Max(), DateTimeKind.Utc);
        return TimeZoneInfo.ConvertTimeToUtc(local, zone);
    }

    [GeneratedRegex(@"^\s*\|?\s*(?<s>\d{9,11})(?!\d)", RegexOptions.None, matchTimeoutMilliseconds: 1000)]
    private static partial Regex UnixPattern();

    [GeneratedRegex(@"^\s*(?:(?<mon>Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\.?\s+(?<day>\d{1,2})(?:st|nd|rd|th)?,?\s+(?:(?<year>\d{4}),?\s+)?(?:at\s+)?)?(?:(?<h>\d{1,2})(?::(?<min>\d{2}))?\s*(?<ap>[ap])\.?m\b\.?|(?<h>\d{1,2}):(?<min>\d{2})\b)(?:\s*\((?<zone>[A-Za-z][A-Za-z0-9_+\-]*(?:/[A-Za-z0-9_+\-]+)*)\)|\s+(?<zone>UTC|GMT)\b)?",
        RegexOptions.IgnoreCase, matchTimeoutMilliseconds: 1000)]
    private static partial Regex WallClock();

    [GeneratedRegex(@"^\s*(?:(?<part>\d+(?:\.\d+)?\s*(?:days?|d|hours?|hrs?|h|minutes?|mins?|ms|milliseconds?|m|seconds?|secs?|s))(?![a-z])(?:\s*,?\s*(?:and\s+)?)?)+",
        RegexOptions.IgnoreCase, matchTimeoutMilliseconds: 1000)]
    private static partial Regex DurationPattern();

    [GeneratedRegex(@"(?<n>\d+(?:\.\d+)?)\s*(?<unit>[a-z]+)", RegexOptions.IgnoreCase, matchTimeoutMilliseconds: 1000)]
    private static partial Regex UnitPattern();
}
