using System.Globalization;
using System.Text.RegularExpressions;

namespace Supervisor.Rules.Retries;

/// <summary>A retry-after hint in an agent's output: an HTTP header, a JSON field or prose ("try again in 30s").</summary>
public static partial class RetryAfterHint
{
    /// <summary>The longest hint in <paramref name="text"/>, or null when there is none. A number without unit is seconds.</summary>
    public static TimeSpan? In(string text)
    {
        TimeSpan? longest = null;
        foreach (Match match in RetryAfterPattern().Matches(text))
        {
            if (!double.TryParse(match.Groups["n"].Value, NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
                continue;
            var unit = match.Groups["unit"].Value.ToLowerInvariant();
            var hint = unit == "ms" || unit.StartsWith("milli", StringComparison.Ordinal) ? TimeSpan.FromMilliseconds(value)
                : unit.StartsWith('m') ? TimeSpan.FromMinutes(value)
                : TimeSpan.FromSeconds(value);
            if (longest is null || hint > longest)
                longest = hint;
        }

        return longest;
    }

    [GeneratedRegex(@"(?:retry[-_ ]?after|retryDelay|try again in|retry in)[""']?\s*[:=]?\s*[""']?(?<n>\d+(?:\.\d+)?)\s*(?<unit>ms|milliseconds?|s|sec|seconds?|m|min|minutes?)?\b",
        RegexOptions.IgnoreCase, matchTimeoutMilliseconds: 1000)]
    private static partial Regex RetryAfterPattern();
}
