using Supervisor.Contracts;

namespace Supervisor.Tests.Rules.Interpretation;

public sealed class CopilotJsonlSpecs
{
    const string Format = "copilot-jsonl";

    [Fact]
    public void A_finished_copilot_task_reports_no_error_with_its_summary()
    {
        var report = Sample.Load("copilot-ok").Interpret(Format)!;

        Assert.Null(report.ErrorClass);
        Assert.Equal("I created hello.txt as asked; the task is complete.", report.Summary);
    }

    [Fact]
    public void A_copilot_authentication_failure_is_fatal()
    {
        var report = Sample.Load("copilot-unauthorized").Interpret(Format)!;

        Assert.Equal(ErrorClasses.Fatal, report.ErrorClass);
        Assert.Contains("HTTP 401", report.Message);
    }

    [Fact]
    public async Task Copilot_turn_retries_are_signs_of_life_of_a_run_that_recovered()
    {
        var sample = Sample.Load("copilot-retried-then-ok");

        var notices = await sample.RetryNoticesAsync(Format);

        Assert.Equal(3, notices.Count);
        Assert.All(notices, n => Assert.Equal("[supervisor: copilot retries on its own: rate_limit]\n", n));
        Assert.Null(sample.Interpret(Format)!.ErrorClass);
    }
}
