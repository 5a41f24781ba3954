using Supervisor.Contracts;

namespace Supervisor.Tests.Interpretation;

public sealed class ClaudeJsonSpecs
{
    const string Format = "claude-json";

    [Fact]
    public void Interpret_TaskDone_ReportsNoErrorWithUsageCostAndSummary()
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
    public void Interpret_ApiError_ClassifiesFromTheResult(string sample, string errorClass, string evidence)
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
    public void Interpret_Error_StatusDecidesBeforeWordsButQuotaBeforeAll(int? status, string text, string errorClass)
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
    public void Interpret_RateLimitedWithRetryAfter_ReportsTheProvidersDelay()
    {
        var report = Sample.Load("claude-rate-limited").Interpret(Format)!;

        Assert.Equal(TimeSpan.FromSeconds(1), report.RetryAfter);
    }

    [Fact]
    public void Interpret_ExitZeroWithPermissionDenials_IsAnAgentFailure()
    {
        var sample = Sample.Load("claude-denied");

        var report = sample.Interpret(Format)!;

        Assert.Equal(0, sample.ExitCode);
        Assert.Equal(ErrorClasses.AgentFailure, report.ErrorClass);
        Assert.Contains("denied permission for 1 tool call(s) (Write ", report.Message);
    }

    [Fact]
    public void Interpret_TimedOut_LeavesTheClassToTheWallClock()
    {
        var report = Sample.Load("claude-rate-limited").Interpret(Format, timedOut: true);

        Assert.Null(report?.ErrorClass);
    }

    [Fact]
    public void Interpret_NoResultLine_SaysNothing()
    {
        var report = new Sample("Not logged in · Please run /login\n", "", 1).Interpret(Format);

        Assert.Null(report);
    }

    [Fact]
    public async Task RetryNotice_ApiRetryEvents_AreSignsOfLife()
    {
        var notices = await Sample.Load("claude-rate-limited").RetryNoticesAsync(Format);

        Assert.Equal(["[supervisor: claude retries on its own (1/1): HTTP 429 rate_limit, next try in 1.0s]\n"], notices);
    }
}
