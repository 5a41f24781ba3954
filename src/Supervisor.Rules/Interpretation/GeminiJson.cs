using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Supervisor.Contracts;
using Supervisor.Rules.Limits;

namespace Supervisor.Rules.Interpretation;

/// <summary>
/// Gemini CLI's <c>-o stream-json</c> (JSON lines ending with a <c>result</c> event) or <c>-o json</c> (one object on
/// stdout, or on stderr when it failed). On an API error it exits with the HTTP status modulo 256 (429 → 173), which
/// gives the status when the message does not; 41 and 55 are its configuration errors.
/// </summary>
sealed partial class GeminiJson : IOutputFormat
{
    /// <summary>Exit codes that are an HTTP status modulo 256.</summary>
    static readonly Dictionary<int, int> StatusByExitCode = new[] { 400, 401, 402, 403, 404, 408, 409, 429, 500, 502, 503, 504 }.ToDictionary(s => s % 256);

    public string Name => "gemini-json";

    public AgentReport? Interpret(ProcessOutcome outcome, string stdoutTail, string stderrTail, LimitContext at)
    {
        JsonObject? result = null;
        var answer = new StringBuilder();
        foreach (var o in JsonLines.Objects(stdoutTail))
        {
            switch (JsonLines.Type(o))
            {
                case "result":
                    result = o;
                    break;
                case "message" when JsonLines.String(o["role"]) == "assistant":
                    answer.Append(JsonLines.String(o["content"]));
                    break;
                case "" when o["response"] is not null || o["error"] is not null:
                    result = o; // -o json
                    answer.Append(JsonLines.String(o["response"]));
                    break;
            }
        }

        var error = result?["error"] ?? JsonObjectIn(stderrTail)?["error"];
        var usage = Usage(result?["stats"]);
        if (result is null && error is null)
            return outcome.ExitCode is 41 or 55 ? ConfigurationError(outcome.ExitCode.Value, stderrTail) : null;
        if (outcome.TimedOut)
            return new AgentReport(null, null, null, usage, null);

        if (error is not null || JsonLines.String(result?["status"]) == "error")
        {
            var message = JsonLines.String(error?["message"]) ?? "gemini reported an error";
            var status = (int?)JsonLines.Long(error?["code"])
                         ?? (outcome.ExitCode is { } code && StatusByExitCode.TryGetValue(code, out var s) ? s : ProviderErrors.StatusIn(message));
            var errorClass = ProviderErrors.Classify(status, message + "\n" + stderrTail) ?? ErrorClasses.AgentFailure;
            return new AgentReport(errorClass, "gemini: " + ProviderErrors.Describe(status, message), null, usage, null,
                GeminiLimits.Text(message + "\n" + stderrTail, at) ?? (status == 429 ? Signals.Of(LimitKind.RateLimit, message) : null));
        }

        return new AgentReport(null, null, null, usage, Summaries.Of(answer.ToString()));
    }

    public string? RetryNotice(string stream, string line) =>
        stream == "stderr" && RetryLine().Match(line) is { Success: true } m ? "gemini retries on its own: " + ProviderErrors.Trim(m.Value) : null;

    public LimitSignal? Limit(string stream, string line, LimitContext at) => GeminiLimits.Line(stream, line, at);

    static AgentReport ConfigurationError(int exitCode, string stderrTail)
    {
        var why = exitCode == 41 ? "no usable auth method (settings.json security.auth.selectedType)" : "the workspace is not a trusted directory (--skip-trust)";
        var line = stderrTail.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault() ?? "";
        return new AgentReport(ErrorClasses.Fatal, $"gemini exited {exitCode}: {why}. {ProviderErrors.Trim(line)}".TrimEnd(), null, null, null);
    }

    static AttemptUsage? Usage(JsonNode? stats)
    {
        if (stats is null)
            return null;
        var input = JsonLines.Long(stats["input_tokens"]);
        var output = JsonLines.Long(stats["output_tokens"]);
        if (input is null && output is null && stats["models"] is JsonObject models)
        {
            // -o json: per-model token counts.
            input = models.Sum(m => JsonLines.Long(m.Value?["tokens"]?["prompt"]) ?? 0);
            output = models.Sum(m => JsonLines.Long(m.Value?["tokens"]?["candidates"]) ?? 0);
        }

        return input is null && output is null ? null : new AttemptUsage(input, output, null);
    }

    /// <summary>The JSON object gemini prints (possibly over several lines) on stderr when <c>-o json</c> fails.</summary>
    static JsonObject? JsonObjectIn(string text)
    {
        var start = text.IndexOf("{\n", StringComparison.Ordinal) is var i && i >= 0 ? i : text.IndexOf("{\"", StringComparison.Ordinal);
        var end = text.LastIndexOf('}');
        if (start < 0 || end <= start)
            return null;
        try
        {
            return JsonNode.Parse(text[start..(end + 1)]) as JsonObject;
        }
        catch (System.Text.Json.JsonException)
        {
            return null;
        }
    }

    [GeneratedRegex(@"Attempt \d+ failed.*Retrying.*", RegexOptions.None, matchTimeoutMilliseconds: 1000)]
    private static partial Regex RetryLine();
}
