using System.Text.Json.Nodes;
using Supervisor.Contracts;
using Supervisor.Rules.Limits;

namespace Supervisor.Rules.Interpretation;

/// <summary>
/// Copilot CLI's <c>--output-format json</c> events: <c>session.error</c> (with <c>errorType</c> and <c>statusCode</c>),
/// the last <c>assistant.message</c> as the answer, and <c>result.exitCode</c>.
/// </summary>
sealed class CopilotJsonl : IOutputFormat
{
    public string Name => "copilot-jsonl";

    public AgentReport? Interpret(ProcessOutcome outcome, string stdoutTail, string stderrTail, LimitContext at)
    {
        JsonObject? error = null;
        string? answer = null;
        LimitSignal? limit = null;
        var seen = false;
        foreach (var o in JsonLines.Objects(stdoutTail))
        {
            seen = true;
            if (JsonLines.Type(o) == "session.error")
                limit = CopilotLimits.Event(o); // The error it ends on; its retries before are live signals only.
            switch (JsonLines.Type(o))
            {
                case "session.error":
                    error = o["data"] as JsonObject;
                    break;
                case "assistant.message" when JsonLines.String(o["data"]?["content"]) is { Length: > 0 } content:
                    answer = content;
                    break;
            }
        }

        if (!seen)
            return null;
        if (outcome.TimedOut)
            return new AgentReport(null, null, null, null, null);
        if (error is not null)
        {
            var message = JsonLines.String(error["message"]) ?? "copilot reported an error";
            var status = (int?)JsonLines.Long(error["statusCode"]);
            var errorClass = ProviderErrors.Classify(status, $"{JsonLines.String(error["errorType"])} {message}") ?? ErrorClasses.AgentFailure;
            return new AgentReport(errorClass, "copilot: " + ProviderErrors.Describe(status, message), null, null, null, limit);
        }

        return new AgentReport(null, null, null, null, Summaries.Of(answer));
    }

    public string? RetryNotice(string stream, string line)
    {
        if (stream != "stdout" || !line.Contains("\"assistant.turn_retry\"", StringComparison.Ordinal) || JsonLines.Parse(line) is not { } o)
            return null;
        return $"copilot retries on its own: {JsonLines.String(o["data"]?["reason"])}";
    }

    public LimitSignal? Limit(string stream, string line, LimitContext at) => stream == "stdout" ? CopilotLimits.Line(line) : null;
}
