using System.CommandLine.Invocation;
using Supervisor.Cli;
using static Supervisor.Tests.Cli.SubmitBodies;

namespace Supervisor.Tests.Cli;

/// <summary>
/// <c>supervisor submit|schedule add … --max-cost USD --max-tokens N --on-budget stop|park</c> and <c>supervisor budget ID</c>:
/// a task's budget on the command line, sent as the API reads it, and what is refused before anything is sent.
/// </summary>
public sealed class SubmitBudgetOptionsSpecs
{
    [Fact]
    public void The_budget_is_sent_as_the_API_reads_it()
    {
        var body = Body("submit", "fix it", "--max-cost", "2.50", "--max-tokens", "50000", "--on-budget", "park");

        Assert.Equal((2.50m, 50000L, "park"),
            (body.GetProperty("maxCostUsd").GetDecimal(), body.GetProperty("maxTokens").GetInt64(), body.GetProperty("onBudget").GetString()));
    }

    [Fact]
    public void Without_the_options_the_task_has_no_budget()
    {
        var body = Body("submit", "fix it");

        Assert.All(["maxCostUsd", "maxTokens", "onBudget"], name => Assert.False(body.TryGetProperty(name, out _), name));
    }

    [Theory]
    [InlineData("--max-cost", "0", "--max-cost must be a positive number of dollars, at most 100000 (got '0')")]
    [InlineData("--max-cost", "lots", "--max-cost must be a positive number of dollars, at most 100000 (got 'lots')")]
    [InlineData("--max-tokens", "-3", "--max-tokens must be a positive number of tokens")]
    [InlineData("--on-budget", "later", "--on-budget 'later' is not one of stop, park")]
    public void A_bad_value_is_a_usage_error_naming_its_option(string option, string value, string message)
    {
        foreach (var command in new[] { new[] { "submit" }, ["schedule", "add", "--every", "1h"] })
        {
            var parse = SupervisorCli.Build().Parse([.. command, option, value, "fix it"]);

            Assert.IsType<ParseErrorAction>(parse.Action, exactMatch: false);
            Assert.Contains(parse.Errors, e => e.Message.Contains(message, StringComparison.Ordinal));
        }
    }

    [Fact]
    public void Budget_without_a_bound_is_a_usage_error()
    {
        var parse = SupervisorCli.Build().Parse(["budget", "0f8fad5b-d9cb-469f-a165-70867728950e"]);

        Assert.Contains(parse.Errors, e => e.Message == "give --max-cost, --max-tokens or both");
    }
}
