using System.Globalization;
using System.Text.RegularExpressions;

namespace Supervisor.Rules.Limits;

/// <summary>
/// Limit signals in the output of a profile without a known format (<c>plain</c>): an HTTP <c>retry-after</c> header
/// line (seconds or an HTTP date) and the usage-window texts CLIs print (<see cref="UsageTexts"/>). Only clear evidence
/// counts: ordinary text about limits ("the rate limit resets every hour") gives no signal.
/// </summary>
public static partial class GenericLimits
{
    /// <summary>The signal in one line of output; null when it is none.</summary>
    public static LimitSignal? InLine(string line, LimitContext at)
    {
        if (RetryAfterHeader().Match(line) is { Success: true } header)
        {
            var value = header.Groups["v"].Value.Trim();
            if (long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds))
                return Signals.Of(LimitKind.RateLimit, line, resetIn: TimeSpan.FromSeconds(seconds));
            if (DateTime.TryParseExact(value, "r", CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var date))
                return Signals.Of(LimitKind.RateLimit, line, DateTime.SpecifyKind(date, DateTimeKind.Utc));
            return null;
        }

        return UsageTexts.In(line, at);
    }

    /// <summary>The strongest signal in all lines of <paramref name="text"/> (see <see cref="InLine"/>); null when there is none.</summary>
    public static LimitSignal? In(string text, LimitContext at)
    {
        LimitSignal? strongest = null;
        foreach (var line in text.Split('\n'))
            strongest = Signals.Stronger(strongest, InLine(line, at));
        return strongest;
    }

    [GeneratedRegex(@"^\s*(?:<\s*)?retry-after\s*:\s*(?<v>\S.*?)\s*$", RegexOptions.IgnoreCase, matchTimeoutMilliseconds: 1000)]
    private static partial Regex RetryAfterHeader();
}
