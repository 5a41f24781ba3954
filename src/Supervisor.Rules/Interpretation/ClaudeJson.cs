using System.Globalization;
using System.Text.Json.Nodes;
using Supervisor.Contracts;
using Supervisor.Rules.Limits;

namespace Supervisor.Rules.Interpretation;

/// <summary>
/// Claude Code's <c>--output-format json</c> (one object) or <c>stream-json --verbose</c> (JSON lines): the final
/// <c>result</c> object decides. Claude ends with <c>"subtype":"success"</c> and often exit 0 even when the API call
/// failed, so <c>is_error</c>, <c>api_error_status</c> and the assistant message's <c>error</c> are read; a run that
/// had tool calls denied (<c>permission_denials</c>) did not do its work.
/// </summary>
sealed class ClaudeJson : IOutputFormat
{
    public string Name => "claude-json";

    public AgentReport? Interpret(ProcessOutcome outcome, string stdoutTail, string stderrTail, LimitContext at)
    {
        JsonObject? result = null;
        string? errorKind = null;
        TimeSpan? retryAfter = null;
        LimitSignal? limit = null;
        foreach (var o in JsonLines.Objects(stdoutTail))
        {
            limit = Signals.Stronger(limit, ClaudeLimits.Event(o, at));
            switch (JsonLines.Type(o))
            {
                case "result":
                    result = o;
                    break;
                case "assistant" when JsonLines.String(o["error"]) is { } kind:
                    errorKind = kind;
                    break;
                case "system" when JsonLines.String(o["subtype"]) == "api_retry" && JsonLines.Long(o["error_status"]) == 429
                                   && JsonLines.Long(o["retry_delay_ms"]) is { } ms:
                    // Claude waits the provider's retry-after before its own retry; the next attempt should too.
                    var delay = TimeSpan.FromMilliseconds(ms);
                    retryAfter = retryAfter is { } longest && longest > delay ? longest : delay;
                    break;
            }
        }

        if (result is null)
            return null;

        var usage = Usage(result);
        var text = JsonLines.String(result["result"]) ?? "";
        if (outcome.TimedOut)
            return new AgentReport(null, null, null, usage, null);

        if (JsonLines.Bool(result["is_error"]))
        {
            var status = (int?)JsonLines.Long(result["api_error_status"]);
            var errorClass = ProviderErrors.Classify(status, $"{errorKind} {text}") ?? ErrorClasses.AgentFailure;
            // A signal only when the attempt ended on a limit; the events before it then say more (the retry delay, the reset).
            var endedOnLimit = ClaudeLimits.Event(result, at) is not null;
            return new AgentReport(errorClass, "claude: " + ProviderErrors.Describe(status, text), retryAfter, usage, null, endedOnLimit ? limit : null);
        }

        if (result["permission_denials"] is JsonArray { Count: > 0 } denials)
        {
            var denied = string.Join(", ", denials.Take(5).Select(d => $"{JsonLines.String(d?["tool_name"])} {Target(d?["tool_input"])}".Trim()));
            return new AgentReport(ErrorClasses.AgentFailure,
                $"claude was denied permission for {denials.Count} tool call(s) ({denied}); check the profile's permission flags", null, usage,
                Summaries.Of(text));
        }

        return new AgentReport(null, null, null, usage, Summaries.Of(text));
    }

    public string? RetryNotice(string stream, string line)
    {
        if (stream != "stdout" || !line.Contains("\"api_retry\"", StringComparison.Ordinal) || JsonLines.Parse(line) is not { } o
            || JsonLines.String(o["subtype"]) != "api_retry")
        {
            return null;
        }

        var status = JsonLines.Long(o["error_status"]) is { } s ? $"HTTP {s} " : "";
        var delay = JsonLines.Long(o["retry_delay_ms"]) is { } ms ? string.Create(CultureInfo.InvariantCulture, $", next try in {ms / 1000.0:0.0}s") : "";
        return $"claude retries on its own ({JsonLines.Long(o["attempt"])}/{JsonLines.Long(o["max_retries"])}): {status}{JsonLines.String(o["error"])}{delay}";
    }

    public LimitSignal? Limit(string stream, string line, LimitContext at) => stream == "stdout" ? ClaudeLimits.Line(line, at) : null;

    static AttemptUsage? Usage(JsonObject result)
    {
        var usage = result["usage"];
        var input = Sum(JsonLines.Long(usage?["input_tokens"]), JsonLines.Long(usage?["cache_creation_input_tokens"]),
            JsonLines.Long(usage?["cache_read_input_tokens"]));
        var output = JsonLines.Long(usage?["output_tokens"]);
        var cost = JsonLines.Decimal(result["total_cost_usd"]);
        return input is null && output is null && cost is null ? null : new AttemptUsage(input, output, cost);
    }

    static long? Sum(params long?[] values) => values.Any(v => v is not null) ? values.Sum(v => v ?? 0) : null;

    static string Target(JsonNode? input) =>
        JsonLines.String(input?["file_path"]) ?? JsonLines.String(input?["command"]) ?? JsonLines.String(input?["path"]) ?? "";
}
