using System.Globalization;

namespace Supervisor.Cli.Rendering;

/// <summary>Text formatting shared by the views. Times arrive as UTC and are shown in local time.</summary>
static class Format
{
    public static string Time(DateTimeOffset at) => at.ToLocalTime().ToString("HH:mm:ss.fff", CultureInfo.InvariantCulture);

    public static string ShortTime(DateTimeOffset at) => at.ToLocalTime().ToString("HH:mm:ss", CultureInfo.InvariantCulture);

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
