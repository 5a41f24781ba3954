using System.Globalization;
using System.Text.RegularExpressions;

namespace Supervisor.Cli.Commands;

/// <summary>
/// When a delayed task should start, as <c>submit --at</c> takes it: an ISO 8601 date-time with its offset
/// (<c>2026-12-05T10:00:00Z</c>, <c>2026-12-05T11:00:00+01:00</c>), or a delay from now written like the service's
/// duration settings (<c>+30s</c>, <c>+5m</c>, <c>+1h30m</c>, <c>+2d</c>; units d h m s ms, from the largest down).
/// A time without an offset is refused rather than read as local time: the task would silently run hours off on a
/// machine whose zone is not the one the user had in mind. Whether a time is too far back or ahead is the service's
/// call (it answers 400 naming <c>runAt</c>), so the limits are not repeated here. A schedule's durations
/// (<c>--every</c>, <c>--catch-up-window</c>) are written in the same units, without the <c>+</c>.
/// </summary>
static partial class StartTime
{
    /// <summary>The accepted forms, for messages.</summary>
    public const string Forms =
        "a date-time with its offset (2026-12-05T10:00:00Z, 2026-12-05T11:00:00+01:00) or a delay from now (+30s, +5m, +1h30m, +2d)";

    /// <summary>The accepted forms of a duration (<see cref="TryParseDuration"/>), for messages.</summary>
    public const string DurationForms = "a number with a unit (d, h, m, s, ms), several from the largest down: 30s, 5m, 1h30m, 2d";

    const string DelayForms = "a number with a unit (d, h, m, s, ms), several from the largest down: +30s, +5m, +1h30m, +2d";

    // From the largest unit down; "ms" before "m" so that the longer unit wins.
    static readonly (string Unit, double Milliseconds)[] Units =
        [("d", 86_400_000), ("h", 3_600_000), ("ms", 1), ("m", 60_000), ("s", 1_000)];

    static readonly string[] Order = ["d", "h", "m", "s", "ms"];

    /// <summary>Reads <paramref name="text"/> as an instant; on failure <paramref name="error"/> says why and how to write it.</summary>
    public static bool TryParse(string? text, DateTimeOffset now, out DateTimeOffset at, out string error)
    {
        at = default;
        var trimmed = text?.Trim() ?? "";
        if (trimmed.Length == 0)
        {
            error = $"needs a time: {Forms}";
            return false;
        }

        if (trimmed.StartsWith('+'))
        {
            return TryParseDelay(trimmed, now, out at, out error);
        }

        if (trimmed.StartsWith('-'))
        {
            error = $"'{trimmed}' lies in the past: a delay from now starts with +, e.g. +{trimmed[1..]}";
            return false;
        }

        var shape = IsoDateTime().Match(trimmed);
        if (!shape.Success || !DateTimeOffset.TryParse(trimmed, CultureInfo.InvariantCulture, DateTimeStyles.None, out var parsed))
        {
            error = $"'{trimmed}' is not a time: write {Forms}";
            return false;
        }

        if (!shape.Groups["offset"].Success)
        {
            error = $"'{trimmed}' has no offset: write {trimmed}Z for UTC, or the zone's offset as in {trimmed}+01:00";
            return false;
        }

        at = parsed.ToUniversalTime();
        error = "";
        return true;
    }

    /// <summary>
    /// Reads a duration such as <c>--every</c> takes: the units of a delay without its <c>+</c> (<c>30s</c>, <c>1h30m</c>).
    /// Zero is read; whether a duration is long enough for its use is the service's call.
    /// </summary>
    public static bool TryParseDuration(string? text, out TimeSpan duration, out string error)
    {
        duration = default;
        var trimmed = text?.Trim() ?? "";
        if (trimmed.StartsWith('+'))
        {
            error = $"'{trimmed}' is not a duration: write it without the +, e.g. {trimmed[1..]}";
            return false;
        }

        switch (ReadUnits(trimmed, 0, out var milliseconds))
        {
            case UnitsRead.Badly:
                error = $"'{trimmed}' is not a duration: write {DurationForms}";
                return false;
            case UnitsRead.OutOfOrder:
                error = $"'{trimmed}' is not a duration: give each unit once, from the largest down (1h30m, 1m30s)";
                return false;
            case UnitsRead.Well when milliseconds >= TimeSpan.MaxValue.TotalMilliseconds:
                error = $"'{trimmed}' is too long a duration";
                return false;
            default:
                duration = TimeSpan.FromMilliseconds(milliseconds);
                error = "";
                return true;
        }
    }

    /// <summary>
    /// A duration as it is sent: TimeSpan's invariant text (<c>00:01:30</c>, <c>1.00:00:00</c>), the form the API writes
    /// back, read by any parser of durations; null stays null (left out of the JSON).
    /// </summary>
    public static string? DurationText(TimeSpan? duration) => duration?.ToString("c", CultureInfo.InvariantCulture);

    static bool TryParseDelay(string text, DateTimeOffset now, out DateTimeOffset at, out string error)
    {
        at = default;
        switch (ReadUnits(text, 1, out var milliseconds))
        {
            case UnitsRead.Badly:
                error = $"'{text}' is not a delay: write {DelayForms}";
                return false;
            case UnitsRead.OutOfOrder:
                error = $"'{text}' is not a delay: give each unit once, from the largest down (+1h30m, +1m30s)";
                return false;
            case UnitsRead.Well when milliseconds <= 0:
                error = $"'{text}' is no delay: give one greater than zero, e.g. +30s (leave out --at to run now)";
                return false;
            case UnitsRead.Well when milliseconds >= (DateTimeOffset.MaxValue - now).TotalMilliseconds:
                error = $"'{text}' is too long a delay";
                return false;
            default:
                at = now.ToUniversalTime() + TimeSpan.FromMilliseconds(milliseconds);
                error = "";
                return true;
        }
    }

    enum UnitsRead
    {
        Well,
        Badly,
        OutOfOrder,
    }

    /// <summary>Reads numbers with units from <paramref name="position"/> to the end of <paramref name="text"/>.</summary>
    static UnitsRead ReadUnits(string text, int position, out double milliseconds)
    {
        milliseconds = 0;
        var last = -1;
        while (position < text.Length)
        {
            var start = position;
            while (position < text.Length && (char.IsAsciiDigit(text[position]) || text[position] == '.'))
            {
                position++;
            }

            var number = text[start..position];
            var unit = Units.FirstOrDefault(u => text.AsSpan(position).StartsWith(u.Unit, StringComparison.Ordinal));
            if (number.Length == 0 || unit.Unit is null
                || !double.TryParse(number, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var amount))
            {
                return UnitsRead.Badly;
            }

            var rank = Array.IndexOf(Order, unit.Unit);
            if (rank <= last)
            {
                return UnitsRead.OutOfOrder;
            }

            last = rank;
            milliseconds += amount * unit.Milliseconds;
            position += unit.Unit.Length;
            while (position < text.Length && text[position] == ' ')
            {
                position++;
            }
        }

        return last < 0 ? UnitsRead.Badly : UnitsRead.Well;
    }

    // The shape of an ISO 8601 / RFC 3339 date-time, so that DateTimeOffset's lenient reader does not take "12/5 10:00"
    // or "tomorrow 10:00"; the offset is a group of its own so that its absence can be named.
    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?(?<offset>Z|[+-]\d{2}(?::?\d{2})?)?$",
        RegexOptions.IgnoreCase | RegexOptions.CultureInvariant, matchTimeoutMilliseconds: 1000)]
    private static partial Regex IsoDateTime();
}
