using Supervisor.Contracts;
using Supervisor.Rules.Interpretation;

namespace Supervisor.Tests.Rules.Interpretation;

public sealed class LiveUsageSpecs
{
    /// <summary>One assistant event of claude's stream-json, in the shape claude 2.1.197 prints (Samples/claude-ok.stdout).</summary>
    static string ClaudeAssistant(string id, string block, long input, long output, long cacheRead = 0) =>
        """{"type":"assistant","message":{"id":""" + $"\"{id}\"" + ""","type":"message","role":"assistant","model":"claude-sonnet-4-5","content":[""" + block
        + """],"stop_reason":null,"usage":{""" + FormattableString.Invariant($"\"input_tokens\":{input},\"cache_creation_input_tokens\":0,\"cache_read_input_tokens\":{cacheRead},\"output_tokens\":{output}")
        + """}},"parent_tool_use_id":null,"session_id":"s"}""";

    /// <summary>Feeds the sample's stdout in pieces of <paramref name="piece"/> characters, as a pipe delivers it.</summary>
    static LiveUsage Read(string format, string stdout, int piece = 700)
    {
        var usage = LiveUsage.For(format)!;
        for (var i = 0; i < stdout.Length; i += piece)
            usage.Write("stdout", stdout.Substring(i, Math.Min(piece, stdout.Length - i)));
        return usage;
    }

    [Fact]
    public void Claudes_messages_count_as_they_arrive_and_its_result_states_the_total_and_the_cost()
    {
        var sample = Sample.Load("claude-ok");
        var lines = sample.Stdout.Split('\n');
        var result = Array.FindIndex(lines, l => l.StartsWith("""{"type":"result""", StringComparison.Ordinal));

        var beforeResult = Read("claude-json", string.Join('\n', lines[..result]) + "\n");
        var whole = Read("claude-json", sample.Stdout);

        // Two messages of 28 786 + 1 and 28 900 + 1 tokens; no cost until the result says it.
        Assert.Equal((57_688L, (decimal?)null), (beforeResult.Tokens, beforeResult.CostUsd));
        Assert.Equal((57_735L, 0.17379299999999998m), (whole.Tokens, whole.CostUsd!.Value));
        // The same count as the final report's.
        Assert.Equal(sample.Interpret("claude-json")!.Usage, whole.Usage);
    }

    [Fact]
    public void A_claude_message_printed_as_several_events_counts_once_with_its_latest_usage()
    {
        var usage = LiveUsage.For("claude-json")!;
        // Claude prints one assistant event per content block, each carrying its message's usage so far.
        usage.Write("stdout", ClaudeAssistant("msg_1", """{"type":"thinking","thinking":"…"}""", 3, 10, cacheRead: 20_000) + "\n");
        usage.Write("stdout", ClaudeAssistant("msg_1", """{"type":"text","text":"I will write it."}""", 3, 10, cacheRead: 20_000) + "\n");
        Assert.Equal(20_013, usage.Tokens);

        var changed = usage.Write("stdout", ClaudeAssistant("msg_1", """{"type":"tool_use","id":"t","name":"Write","input":{}}""", 3, 250, cacheRead: 20_000) + "\n");
        usage.Write("stdout", ClaudeAssistant("msg_2", """{"type":"text","text":"Done."}""", 5, 7, cacheRead: 20_300) + "\n");

        Assert.True(changed);
        Assert.Equal(new AttemptUsage(20_003 + 20_305, 250 + 7, null), usage.Usage);
    }

    [Fact]
    public void Nothing_counts_before_its_line_is_whole_and_only_stdout_is_read()
    {
        var usage = LiveUsage.For("claude-json")!;
        var line = ClaudeAssistant("msg_1", """{"type":"text","text":"hi"}""", 100, 5);

        Assert.False(usage.Write("stdout", line[..60]));
        Assert.False(usage.Write("stderr", line + "\n"));
        Assert.Null(usage.Tokens);
        Assert.True(usage.Write("stdout", line[60..] + "\n"));
        Assert.Equal(105, usage.Tokens);
    }

    [Fact]
    public void A_runaway_line_is_dropped_and_the_lines_after_it_still_count()
    {
        var usage = LiveUsage.For("claude-json")!;
        var huge = ClaudeAssistant("msg_big", $$"""{"type":"text","text":"{{new string('x', 2 * 1024 * 1024)}}"}""", 1, 1);

        for (var i = 0; i < huge.Length; i += 64 * 1024)
            usage.Write("stdout", huge.Substring(i, Math.Min(64 * 1024, huge.Length - i)));
        usage.Write("stdout", "\n" + ClaudeAssistant("msg_2", """{"type":"text","text":"hi"}""", 100, 5) + "\n");

        Assert.Equal(105, usage.Tokens);
    }

    [Fact]
    public void Codex_counts_each_completed_turn()
    {
        var sample = Sample.Load("codex-ok");
        var turn = sample.Stdout.Split('\n').Single(l => l.Contains("turn.completed", StringComparison.Ordinal));

        var one = Read("codex-jsonl", sample.Stdout);
        var two = Read("codex-jsonl", sample.Stdout + turn + "\n");

        Assert.Equal((19_221L, (decimal?)null), (one.Tokens, one.CostUsd));
        Assert.Equal(sample.Interpret("codex-jsonl")!.Usage, one.Usage);
        Assert.Equal(2 * 19_221L, two.Tokens);
    }

    [Fact]
    public void Gemini_reports_its_usage_only_in_its_closing_result()
    {
        var sample = Sample.Load("gemini-ok");
        var lines = sample.Stdout.Split('\n');

        var beforeResult = Read("gemini-json", string.Join('\n', lines.Where(l => !l.Contains("\"type\":\"result\"", StringComparison.Ordinal))));
        var whole = Read("gemini-json", sample.Stdout);

        Assert.Null(beforeResult.Usage);
        Assert.Equal(23_671, whole.Tokens);
        Assert.Equal(sample.Interpret("gemini-json")!.Usage, whole.Usage);
    }

    [Theory]
    [InlineData("copilot-jsonl")]
    [InlineData(OutputInterpreter.Plain)]
    public void Output_that_reports_no_tokens_has_no_reader(string format) => Assert.Null(LiveUsage.For(format));

    [Fact]
    public void Copilots_output_indeed_carries_no_token_counts()
    {
        // Its result's usage is premium requests and durations; were that to change, copilot would get a reader.
        var result = Sample.Load("copilot-ok").Stdout.Split('\n').Single(l => l.StartsWith("""{"type":"result""", StringComparison.Ordinal));

        Assert.DoesNotContain("input_tokens", result, StringComparison.Ordinal);
        Assert.Contains("premiumRequests", result, StringComparison.Ordinal);
    }
}
