using Supervisor.Contracts;

namespace Supervisor.Tests.Rules.Interpretation;

public sealed class ClaudeJsonSpecs
{
    const string Format = "claude-json";

    [Fact]
    public void A_finished_claude_task_reports_no_error_with_its_usage_cost_and_summary()
    {
        var report = Sample.Load("claude-ok").Interpret(Format)!;

        Assert.Null(report.ErrorClass);
        Assert.Equal("I created hello.txt as asked; the task is complete.", report.Summary);
        Assert.True(report.Usage!.InputTokens > 0);
        Assert.True(report.Usage.OutputTokens > 0);
        Assert.True(report.Usage.CostUsd > 0);
    }

    [Theory]
    [InlineData("claude-rate-limited", ErrorClasses.RateLimited, "HTTP 429")]
    [InlineData("claude-quota", ErrorClasses.Fatal, "Credit balance is too low")]
    [InlineData("claude-unauthorized", ErrorClasses.Fatal, "Invalid API key")]
    [InlineData("claude-overloaded", ErrorClasses.Retryable, "529 Overloaded")]
    [InlineData("claude-server-error", ErrorClasses.Retryable, "API Error: 500")]
    [InlineData("claude-dropped", ErrorClasses.Retryable, "Connection to the API was lost")]
    public void A_claude_api_error_is_classified_from_its_result(string sample, string errorClass, string evidence)
    {
        var report = Sample.Load(sample).Interpret(Format)!;

        Assert.Equal(errorClass, report.ErrorClass);
        Assert.Contains(evidence, report.Message);
        Assert.StartsWith("claude: ", report.Message);
    }

    [Theory]
    [InlineData(400, "API Error: 400 model claude-nope not found (the connection to the gateway was fine)", ErrorClasses.Fatal)]
    [InlineData(429, "API Error: 429 Your credit balance is too low to access the API", ErrorClasses.Fatal)]
    [InlineData(503, "API Error: 503 authentication backend unavailable", ErrorClasses.Retryable)]
    [InlineData(null, "API Error: Unable to connect to API (ECONNREFUSED)", ErrorClasses.Retryable)]
    [InlineData(null, "Invalid API key · Please run /login", ErrorClasses.Fatal)]
    [InlineData(null, "Something odd happened", ErrorClasses.AgentFailure)]
    public void A_claude_error_status_decides_before_its_words_but_an_exhausted_quota_decides_first(int? status, string text, string errorClass)
    {
        var result = new System.Text.Json.Nodes.JsonObject
        {
            ["type"] = "result",
            ["subtype"] = "success",
            ["is_error"] = true,
            ["api_error_status"] = status,
            ["result"] = text,
        };

        var report = new Sample(result.ToJsonString() + "\n", "", 1).Interpret(Format)!;

        Assert.Equal(errorClass, report.ErrorClass);
    }

    [Fact]
    public void A_rate_limited_claude_run_reports_the_providers_retry_delay()
    {
        var report = Sample.Load("claude-rate-limited").Interpret(Format)!;

        Assert.Equal(TimeSpan.FromSeconds(1), report.RetryAfter);
    }

    [Fact]
    public void A_claude_run_that_exits_0_with_denied_tool_calls_is_an_agent_failure()
    {
        var sample = Sample.Load("claude-denied");

        var report = sample.Interpret(Format)!;

        Assert.Equal(0, sample.ExitCode);
        Assert.Equal(ErrorClasses.AgentFailure, report.ErrorClass);
        Assert.Contains("denied permission for 1 tool call(s) (Write ", report.Message);
    }

    [Fact]
    public void A_timed_out_claude_run_leaves_the_class_to_the_wall_clock()
    {
        var report = Sample.Load("claude-rate-limited").Interpret(Format, timedOut: true);

        Assert.Null(report?.ErrorClass);
    }

    [Fact]
    public void Claude_output_without_a_result_line_says_nothing()
    {
        var report = new Sample("Not logged in · Please run /login\n", "", 1).Interpret(Format);

        Assert.Null(report);
    }

    [Fact]
    public async Task Claude_api_retry_events_are_signs_of_life()
    {
        var notices = await Sample.Load("claude-rate-limited").RetryNoticesAsync(Format);

        Assert.Equal(["[supervisor: claude retries on its own (1/1): HTTP 429 rate_limit, next try in 1.0s]\n"], notices);
    }
}
