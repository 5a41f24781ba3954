using System.Text.Json.Nodes;
using Supervisor.Contracts;
using Supervisor.Rules.Limits;

namespace Supervisor.Rules.Interpretation;

/// <summary>
/// Codex CLI's <c>exec --json</c> events: <c>turn.completed</c> (with usage) or <c>turn.failed</c> (with the error
/// message, which names the HTTP status where there was one); the last <c>agent_message</c> is the answer. A command the
/// sandbox refused (<c>Read-only file system</c>) means the profile did not let codex write its workspace.
/// </summary>
sealed class CodexJsonl : IOutputFormat
{
    public string Name => "codex-jsonl";

    public AgentReport? Interpret(ProcessOutcome outcome, string stdoutTail, string stderrTail, LimitContext at)
    {
        string? failure = null, lastError = null, answer = null, denied = null;
        long? input = null, output = null;
        var seen = false;
        foreach (var o in JsonLines.Objects(stdoutTail))
        {
            seen = true;
            switch (JsonLines.Type(o))
            {
                case "turn.failed":
                    failure = JsonLines.String(o["error"]?["message"]) ?? "turn failed";
                    break;
                case "error":
                    lastError = JsonLines.String(o["message"]);
                    break;
                case "turn.completed":
                    input = (input ?? 0) + (JsonLines.Long(o["usage"]?["input_tokens"]) ?? 0);
                    output = (output ?? 0) + (JsonLines.Long(o["usage"]?["output_tokens"]) ?? 0);
                    break;
                case "item.completed" when o["item"] is JsonObject item:
                    if (JsonLines.String(item["type"]) == "agent_message")
                        answer = JsonLines.String(item["text"]);
                    else if (JsonLines.String(item["aggregated_output"]) is { } toolOutput && toolOutput.Contains("Read-only file system", StringComparison.Ordinal))
                        denied = JsonLines.String(item["command"]) ?? JsonLines.String(item["type"]);
                    break;
            }
        }

        if (!seen)
            return null;
        var usage = input is null && output is null ? null : new AttemptUsage(input, output, null);
        if (outcome.TimedOut)
            return new AgentReport(null, null, null, usage, null);

        // A failed turn, or an error the CLI exited on without a turn.failed (e.g. its retries ran out before a turn began).
        if ((failure ?? (outcome.ExitCode is not 0 ? lastError : null)) is { } message)
        {
            var status = ProviderErrors.StatusIn(message);
            return new AgentReport(ProviderErrors.Classify(status, message) ?? ErrorClasses.AgentFailure, "codex: " + ProviderErrors.Describe(status, message),
                null, usage, null, CodexLimits.Message(message, at));
        }

        if (denied is not null)
        {
            return new AgentReport(ErrorClasses.AgentFailure,
                $"codex's sandbox refused a write (Read-only file system) in: {ProviderErrors.Trim(denied)}; check the profile's sandbox flags", null, usage,
                Summaries.Of(answer));
        }

        return new AgentReport(null, null, null, usage, Summaries.Of(answer));
    }

    public string? RetryNotice(string stream, string line)
    {
        if (stream != "stdout" || !line.Contains("Reconnecting", StringComparison.Ordinal) || JsonLines.Parse(line) is not { } o
            || JsonLines.Type(o) != "error")
        {
            return null;
        }

        return "codex retries on its own: " + ProviderErrors.Trim(JsonLines.String(o["message"]) ?? "");
    }

    public LimitSignal? Limit(string stream, string line, LimitContext at) => stream == "stdout" ? CodexLimits.Line(line, at) : null;
}
