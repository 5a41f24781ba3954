using Supervisor.Contracts;

namespace Supervisor.Tests.Rules.Interpretation;

public sealed class GeminiJsonSpecs
{
    const string Format = "gemini-json";

    [Fact]
    public void A_finished_gemini_task_reports_no_error_with_its_usage_and_summary()
    {
        var report = Sample.Load("gemini-ok").Interpret(Format)!;

        Assert.Null(report.ErrorClass);
        Assert.Equal("I created hello.txt as asked; the task is complete.", report.Summary);
        Assert.Equal(41, report.Usage!.OutputTokens);
    }

    [Theory]
    [InlineData("gemini-rate-limited", 173, ErrorClasses.RateLimited, "HTTP 429")]
    [InlineData("gemini-quota", 173, ErrorClasses.Fatal, "exhausted your daily quota")]
    [InlineData("gemini-unauthorized", 145, ErrorClasses.Fatal, "API key not valid")]
    [InlineData("gemini-overloaded", 247, ErrorClasses.Retryable, "HTTP 503")]
    [InlineData("gemini-server-error", 244, ErrorClasses.Retryable, "HTTP 500")]
    [InlineData("gemini-dropped", 1, ErrorClasses.Retryable, "fetch failed")]
    public void A_gemini_api_error_is_classified_by_the_status_in_its_exit_code(string sample, int exitCode, string errorClass, string evidence)
    {
        var loaded = Sample.Load(sample);

        var report = loaded.Interpret(Format)!;

        Assert.Equal(exitCode, loaded.ExitCode);
        Assert.Equal(errorClass, report.ErrorClass);
        Assert.Contains(evidence, report.Message);
    }

    [Fact]
    public void A_gemini_run_without_an_auth_method_is_fatal()
    {
        var report = new Sample("", "Please set an Auth method in your settings.json\n", 41).Interpret(Format)!;

        Assert.Equal(ErrorClasses.Fatal, report.ErrorClass);
        Assert.Contains("auth method", report.Message);
    }

    [Fact]
    public void A_gemini_json_error_on_stderr_is_read()
    {
        const string stderr = """
            {
              "error": {
                "type": "Error",
                "message": "[API Error: Resource has been exhausted (e.g. check quota).]",
                "code": 429
              }
            }
            """;

        var report = new Sample("", stderr, 173).Interpret(Format)!;

        Assert.Equal(ErrorClasses.RateLimited, report.ErrorClass);
    }

    [Fact]
    public async Task A_gemini_attempt_failed_retrying_line_is_a_sign_of_life()
    {
        var notices = await new Sample("", "Attempt 1 failed with status 429. Retrying with backoff... ApiError: rate\nother line\n", 0)
            .RetryNoticesAsync(Format);

        Assert.Equal(["[supervisor: gemini retries on its own: Attempt 1 failed with status 429. Retrying with backoff... ApiError: rate]\n"], notices);
    }

    [Fact]
    public async Task A_gemini_last_attempt_failed_line_is_no_retry()
    {
        var notices = await Sample.Load("gemini-rate-limited").RetryNoticesAsync(Format);

        Assert.Empty(notices);
    }
}
