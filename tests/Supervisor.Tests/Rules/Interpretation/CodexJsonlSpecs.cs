using Supervisor.Contracts;

namespace Supervisor.Tests.Rules.Interpretation;

public sealed class CodexJsonlSpecs
{
    const string Format = "codex-jsonl";

    [Fact]
    public void A_finished_codex_task_reports_no_error_with_its_usage_and_summary()
    {
        var report = Sample.Load("codex-ok").Interpret(Format)!;

        Assert.Null(report.ErrorClass);
        Assert.Equal("I created hello.txt as asked; the task is complete.", report.Summary);
        Assert.True(report.Usage!.InputTokens > 0);
        Assert.Equal(49, report.Usage.OutputTokens);
        Assert.Null(report.Usage.CostUsd);
    }

    [Theory]
    [InlineData("codex-rate-limited", ErrorClasses.RateLimited, "last status: 429 Too Many Requests")]
    [InlineData("codex-quota", ErrorClasses.Fatal, "Quota exceeded")]
    [InlineData("codex-unauthorized", ErrorClasses.Fatal, "401 Unauthorized")]
    [InlineData("codex-overloaded", ErrorClasses.Retryable, "Selected model is at capacity")]
    [InlineData("codex-server-error", ErrorClasses.Retryable, "high demand")]
    [InlineData("codex-dropped", ErrorClasses.Retryable, "stream disconnected before completion")]
    public void A_failed_codex_turn_is_classified_by_its_message(string sample, string errorClass, string evidence)
    {
        var report = Sample.Load(sample).Interpret(Format)!;

        Assert.Equal(errorClass, report.ErrorClass);
        Assert.Contains(evidence, report.Message);
    }

    [Fact]
    public void A_codex_run_that_exits_0_after_its_sandbox_refused_a_write_is_an_agent_failure()
    {
        const string output = """
            {"type":"turn.started"}
            {"type":"item.completed","item":{"id":"item_0","type":"command_execution","command":"bash -lc 'echo hi > hello.txt'","aggregated_output":"bash: line 1: hello.txt: Read-only file system\n","exit_code":1,"status":"failed"}}
            {"type":"item.completed","item":{"id":"item_1","type":"agent_message","text":"Done! I created hello.txt."}}
            {"type":"turn.completed","usage":{"input_tokens":100,"cached_input_tokens":0,"output_tokens":10,"reasoning_output_tokens":0}}
            """;

        var report = new Sample(output, "", 0).Interpret(Format)!;

        Assert.Equal(ErrorClasses.AgentFailure, report.ErrorClass);
        Assert.Contains("Read-only file system", report.Message);
    }

    [Fact]
    public async Task Codex_reconnecting_is_a_sign_of_life()
    {
        const string output = """
            {"type":"turn.started"}
            {"type":"error","message":"Reconnecting... 1/5 (stream disconnected before completion: error sending request)"}
            {"type":"error","message":"Reconnecting... 2/5 (stream disconnected before completion: error sending request)"}
            """;

        var notices = await new Sample(output + "\n", "", 0).RetryNoticesAsync(Format);

        Assert.Equal(2, notices.Count);
        Assert.Equal("[supervisor: codex retries on its own: Reconnecting... 1/5 (stream disconnected before completion: error sending request)]\n", notices[0]);
    }

    [Fact]
    public void A_codex_run_timed_out_while_reconnecting_leaves_the_class_to_the_wall_clock()
    {
        var report = new Sample("""{"type":"error","message":"Reconnecting... 1/5 (connection refused)"}""" + "\n", "", 0).Interpret(Format, timedOut: true);

        Assert.Null(report?.ErrorClass);
    }
}
