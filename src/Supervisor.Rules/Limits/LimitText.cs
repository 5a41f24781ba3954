using System.Globalization;
using System.Text;

namespace Supervisor.Rules.Limits;

/// <summary>
/// How the planner's messages (and the worker's notes in an attempt's output) write times, durations, kinds and dollars:
/// short, UTC, the same everywhere.
/// </summary>
public static class LimitText
{
    /// <summary>A UTC time: its time of day when it falls on <paramref name="now"/>'s day, with the date otherwise.</summary>
    public static string Time(DateTime at, DateTime now) =>
        at.ToString(at.Date == now.Date ? "HH:mm:ss'Z'" : "yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    /// <summary>A duration as a person writes it: <c>15m</c>, <c>1h30m</c>, <c>2d3h</c>, <c>1.5s</c>.</summary>
    public static string Duration(TimeSpan span)
    {
        if (span <= TimeSpan.Zero)
            return "0s";
        var text = new StringBuilder();
        Append(text, span.Days, "d");
        Append(text, span.Hours, "h");
        Append(text, span.Minutes, "m");
        var seconds = span.Seconds + (span.Milliseconds / 1000m);
        if (seconds > 0)
            text.Append(seconds.ToString("0.###", CultureInfo.InvariantCulture)).Append('s');
        return text.Length == 0 ? "0s" : text.ToString();
    }

    /// <summary>The kind as the API and the CLI name it in prose.</summary>
    public static string Kind(LimitKind kind) => kind switch
    {
        LimitKind.RateLimit => "rate limit",
        LimitKind.UsageWindow => "usage window",
        LimitKind.Quota => "quota",
        LimitKind.Billing => "billing",
        _ => kind.ToString(),
    };

    /// <summary>Dollars with two decimals, or up to four for fractions of a cent: <c>$3.10</c>, <c>$0.0868</c>.</summary>
    public static string Usd(decimal amount) => "$" + amount.ToString("0.00##", CultureInfo.InvariantCulture);

    static void Append(StringBuilder text, int value, string unit)
    {
        if (value > 0)
            text.Append(value.ToString(CultureInfo.InvariantCulture)).Append(unit);
    }
}
