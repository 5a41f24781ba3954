using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Supervisor.Rules.Limits;

namespace Supervisor.Rules.Interpretation;

/// <summary>
/// Limit signals in Claude Code's stream-json: its own retry of a 429 (<c>api_retry</c>, with the provider's
/// retry-after as <c>retry_delay_ms</c>), the <c>rate_limit_event</c> a subscription login gets when its window is spent
/// (<c>status: rejected</c>, <c>resetsAt</c> in Unix seconds), and the texts of its error message (usage window texts,
/// billing). Claude answers every API error with a synthetic assistant message and an <c>is_error</c> result.
/// </summary>
static partial class ClaudeLimits
{
    /// <summary>The signal in one line of stream-json; null when the line is not one.</summary>
    public static LimitSignal? Line(string line, LimitContext at) =>
        line.Contains("limit", StringComparison.OrdinalIgnoreCase) || line.Contains("\"api_retry\"", StringComparison.Ordinal)
        || line.Contains("billing", StringComparison.Ordinal) || line.Contains("Credit balance", StringComparison.Ordinal)
            ? JsonLines.Parse(line) is { } o ? Event(o, at) : null
            : null;

    public static LimitSignal? Event(JsonObject o, LimitContext at)
    {
        switch (JsonLines.Type(o))
        {
            case "system" when JsonLines.String(o["subtype"]) == "api_retry" && JsonLines.Long(o["error_status"]) == 429:
                var ms = JsonLines.Long(o["retry_delay_ms"]);
                return Signals.Of(LimitKind.RateLimit,
                    string.Create(CultureInfo.InvariantCulture, $"api_retry: HTTP 429 {JsonLines.String(o["error"])}, retry in {ms} ms"),
                    resetIn: ms is { } delay ? TimeSpan.FromMilliseconds(delay) : null);
            case "rate_limit_event" when o["rate_limit_info"] is JsonObject info && JsonLines.String(info["status"]) == "rejected":
                var resetsAt = JsonLines.Long(info["resetsAt"]);
                var window = JsonLines.String(info["rateLimitType"]);
                return Signals.Of(LimitKind.UsageWindow, $"rate_limit_event: rejected {window} resetsAt {resetsAt}",
                    resetsAt is { } unix ? ResetTimes.FromUnix(unix) : null, window: window);
            case "assistant" when JsonLines.String(o["error"]) is { } kind:
                return Text(Content(o), kind, null, at);
            case "result" when JsonLines.Bool(o["is_error"]):
                return Text(JsonLines.String(o["result"]) ?? "", null, (int?)JsonLines.Long(o["api_error_status"]), at);
            default:
                return null;
        }
    }

    static LimitSignal? Text(string text, string? errorKind, int? status, LimitContext at) =>
        UsageTexts.In(text, at)
        ?? (errorKind == "billing_error" || CreditBalance().IsMatch(text) ? Signals.Of(LimitKind.Billing, text)
            : errorKind == "rate_limit" || status == 429 ? Signals.Of(LimitKind.RateLimit, text, resetIn: UsageTexts.RetryIn(text))
            : null);

    static string Content(JsonObject o) =>
        string.Join(' ', (o["message"]?["content"] as JsonArray ?? []).Select(c => JsonLines.String(c?["text"])).OfType<string>());

    [GeneratedRegex(@"(?i)credit balance is too low", RegexOptions.None, matchTimeoutMilliseconds: 1000)]
    private static partial Regex CreditBalance();
}
