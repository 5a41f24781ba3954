using System.CommandLine;
using System.CommandLine.Invocation;
using Supervisor.Cli;
using Supervisor.Cli.Commands;
using static Supervisor.Tests.Cli.SubmitBodies;

namespace Supervisor.Tests.Cli;

/// <summary>
/// <c>supervisor submit|schedule add … --concurrency-key KEY --concurrency-limit N --concurrency-strategy S</c>: a task's
/// concurrency key on the command line, sent as the API reads it, and what is refused before anything is sent. The request
/// is built and serialized, not posted.
/// </summary>
public sealed class SubmitConcurrencyOptionsSpecs
{
    [Fact]
    public void The_key_is_sent_as_the_API_reads_it()
    {
        var body = Body("submit", "fix it", "--concurrency-key", "repo=web", "--concurrency-limit", "2", "--concurrency-strategy", "drop-newest");

        Assert.Equal(("repo=web", 2, "dropNewest"), (body.GetProperty("concurrencyKey").GetString(),
            body.GetProperty("concurrencyLimit").GetInt32(), body.GetProperty("concurrencyStrategy").GetString()));
    }

    [Fact]
    public void Without_the_options_the_task_has_no_key()
    {
        var body = Body("submit", "fix it");

        Assert.All(["concurrencyKey", "concurrencyLimit", "concurrencyStrategy"], name => Assert.False(body.TryGetProperty(name, out _), name));
    }

    [Fact]
    public void A_key_alone_leaves_the_limit_and_strategy_to_the_service()
    {
        var body = Body("submit", "fix it", "--concurrency-key", "repo=web");

        Assert.Equal("repo=web", body.GetProperty("concurrencyKey").GetString());
        Assert.All(["concurrencyLimit", "concurrencyStrategy"], name => Assert.False(body.TryGetProperty(name, out _), name));
    }

    [Theory]
    [InlineData("queue", "queue")]
    [InlineData("cancel-running", "cancelRunning")]
    [InlineData("drop-newest", "dropNewest")]
    [InlineData("cancelRunning", "cancelRunning")]
    [InlineData("dropNewest", "dropNewest")]
    [InlineData("Cancel-Running", "cancelRunning")]
    [InlineData("QUEUE", "queue")]
    public void A_strategy_is_read_in_kebab_or_camel_case_and_sent_as_the_API_spells_it(string given, string sent) =>
        Assert.Equal(sent, Body("submit", "fix it", "--concurrency-key", "k", "--concurrency-strategy", given)
            .GetProperty("concurrencyStrategy").GetString());

    [Theory]
    [InlineData(new[] { "--concurrency-key", "k", "--concurrency-strategy", "cancel" },
        "--concurrency-strategy 'cancel' is not one of queue, cancel-running, drop-newest")]
    [InlineData(new[] { "--concurrency-key", "k", "--concurrency-limit", "0" }, "--concurrency-limit must be a positive number of tasks (got '0')")]
    [InlineData(new[] { "--concurrency-key", "k", "--concurrency-limit", "two" }, "--concurrency-limit must be a positive number of tasks (got 'two')")]
    [InlineData(new[] { "--concurrency-key", " " }, "--concurrency-key needs a key")]
    [InlineData(new[] { "--concurrency-limit", "2" }, "--concurrency-limit needs --concurrency-key")]
    [InlineData(new[] { "--concurrency-strategy", "queue" }, "--concurrency-strategy needs --concurrency-key")]
    public void A_bad_value_is_a_usage_error_naming_its_option(string[] options, string message)
    {
        foreach (var command in new[] { new[] { "submit" }, ["schedule", "add", "--every", "1h"] })
        {
            var parse = SupervisorCli.Build().Parse([.. command, .. options, "fix it"]);

            Assert.IsType<ParseErrorAction>(parse.Action, exactMatch: false);
            Assert.StartsWith(message, Assert.Single(parse.Errors).Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void A_schedule_template_carries_the_key_as_submit_sends_it()
    {
        string[] task = ["--agent", "claude", "--concurrency-key", "repo=web", "--concurrency-limit", "3",
            "--concurrency-strategy", "cancel-running", "Bump dependencies"];
        var submitted = Body(["submit", .. task]);
        var parse = SupervisorCli.Build().Parse(["schedule", "add", "--every", "1d", .. task]);
        var template = Serialized(ScheduleAddCommand.BuildRequest(parse)).GetProperty("template");

        Assert.Equal(submitted.GetRawText(), template.GetRawText());
    }

    [Fact]
    public void Submit_help_lists_the_concurrency_options()
    {
        var output = new StringWriter();

        SupervisorCli.Build().Parse(["submit", "--help"]).Invoke(new InvocationConfiguration { Output = output });

        Assert.All(["--concurrency-key <KEY>", "--concurrency-limit <N>", "--concurrency-strategy <queue|cancel-running|drop-newest>"],
            option => Assert.Contains(option, output.ToString(), StringComparison.Ordinal));
    }
}
