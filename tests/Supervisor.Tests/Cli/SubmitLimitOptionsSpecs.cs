using System.CommandLine;
using System.CommandLine.Invocation;
using Supervisor.Cli;
using Supervisor.Cli.Commands;
using static Supervisor.Tests.Cli.SubmitBodies;

namespace Supervisor.Tests.Cli;

/// <summary>
/// <c>supervisor submit|schedule add … --on-limit wait|fallback --max-wait DUR --max-windows N</c>: a task's limit policy on
/// the command line, sent as the API reads it, and what is refused before anything is sent. The request is built and
/// serialized, not posted.
/// </summary>
public sealed class SubmitLimitOptionsSpecs
{
    [Fact]
    public void The_policy_is_sent_as_the_API_reads_it()
    {
        var body = Body("submit", "fix it", "--on-limit", "fallback", "--max-wait", "1h30m", "--max-windows", "3");

        Assert.Equal(("fallback", "01:30:00", 3),
            (body.GetProperty("onLimit").GetString(), body.GetProperty("maxWait").GetString(), body.GetProperty("maxWindows").GetInt32()));
    }

    [Fact]
    public void Without_the_options_the_task_leaves_the_policy_to_its_agent()
    {
        var body = Body("submit", "fix it");

        Assert.All(["onLimit", "maxWait", "maxWindows"], name => Assert.False(body.TryGetProperty(name, out _), name));
    }

    [Theory]
    [InlineData("WAIT", "wait")]
    [InlineData("Fallback", "fallback")]
    public void A_policy_name_is_read_in_any_case_and_sent_as_the_API_spells_it(string given, string sent) =>
        Assert.Equal(sent, Body("submit", "fix it", "--on-limit", given).GetProperty("onLimit").GetString());

    [Theory]
    [InlineData("0s", "00:00:00")]
    [InlineData("15m", "00:15:00")]
    [InlineData("7d", "7.00:00:00")]
    public void A_max_wait_is_sent_as_TimeSpan_text(string given, string sent) =>
        Assert.Equal(sent, Body("submit", "fix it", "--max-wait", given).GetProperty("maxWait").GetString());

    [Theory]
    [InlineData("--on-limit", "retry", "--on-limit 'retry' is not one of wait, fallback")]
    [InlineData("--max-wait", "soon", "--max-wait 'soon' is not a duration: write a number with a unit")]
    [InlineData("--max-wait", "15", "--max-wait '15' is not a duration")]
    [InlineData("--max-wait", "+15m", "--max-wait '+15m' is not a duration: write it without the +, e.g. 15m")]
    [InlineData("--max-wait", "-5m", "--max-wait '-5m' is not a duration")]
    [InlineData("--max-windows", "0", "--max-windows must be a positive number of blocks (got '0')")]
    [InlineData("--max-windows", "three", "--max-windows must be a positive number of blocks (got 'three')")]
    public void A_bad_value_is_a_usage_error_naming_its_option(string option, string value, string message)
    {
        foreach (var command in new[] { new[] { "submit" }, ["schedule", "add", "--every", "1h"] })
        {
            var parse = SupervisorCli.Build().Parse([.. command, option, value, "fix it"]);

            Assert.IsType<ParseErrorAction>(parse.Action, exactMatch: false);
            Assert.StartsWith(message, Assert.Single(parse.Errors).Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void A_schedule_template_carries_the_policy_as_submit_sends_it()
    {
        string[] task = ["--agent", "claude", "--on-limit", "wait", "--max-wait", "2h", "--max-windows", "1", "Bump dependencies"];
        var submitted = Body(["submit", .. task]);
        var parse = SupervisorCli.Build().Parse(["schedule", "add", "--every", "1d", .. task]);
        var template = Serialized(ScheduleAddCommand.BuildRequest(parse)).GetProperty("template");

        Assert.Equal(submitted.GetRawText(), template.GetRawText());
    }

    [Fact]
    public void Submit_help_lists_the_limit_options()
    {
        var output = new StringWriter();

        SupervisorCli.Build().Parse(["submit", "--help"]).Invoke(new InvocationConfiguration { Output = output });

        Assert.All(["--on-limit <wait|fallback>", "--max-wait <DUR>", "--max-windows <N>"],
            option => Assert.Contains(option, output.ToString(), StringComparison.Ordinal));
    }
}
