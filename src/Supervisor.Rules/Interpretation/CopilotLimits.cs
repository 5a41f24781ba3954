using System.Text.Json.Nodes;
using Supervisor.Rules.Limits;

namespace Supervisor.Rules.Interpretation;

/// <summary>
/// Limit signals in Copilot CLI's JSON events: its own retry of a rate-limited turn (<c>assistant.turn_retry</c>, reason
/// <c>rate_limit</c>) and the error it ends with (<c>session.error</c>, <c>statusCode</c> 429, whose message may say how
/// long to wait: "Please try again in 2 hours").
/// </summary>
static class CopilotLimits
{
    public static LimitSignal? Line(string line) =>
        (line.Contains("\"assistant.turn_retry\"", StringComparison.Ordinal) || line.Contains("\"session.error\"", StringComparison.Ordinal))
        && JsonLines.Parse(line) is { } o
            ? Event(o)
            : null;

    public static LimitSignal? Event(JsonObject o) => JsonLines.Type(o) switch
    {
        "assistant.turn_retry" when JsonLines.String(o["data"]?["reason"]) == "rate_limit" =>
            Signals.Of(LimitKind.RateLimit, $"assistant.turn_retry: rate_limit ({JsonLines.String(o["data"]?["model"])})"),
        "session.error" when o["data"] is JsonObject error && IsRateLimit(error) => RateLimit(JsonLines.String(error["message"]) ?? "HTTP 429"),
        _ => null,
    };

    static bool IsRateLimit(JsonObject error) =>
        JsonLines.Long(error["statusCode"]) == 429 || JsonLines.String(error["errorType"]) is "rate_limit" or "rate_limited";

    static LimitSignal RateLimit(string message) => Signals.Of(LimitKind.RateLimit, message, resetIn: UsageTexts.RetryIn(message));
}
