using System.CommandLine;
using System.CommandLine.Invocation;
using System.Text.Json;
using Supervisor.Cli;
using Supervisor.Cli.Api;
using Supervisor.Cli.Commands;

namespace Supervisor.Tests.Cli;

/// <summary>
/// <c>supervisor schedule add …</c> on the command line: the body of <c>POST /api/schedules</c> each variant builds, and
/// what is refused before anything is sent. Nothing here reaches a service: the request is built and serialized, not posted.
/// </summary>
public sealed class ScheduleAddSpecs
{
    const string Id = "5c0ffee0-1111-4a4a-8b8b-000000000001";

    [Fact]
    public void A_cron_schedule_sends_its_expression_zone_policy_and_task_and_leaves_out_what_was_not_given()
    {
        var body = Body("schedule", "add", "--cron", "0 3 * * *", "--tz", "Europe/Berlin", "--overlap", "skip", "--agent", "claude",
            "Bump dependencies");

        Assert.Equal(
            """
            {"cron":"0 3 * * *","timeZone":"Europe/Berlin","template":{"prompt":"Bump dependencies","agent":"claude"},"overlap":"skip"}
            """,
            body.GetRawText());
    }

    [Theory]
    [InlineData("2s", "00:00:02")]
    [InlineData("90s", "00:01:30")]
    [InlineData("1h30m", "01:30:00")]
    [InlineData("1.5h", "01:30:00")]
    [InlineData("2d", "2.00:00:00")]
    [InlineData("1s500ms", "00:00:01.5000000")]
    public void An_interval_is_sent_as_TimeSpan_text(string every, string sent)
    {
        var body = Body("schedule", "add", "--every", every, "make report");

        Assert.Equal(sent, body.GetProperty("every").GetString());
        Assert.False(body.TryGetProperty("cron", out _));
    }

    [Fact]
    public void Every_schedule_option_reaches_its_field()
    {
        var body = Body("schedule", "add", "--every", "1h", "--catch-up-window", "5m", "--catch-up", "latest",
            "--start", "2026-12-05T11:00:00+01:00", "--end", "2026-12-31T23:00:00Z", "--paused", "--name", "hourly-report",
            "--id", Id, "make report");

        Assert.Equal(Id, body.GetProperty("id").GetString());
        Assert.Equal("hourly-report", body.GetProperty("name").GetString());
        Assert.Equal("00:05:00", body.GetProperty("catchUpWindow").GetString());
        Assert.Equal("latest", body.GetProperty("catchUp").GetString());
        Assert.Equal("2026-12-05T10:00:00.0000000Z", body.GetProperty("startAt").GetString());
        Assert.Equal("2026-12-31T23:00:00.0000000Z", body.GetProperty("endAt").GetString());
        Assert.True(body.GetProperty("paused").GetBoolean());
    }

    [Fact]
    public void A_start_given_as_a_delay_is_sent_as_that_instant_in_UTC()
    {
        var before = DateTimeOffset.UtcNow;
        var startAt = Body("schedule", "add", "--every", "1h", "--start", "+2h", "make report").GetProperty("startAt").GetDateTimeOffset();

        Assert.InRange(startAt, before + TimeSpan.FromHours(2), DateTimeOffset.UtcNow + TimeSpan.FromHours(2));
    }

    [Theory]
    [InlineData("--overlap", "bufferone", "bufferOne")]
    [InlineData("--overlap", "CANCELOTHER", "cancelOther")]
    [InlineData("--overlap", "allow", "allow")]
    [InlineData("--catch-up", "Latest", "latest")]
    public void A_policy_is_sent_as_the_API_spells_it_whatever_its_case(string option, string given, string sent)
    {
        var body = Body("schedule", "add", "--every", "1m", option, given, "make report");

        Assert.Equal(sent, body.GetProperty(option == "--overlap" ? "overlap" : "catchUp").GetString());
    }

    [Fact]
    public void The_task_options_of_submit_make_the_template()
    {
        var body = Body("schedule", "add", "--cron", "0 9 * * 1-5", "--agents", "claude,codex", "--repo", "app", "--base-ref", "main",
            "--risk", "high", "--timeout", "600", "--verify", "make test", "--expect-changes", "--label", "team=web", "Triage issues");

        var template = body.GetProperty("template");
        Assert.Equal("Triage issues", template.GetProperty("prompt").GetString());
        Assert.Equal(["claude", "codex"], template.GetProperty("agents").EnumerateArray().Select(a => a.GetString()));
        Assert.Equal(Path.GetFullPath("app"), template.GetProperty("repository").GetProperty("path").GetString());
        Assert.Equal("main", template.GetProperty("repository").GetProperty("baseRef").GetString());
        Assert.Equal("high", template.GetProperty("risk").GetString());
        Assert.Equal(600, template.GetProperty("timeoutSeconds").GetInt32());
        Assert.Equal("make test", template.GetProperty("verify").GetString());
        Assert.True(template.GetProperty("expectChanges").GetBoolean());
        Assert.Equal("web", template.GetProperty("labels").GetProperty("team").GetString());
        Assert.False(template.TryGetProperty("runAt", out _));
        Assert.False(template.TryGetProperty("id", out _));
    }

    [Fact]
    public void Submit_and_schedule_add_read_the_task_options_alike()
    {
        string[] task = ["--agents", "claude,codex", "--repo", "app", "--risk", "low", "--timeout", "60", "--label", "k=v", "do it"];
        var submitted = Body(["submit", .. task]);
        var template = Body(["schedule", "add", "--every", "1h", .. task]).GetProperty("template");

        Assert.Equal(submitted.GetRawText(), template.GetRawText());
    }

    [Theory]
    [InlineData("make report")]
    [InlineData("--cron", "0 3 * * *", "--every", "1h", "make report")]
    public void Neither_or_both_of_cron_and_every_is_a_usage_error_naming_both(params string[] args)
    {
        var error = UsageError(["schedule", "add", .. args]);

        Assert.Contains("--cron", error, StringComparison.Ordinal);
        Assert.Contains("--every", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--overlap", "never", "--overlap 'never' is not one of skip, bufferOne, allow, cancelOther")]
    [InlineData("--catch-up", "all", "--catch-up 'all' is not one of each, latest")]
    [InlineData("--catch-up-window", "1m1h", "--catch-up-window '1m1h' is not a duration")]
    [InlineData("--start", "2026-12-05T10:00:00", "--start '2026-12-05T10:00:00' has no offset")]
    [InlineData("--end", "tomorrow", "--end 'tomorrow' is not a time")]
    [InlineData("--id", "nope", "--id 'nope' is not a GUID")]
    public void A_bad_value_is_a_usage_error_naming_its_option(string option, string value, string message) =>
        Assert.StartsWith(message, UsageError("schedule", "add", "--every", "1h", option, value, "make report"), StringComparison.Ordinal);

    [Theory]
    [InlineData("5x", "--every '5x' is not a duration: write a number with a unit")]
    [InlineData("5", "--every '5' is not a duration")]
    [InlineData("+5m", "--every '+5m' is not a duration: write it without the +, e.g. 5m")]
    [InlineData("00:05:00", "--every '00:05:00' is not a duration")]
    public void An_interval_not_written_in_units_is_a_usage_error(string every, string message) =>
        Assert.StartsWith(message, UsageError("schedule", "add", "--every", every, "make report"), StringComparison.Ordinal);

    [Fact]
    public void A_trigger_with_an_unknown_overlap_policy_is_a_usage_error() =>
        Assert.StartsWith("--overlap 'later' is not one of",
            UsageError("schedule", "trigger", "nightly", "--overlap", "later"), StringComparison.Ordinal);

    [Fact]
    public void Bare_schedule_prints_its_subcommands_and_exits_with_the_usage_code()
    {
        var output = new StringWriter();

        var exit = SupervisorCli.Build().Parse(["schedule"]).Invoke(new InvocationConfiguration { Output = output });

        Assert.Equal(ExitCodes.Usage, exit);
        foreach (var verb in new[] { "add", "list", "show", "tasks", "pause", "resume", "trigger", "delete" })
        {
            Assert.Contains($"  {verb} ", output.ToString(), StringComparison.Ordinal);
        }

        Assert.Contains("supervisor schedule add --cron '0 3 * * *' --tz Europe/Berlin", output.ToString(), StringComparison.Ordinal);
    }

    static ParseResult Parse(params string[] args) => SupervisorCli.Build().Parse(args);

    /// <summary>The one parse error, which SupervisorCli.RunAsync turns into exit code 2 without sending anything.</summary>
    static string UsageError(params string[] args)
    {
        var parse = Parse(args);
        Assert.IsType<ParseErrorAction>(parse.Action, exactMatch: false);
        return Assert.Single(parse.Errors).Message;
    }

    static JsonElement Body(params string[] args)
    {
        var parse = Parse(args);
        Assert.Empty(parse.Errors);
        object request = args[0] == "submit" ? SubmitCommand.BuildRequest(parse) : ScheduleAddCommand.BuildRequest(parse);
        var json = JsonSerializer.Serialize(request, request.GetType(), ApiClient.JsonOptions);
        return JsonDocument.Parse(json).RootElement.Clone();
    }
}
