using Supervisor.Contracts;

namespace Supervisor.Tests.Interpretation;

public sealed class CopilotJsonlSpecs
{
    const string Format = "copilot-jsonl";

    [Fact]
    public void Interpret_TaskDone_ReportsNoErrorWithSummary()
    {
        var report = Sample.Load("copilot-ok").Interpret(Format)!;

        Assert.Null(report.ErrorClass);
        Assert.Equal("I created hello.txt as asked; the task is complete.", report.Summary);
    }

    [Fact]
    public void Interpret_AuthenticationFailed_IsFatal()
    {
        var report = Sample.Load("copilot-unauthorized").Interpret(Format)!;

        Assert.Equal(ErrorClasses.Fatal, report.ErrorClass);
        Assert.Contains("HTTP 401", report.Message);
    }

    [Fact]
    public async Task RetryNotice_TurnRetries_AreSignsOfLifeOfARunThatRecovered()
    {
        var sample = Sample.Load("copilot-retried-then-ok");

        var notices = await sample.RetryNoticesAsync(Format);

        Assert.Equal(3, notices.Count);
        Assert.All(notices, n => Assert.Equal("[supervisor: copilot retries on its own: rate_limit]\n", n));
        Assert.Null(sample.Interpret(Format)!.ErrorClass);
    }
}
