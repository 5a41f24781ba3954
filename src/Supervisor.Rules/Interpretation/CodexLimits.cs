using System.Text.RegularExpressions;
using Supervisor.Rules.Limits;

namespace Supervisor.Rules.Interpretation;

/// <summary>
/// Limit signals in Codex CLI's exec --json: the message of an <c>error</c> or <c>turn.failed</c> event. Codex prints a
/// spent usage window as "You've hit your usage limit. … try again in …/at …" (its backend's usage_limit_reached 429
/// behind it), an exhausted API quota as "Quota exceeded. Check your plan and billing details.", a rate limit as its
/// last status (429 Too Many Requests) once its own retries are spent, and each retry as "Reconnecting... N/M (…)".
/// </summary>
static partial class CodexLimits
{
    public static LimitSignal? Line(string line, LimitContext at)
    {
        if (!line.Contains("\"error\"", StringComparison.Ordinal) && !line.Contains("\"turn.failed\"", StringComparison.Ordinal))
            return null;
        if (JsonLines.Parse(line) is not { } o)
            return null;
        return JsonLines.Type(o) switch
        {
            "error" => Message(JsonLines.String(o["message"]) ?? "", at),
            "turn.failed" => Message(JsonLines.String(o["error"]?["message"]) ?? "", at),
            _ => null,
        };
    }

    /// <summary>The signal in an error message of codex; null when it is no limit.</summary>
    public static LimitSignal? Message(string message, LimitContext at) =>
        UsageTexts.In(message, at)
        ?? (Quota().IsMatch(message) ? Signals.Of(LimitKind.Quota, message)
            : RateLimit().IsMatch(message) ? Signals.Of(LimitKind.RateLimit, message, resetIn: UsageTexts.RetryIn(message))
            : null);

    [GeneratedRegex(@"(?i)quota exceeded|insufficient_quota|exceeded your current quota", RegexOptions.None, matchTimeoutMilliseconds: 1000)]
    private static partial Regex Quota();

    [GeneratedRegex(@"(?i)\b429\b|too many requests|rate[_ ]limit", RegexOptions.None, matchTimeoutMilliseconds: 1000)]
    private static partial Regex RateLimit();
}
