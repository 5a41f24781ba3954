using System.CommandLine;
using System.CommandLine.Invocation;
using System.Text.Json;
using Supervisor.Cli;
using Supervisor.Cli.Api;
using Supervisor.Cli.Commands;

namespace Supervisor.Tests.Cli;

/// <summary>
/// <c>supervisor submit … --at TIME</c> on the command line: what is refused before anything is sent, and the body of
/// <c>POST /api/tasks</c> that is sent. Nothing here reaches a service: the request is built and serialized, not posted.
/// </summary>
public sealed class SubmitAtSpecs
{
    [Theory]
    [InlineData("2026-12-05T10:00:00", "has no offset")]
    [InlineData("garbage", "is not a time")]
    [InlineData("+0s", "is no delay")]
    [InlineData("+5x", "is not a delay")]
    public void A_bad_time_is_a_usage_error_naming_at(string value, string why)
    {
        var parse = Parse("submit", "echo hello", "--at", value);

        // A parse error is what SupervisorCli.RunAsync turns into exit code 2 (ExitCodes.Usage) without sending anything.
        Assert.IsType<ParseErrorAction>(parse.Action, exactMatch: false);
        var error = Assert.Single(parse.Errors);
        Assert.StartsWith($"--at '{value}' {why}", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_date_time_with_an_offset_is_sent_as_runAt_in_UTC()
    {
        var body = Body("submit", "echo hello", "--agent", "shell", "--at", "2026-12-05T11:00:00+01:00");

        Assert.Equal("2026-12-05T10:00:00.0000000Z", body.GetProperty("runAt").GetString());
    }

    [Fact]
    public void A_delay_is_sent_as_runAt_that_long_after_the_command_was_read()
    {
        var before = DateTimeOffset.UtcNow;
        var body = Body("submit", "echo hello", "--at", "+1h30m");
        var after = DateTimeOffset.UtcNow;

        var text = body.GetProperty("runAt").GetString()!;
        Assert.EndsWith("Z", text, StringComparison.Ordinal);
        var runAt = DateTimeOffset.Parse(text, System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(runAt, before + TimeSpan.FromMinutes(90), after + TimeSpan.FromMinutes(90));
    }

    [Fact]
    public void Without_at_no_runAt_is_sent_and_the_task_runs_now()
    {
        var body = Body("submit", "echo hello", "--agent", "shell");

        Assert.False(body.TryGetProperty("runAt", out _));
        Assert.Equal("echo hello", body.GetProperty("prompt").GetString());
    }

    static ParseResult Parse(params string[] args) => SupervisorCli.Build().Parse(args);

    static JsonElement Body(params string[] args)
    {
        var parse = Parse(args);
        Assert.Empty(parse.Errors);
        var json = JsonSerializer.Serialize(SubmitCommand.BuildRequest(parse), ApiClient.JsonOptions);
        return JsonDocument.Parse(json).RootElement.Clone();
    }
}
