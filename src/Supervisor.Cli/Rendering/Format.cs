using System.Globalization;

namespace Supervisor.Cli.Rendering;

/// <summary>Text formatting shared by the views. Times arrive as UTC and are shown in local time.</summary>
static class Format
{
    public static string Time(DateTimeOffset at) => at.ToLocalTime().ToString("HH:mm:ss.fff", CultureInfo.InvariantCulture);

    public static string ShortTime(DateTimeOffset at) => at.ToLocalTime().ToString("HH:mm:ss", CultureInfo.InvariantCulture);

    /// <summary>
    /// A time to come, such as a delayed task's start: <c>10:00:05</c> on the same local day as <paramref name="now"/>,
    /// <c>2026-12-05 10:00:05</c> on another, since a delay can run to days.
    /// </summary>
    public static string Moment(DateTimeOffset at, DateTimeOffset now)
    {
        var local = at.ToLocalTime();
        return local.Date == now.ToLocalTime().Date
            ? local.ToString("HH:mm:ss", CultureInfo.InvariantCulture)
            : local.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);
    }

    public static string ShortId(Guid id) => id.ToString("D")[..8];

    /// <summary>A compact age such as <c>42s</c>, <c>5m</c>, <c>3h</c> or <c>2d</c>.</summary>
    public static string Age(DateTimeOffset since, DateTimeOffset now)
    {
        var age = now - since;
        return age.TotalSeconds < 1 ? "0s"
            : age.TotalMinutes < 1 ? $"{(int)age.TotalSeconds}s"
            : age.TotalHours < 1 ? $"{(int)age.TotalMinutes}m"
            : age.TotalDays < 1 ? $"{(int)age.TotalHours}h"
            : $"{(int)age.TotalDays}d";
    }

    /// <summary>A duration such as <c>0.8s</c>, <c>12s</c>, <c>3m05s</c> or <c>1h02m</c>.</summary>
    public static string Duration(TimeSpan duration)
    {
        if (duration < TimeSpan.Zero)
        {
            duration = TimeSpan.Zero;
        }

        return duration.TotalSeconds < 10 ? duration.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture) + "s"
            : duration.TotalMinutes < 1 ? $"{(int)duration.TotalSeconds}s"
            : duration.TotalHours < 1 ? $"{(int)duration.TotalMinutes}m{duration.Seconds:00}s"
            : $"{(int)duration.TotalHours}h{duration.Minutes:00}m";
    }

    /// <summary>Time left in its two largest units: <c>42s</c>, <c>4m 10s</c>, <c>1h 5m</c>, <c>2d 3h</c>, <c>2h</c>.</summary>
    public static string Countdown(TimeSpan left)
    {
        var seconds = left < TimeSpan.Zero ? 0 : (long)left.TotalSeconds;
        (long Amount, string Unit)[] parts =
            [(seconds / 86_400, "d"), (seconds / 3_600 % 24, "h"), (seconds / 60 % 60, "m"), (seconds % 60, "s")];
        var first = Array.FindIndex(parts, p => p.Amount > 0);
        if (first < 0)
        {
            return "0s";
        }

        var text = $"{parts[first].Amount}{parts[first].Unit}";
        return first + 1 < parts.Length && parts[first + 1] is { Amount: > 0 } second ? $"{text} {second.Amount}{second.Unit}" : text;
    }

    /// <summary>
    /// A duration in its units from the largest down, as <c>--every</c> takes it: <c>2s</c>, <c>1h30m</c>, <c>1d</c>,
    /// <c>1s500ms</c>; what is finer than a millisecond is left out.
    /// </summary>
    public static string Units(TimeSpan duration)
    {
        var sign = duration < TimeSpan.Zero ? "-" : "";
        duration = duration.Duration();
        (long Amount, string Unit)[] parts =
        [
            ((long)duration.TotalDays, "d"), (duration.Hours, "h"), (duration.Minutes, "m"), (duration.Seconds, "s"),
            (duration.Milliseconds, "ms"),
        ];
        var text = string.Concat(parts.Where(p => p.Amount > 0).Select(p => $"{p.Amount}{p.Unit}"));
        return text.Length == 0 ? "0s" : sign + text;
    }

    /// <summary>A duration as the API writes it (<c>00:01:30</c>) in units (<c>1m30s</c>); text it cannot read, as it is.</summary>
    public static string Units(string? text) =>
        TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out var duration) ? Units(duration) : text ?? "";

    /// <summary>Collapses whitespace (including newlines) and cuts to <paramref name="max"/> characters with an ellipsis.</summary>
    public static string OneLine(string? text, int max)
    {
        if (string.IsNullOrEmpty(text))
        {
            return "";
        }

        var line = string.Join(' ', text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
        return line.Length <= max ? line : line[..(max - 1)] + "…";
    }
}
