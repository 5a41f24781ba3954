using System.Text.RegularExpressions;
using Supervisor.Rules.Limits;

namespace Supervisor.Rules.Interpretation;

/// <summary>
/// Limit signals in Gemini CLI's output: its error message (stream-json <c>result</c>, or the JSON it prints on stderr)
/// and its stderr lines. Gemini turns the API's RetryInfo into "Suggested retry after 30s." (a RetryableQuotaError: a
/// rate limit to wait out) and a per-day quota, or a retry delay over 5 minutes, into a TerminalQuotaError ("You have
/// exhausted your daily quota on this model."): waiting minutes does not help, the quota resets at midnight Pacific
/// time (Google's per-day quotas) unless the error says when.
/// </summary>
static partial class GeminiLimits
{
    static readonly TimeZoneInfo? Pacific = ResetTimes.Zone("America/Los_Angeles");

    /// <summary>The signal in a live line (stderr, or a stream-json <c>result</c> on stdout); null when it is none.</summary>
    public static LimitSignal? Line(string stream, string line, LimitContext at)
    {
        if (stream == "stderr")
            return Text(line, at);
        var result = stream == "stdout" && line.Contains("\"error\"", StringComparison.Ordinal) ? JsonLines.Parse(line) : null;
        return JsonLines.String(result?["error"]?["message"]) is { } message ? Text(message, at) : null;
    }

    /// <summary>The signal in an error message and stderr of gemini; null when it is no limit.</summary>
    public static LimitSignal? Text(string text, LimitContext at)
    {
        var delay = UsageTexts.RetryIn(text);
        if (Terminal().Match(text) is { Success: true } terminal)
        {
            var midnight = delay is null && Pacific is not null ? ResetTimes.NextMidnight(at.Now, Pacific) : (DateTime?)null;
            return Signals.Of(LimitKind.Quota, Signals.LineAt(text, terminal.Index), midnight, delay);
        }

        if (delay is not null && Delay().Match(text) is { Success: true } retry)
            return Signals.Of(LimitKind.RateLimit, Signals.LineAt(text, retry.Index), resetIn: delay);
        if (QuotaFailure().Match(text) is { Success: true } failure)
            return Signals.Of(LimitKind.Quota, Signals.LineAt(text, failure.Index), Pacific is not null ? ResetTimes.NextMidnight(at.Now, Pacific) : null);
        return RateLimit().Match(text) is { Success: true } limit ? Signals.Of(LimitKind.RateLimit, Signals.LineAt(text, limit.Index)) : null;
    }

    [GeneratedRegex(@"TerminalQuotaError|exhausted your daily quota", RegexOptions.IgnoreCase, matchTimeoutMilliseconds: 1000)]
    private static partial Regex Terminal();

    [GeneratedRegex(@"Suggested retry after|Please retry in|retryDelay", RegexOptions.IgnoreCase, matchTimeoutMilliseconds: 1000)]
    private static partial Regex Delay();

    [GeneratedRegex(@"QuotaFailure", RegexOptions.None, matchTimeoutMilliseconds: 1000)]
    private static partial Regex QuotaFailure();

    [GeneratedRegex(@"\bRESOURCE_EXHAUSTED\b|Resource has been exhausted|Attempt \d+ failed with status 429", RegexOptions.None, matchTimeoutMilliseconds: 1000)]
    private static partial Regex RateLimit();
}
