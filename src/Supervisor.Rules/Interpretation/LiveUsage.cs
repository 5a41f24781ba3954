using System.Text;
using System.Text.Json.Nodes;
using Supervisor.Contracts;

namespace Supervisor.Rules.Interpretation;

/// <summary>
/// What an agent has spent so far, read from its stdout as the lines arrive (<see cref="Write"/>), in the formats whose
/// output reports usage (<see cref="For"/>). Tokens are input (cache included) plus output, as the final report counts
/// them; a cost only where the output states one. Claude Code's <c>stream-json</c> prints an <c>assistant</c> event per
/// content block, each repeating its message's usage: each message id counts once, with the latest usage it showed; its
/// closing <c>result</c> event states the run's total usage and <c>total_cost_usd</c>, which then stand for the sum. Codex's
/// <c>exec --json</c> reports each turn's usage on <c>turn.completed</c>; gemini's <c>stream-json</c> only in its closing
/// <c>result</c> (its <c>stats</c>). Copilot's JSON reports no tokens at all, so it has no reader. Not thread-safe: one
/// caller at a time.
/// </summary>
public sealed class LiveUsage
{
    /// <summary>A line longer than this is dropped unread (a tool result with a whole file in it); a later total covers it.</summary>
    const int LongestLine = 1024 * 1024;

    readonly string _format;
    readonly StringBuilder _partial = new();
    readonly Dictionary<string, (long Input, long Output)> _messages = new(StringComparer.Ordinal);
    long? _input;
    long? _output;
    decimal? _cost;
    bool _final;
    bool _skipping;

    LiveUsage(string format) => _format = format;

    /// <summary>A reader for <paramref name="format"/> (<c>Supervisor:Agents:&lt;name&gt;:OutputFormat</c>); null for a format whose output reports no usage.</summary>
    public static LiveUsage? For(string format) => Reports(format) ? new LiveUsage(format) : null;

    /// <summary>Whether the output of <paramref name="format"/> reports usage (claude, codex, gemini; not copilot, not <c>plain</c>).</summary>
    public static bool Reports(string format) => format is "claude-json" or "codex-jsonl" or "gemini-json";

    /// <summary>Input plus output tokens seen so far; null until the output has reported some.</summary>
    public long? Tokens => _input is null && _output is null ? null : (_input ?? 0) + (_output ?? 0);

    /// <summary>The cost the output stated; null until it has (claude's closing <c>result</c> only).</summary>
    public decimal? CostUsd => _cost;

    /// <summary>What was seen so far, as an attempt reports it; null when nothing was.</summary>
    public AttemptUsage? Usage => _input is null && _output is null && _cost is null ? null : new AttemptUsage(_input, _output, _cost);

    /// <summary>Reads a piece of the agent's output (whole lines of stdout only); true when it changed what is spent.</summary>
    public bool Write(string stream, string text)
    {
        if (stream != "stdout")
            return false;
        var changed = false;
        var start = 0;
        for (var end = text.IndexOf('\n', start); end >= 0; end = text.IndexOf('\n', start))
        {
            if (_skipping)
                _skipping = false;
            else if (_partial.Length > 0)
                changed |= ReadLine(_partial.Append(text, start, end - start).ToString());
            else
                changed |= ReadLine(text[start..end]);
            _partial.Clear();
            start = end + 1;
        }

        if (start < text.Length && !_skipping)
        {
            // The rest of a runaway line is skipped up to its end, not read as a line of its own.
            _skipping = _partial.Length + text.Length - start > LongestLine;
            if (_skipping)
                _partial.Clear();
            else
                _partial.Append(text, start, text.Length - start);
        }

        return changed;
    }

    /// <summary>Reads one whole line of stdout; true when it changed what is spent.</summary>
    public bool ReadLine(string line)
    {
        // Most lines carry no usage: a substring test keeps them from being parsed.
        var marker = _format switch
        {
            "claude-json" => "\"usage\"",
            "codex-jsonl" => "\"turn.completed\"",
            _ => "\"stats\"",
        };
        if (_final || !line.Contains(marker, StringComparison.Ordinal) || JsonLines.Parse(line) is not { } o)
            return false;
        return (_format, JsonLines.Type(o)) switch
        {
            ("claude-json", "assistant") => ClaudeMessage(o["message"]),
            ("claude-json", "result") => Total(o["usage"], JsonLines.Decimal(o["total_cost_usd"])),
            ("codex-jsonl", "turn.completed") => Add(JsonLines.Long(o["usage"]?["input_tokens"]), JsonLines.Long(o["usage"]?["output_tokens"])),
            ("gemini-json", "result") => Total(o["stats"], null),
            _ => false,
        };
    }

    bool ClaudeMessage(JsonNode? message)
    {
        if (message?["usage"] is not JsonObject usage)
            return false;
        var (input, output) = (ClaudeInput(usage) ?? 0, JsonLines.Long(usage["output_tokens"]) ?? 0);
        var id = JsonLines.String(message["id"]);
        if (id is not null && _messages.TryGetValue(id, out var before))
        {
            if (before == (input, output))
                return false;
            // The same message again, its usage grown as it streamed: only the growth is new.
            _messages[id] = (input, output);
            return Add(input - before.Input, output - before.Output);
        }

        if (id is not null)
            _messages[id] = (input, output);
        return Add(input, output);
    }

    /// <summary>
    /// A closing total: nothing after it counts. It is the run's own count, so it wins over the sum; but never lowers
    /// it, as an error result may report less (or none) of what its messages showed.
    /// </summary>
    bool Total(JsonNode? usage, decimal? cost)
    {
        _final = true;
        var input = Max(_input, _format == "claude-json" ? ClaudeInput(usage) : JsonLines.Long(usage?["input_tokens"]));
        var output = Max(_output, JsonLines.Long(usage?["output_tokens"]));
        var changed = (input, output, cost ?? _cost) != (_input, _output, _cost);
        (_input, _output, _cost) = (input, output, cost ?? _cost);
        return changed;
    }

    static long? Max(long? a, long? b) => a is null ? b : b is null ? a : Math.Max(a.Value, b.Value);

    bool Add(long? input, long? output)
    {
        if (input is null && output is null)
            return false;
        _input = (_input ?? 0) + (input ?? 0);
        _output = (_output ?? 0) + (output ?? 0);
        return (input ?? 0) != 0 || (output ?? 0) != 0;
    }

    static long? ClaudeInput(JsonNode? usage)
    {
        long?[] parts = [JsonLines.Long(usage?["input_tokens"]), JsonLines.Long(usage?["cache_creation_input_tokens"]), JsonLines.Long(usage?["cache_read_input_tokens"])];
        return parts.Any(p => p is not null) ? parts.Sum(p => p ?? 0) : null;
    }
}
