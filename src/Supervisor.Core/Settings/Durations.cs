using System.Globalization;

namespace Supervisor.Settings;

/// <summary>
/// How every duration setting is written: a number with a unit (<c>250ms</c>, <c>30s</c>, <c>5m</c>, <c>1h</c>,
/// <c>2d</c>), several of them from the largest unit down (<c>1m30s</c>, <c>1h 15m</c>), or <see cref="TimeSpan"/>'s
/// own <c>[d.]hh:mm:ss[.fff]</c> (<c>00:00:30</c>). A bare number is refused: <see cref="TimeSpan"/> reads <c>2</c> as
/// two days, which nobody writing a retry interval means.
/// </summary>
public static class Durations
{
    /// <summary>The accepted forms, for messages.</summary>
    public const string Forms = "a number with a unit (250ms, 30s, 5m, 1h, 2d; combined as 1m30s) or hh:mm:ss (00:00:30)";

    // From the largest unit down; "ms" before "m" so that the longer unit wins.
    static readonly (string Unit, double Milliseconds)[] Units =
        [("d", 86_400_000), ("h", 3_600_000), ("ms", 1), ("m", 60_000), ("s", 1_000)];

    static readonly string[] Order = ["d", "h", "m", "s", "ms"];

    /// <summary>Reads <paramref name="text"/>, or throws a <see cref="FormatException"/> saying how to write it.</summary>
    public static TimeSpan Parse(string? text) =>
        TryParse(text, out var value, out var error) ? value : throw new FormatException(error);

    /// <summary>Reads <paramref name="text"/>; on failure <paramref name="error"/> says why and how to write it.</summary>
    public static bool TryParse(string? text, out TimeSpan value, out string error)
    {
        value = TimeSpan.Zero;
        error = "";
        var trimmed = text?.Trim() ?? "";
        if (trimmed.Length == 0)
        {
            error = $"no duration given: write {Forms}";
            return false;
        }

        if (trimmed.Contains(':', StringComparison.Ordinal))
        {
            if (TimeSpan.TryParse(trimmed, CultureInfo.InvariantCulture, out value))
                return true;
            error = $"'{trimmed}' is not a duration: write {Forms}";
            return false;
        }

        if (double.TryParse(trimmed, NumberStyles.Float, CultureInfo.InvariantCulture, out _))
        {
            error = $"'{trimmed}' has no unit: write {trimmed}s for seconds (or {trimmed}ms, {trimmed}m, {trimmed}h, {trimmed}d), " +
                "or hh:mm:ss such as 00:00:30";
            return false;
        }

        return TryParseUnits(trimmed, out value, out error);
    }

    static bool TryParseUnits(string text, out TimeSpan value, out string error)
    {
        value = TimeSpan.Zero;
        var negative = text.StartsWith('-');
        var rest = negative ? text[1..] : text;
        var milliseconds = 0.0;
        var last = -1;
        var position = 0;
        while (position < rest.Length)
        {
            var start = position;
            while (position < rest.Length && (char.IsAsciiDigit(rest[position]) || rest[position] == '.'))
                position++;
            var number = rest[start..position];
            var unit = Units.FirstOrDefault(u => rest.AsSpan(position).StartsWith(u.Unit, StringComparison.Ordinal));
            if (number.Length == 0 || unit.Unit is null
                || !double.TryParse(number, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var amount))
            {
                error = $"'{text}' is not a duration: write {Forms}";
                return false;
            }

            var rank = Array.IndexOf(Order, unit.Unit);
            if (rank <= last)
            {
                error = $"'{text}' is not a duration: give each unit once, from the largest down (1h30m, 1m30s)";
                return false;
            }

            last = rank;
            milliseconds += amount * unit.Milliseconds;
            position += unit.Unit.Length;
            while (position < rest.Length && rest[position] == ' ')
                position++;
        }

        if (milliseconds >= TimeSpan.MaxValue.TotalMilliseconds)
        {
            error = $"'{text}' is too long a duration";
            return false;
        }

        value = TimeSpan.FromMilliseconds(negative ? -milliseconds : milliseconds);
        error = "";
        return true;
    }
}
