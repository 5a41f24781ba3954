using System.Globalization;
using Supervisor.Cli.Api;
using Supervisor.Cli.Commands;
using Supervisor.Cli.Rendering;

namespace Supervisor.Tests.Cli;

/// <summary>What <c>schedule list</c>, <c>schedule show</c> and <c>schedule trigger</c> print, read from the API's JSON.</summary>
public sealed class ScheduleViewSpecs
{
    // Noon local time, so that a few minutes either way stay on the same local day wherever the specs run.
    static readonly DateTimeOffset Now = new DateTimeOffset(new DateTime(2026, 12, 5, 12, 0, 0, DateTimeKind.Local)).ToUniversalTime();

    [Fact]
    public void List_has_a_column_for_each_thing_a_schedule_is_told_by()
    {
        var lines = Rendered.Lines(console => ScheduleTable.Write(console, ApiJson.Schedules(Now), Now));

        Assert.Equal(["ID", "NAME", "WHEN", "TZ", "OVERLAP", "STATE", "LAST", "NEXT", "OPEN"],
            lines[0].Split(' ', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public void List_shows_a_cron_schedule_with_its_expression_and_its_fires_relative_to_now()
    {
        var row = Row(ScheduleList(), "5c0ffee0");

        Assert.Matches(@"^5c0ffee0\s+nightly-deps\s+0 3 \* \* \*\s+Europe/Berlin\s+skip\s+active\s+4m ago\s+in 4m 10s\s+1$", row);
    }

    [Fact]
    public void List_shows_an_interval_compactly_and_a_paused_schedule_that_never_fired()
    {
        var row = Row(ScheduleList(), "abcd0123");

        Assert.Matches(@"^abcd0123\s+every 2s\s+UTC\s+bufferOne\s+paused\s+-\s+-\s+0$", row);
    }

    [Fact]
    public void An_empty_list_says_there_are_no_schedules() =>
        Assert.Equal("no schedules", Rendered.Lines(console => ScheduleTable.Write(console, [], Now))[0]);

    [Fact]
    public void Show_says_when_and_how_a_schedule_fires()
    {
        var lines = Show(ApiJson.Schedule(Now));

        Assert.Equal("5c0ffee0-1111-4a4a-8b8b-000000000001", Field(lines, "Schedule"));
        Assert.Equal("nightly-deps", Field(lines, "Name"));
        Assert.Equal("0 3 * * *", Field(lines, "When"));
        Assert.Equal("Europe/Berlin", Field(lines, "Zone"));
        Assert.Equal("skip", Field(lines, "Overlap"));
        Assert.Equal("latest (window 1m)", Field(lines, "Catch-up"));
        Assert.Equal($"{Day(Now - TimeSpan.FromDays(2))} (2d ago)", Field(lines, "Starts"));
        Assert.DoesNotContain(lines, l => l.StartsWith("Ends", StringComparison.Ordinal));
        Assert.Equal("active", Field(lines, "State"));
        Assert.Equal($"{Day(Now - TimeSpan.FromDays(3))} by bob (3d ago)", Field(lines, "Created"));
        Assert.Equal($"{Local(Now - TimeSpan.FromMinutes(4))} (4m ago)", Field(lines, "Last fire"));
        Assert.Equal($"{Local(Now + TimeSpan.FromSeconds(250))} (in 4m 10s)", Field(lines, "Next fire"));
        Assert.Equal("2 missed the catch-up window, 1 coalesced, 3 skipped for overlap", Field(lines, "Not run"));
    }

    [Fact]
    public void Show_says_who_paused_a_schedule_and_why_and_that_nothing_fires_meanwhile()
    {
        var lines = Show(ApiJson.Schedule(Now, paused: true));

        Assert.Equal("paused by alice: release freeze", Field(lines, "State"));
        Assert.Equal("none while paused", Field(lines, "Next fire"));
    }

    [Fact]
    public void Show_gives_the_task_each_fire_submits()
    {
        var lines = Show(ApiJson.Schedule(Now));
        var template = lines.SkipWhile(l => l != "TEMPLATE").TakeWhile(l => l != "RECENT FIRES").ToList();

        Assert.Equal("Bump dependencies", Field(template, "Prompt"));
        Assert.Equal("claude → codex", Field(template, "Chain"));
        Assert.Equal("/src/app @ main", Field(template, "Repository"));
        Assert.Equal("medium", Field(template, "Risk"));
        Assert.Equal("900 s", Field(template, "Timeout"));
        Assert.Equal("make test", Field(template, "Verify"));
        Assert.Equal("changes", Field(template, "Expects"));
        Assert.Equal("team=web", Field(template, "Labels"));
    }

    [Fact]
    public void Show_ends_with_the_recent_fires_newest_first()
    {
        var fires = Show(ApiJson.Schedule(Now)).SkipWhile(l => l != "RECENT FIRES").Skip(1).Where(l => l.Length > 0).ToList();

        Assert.Equal(["SCHEDULED", "FOR", "KIND", "OUTCOME", "TASK", "TASK", "STATE", "REASON"],
            fires[0].Split(' ', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal(4, fires.Count);
        Assert.Matches($@"^{Local(Now - TimeSpan.FromMinutes(4))}\s+manual\s+submitted\s+7a7a7a7a\s+Running$", fires[1]);
        Assert.Matches($@"^{Local(Now - TimeSpan.FromMinutes(5))}\s+scheduled\s+skipped\s+task 7a7a7a7a is still open$", fires[2]);
        Assert.Matches($@"^{Local(Now - TimeSpan.FromMinutes(6))}\s+catchUp\s+buffered\s+8b8b8b8b\s+Succeeded$", fires[3]);
    }

    [Fact]
    public void Show_with_fires_keeps_only_that_many_of_the_newest()
    {
        var lines = Rendered.Lines(console => ScheduleView.Write(console, ApiJson.Schedule(Now), Now, fires: 1));
        var fires = lines.SkipWhile(l => l != "RECENT FIRES").Skip(2).Where(l => l.Length > 0).ToList();

        Assert.Contains("7a7a7a7a", Assert.Single(fires), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("00:00:02", "2s")]
    [InlineData("00:01:30", "1m30s")]
    [InlineData("01:30:00", "1h30m")]
    [InlineData("1.00:00:00", "1d")]
    [InlineData("2.06:00:00", "2d6h")]
    [InlineData("00:00:01.5000000", "1s500ms")]
    [InlineData("00:00:00", "0s")]
    [InlineData("2s", "2s")]
    public void A_duration_of_the_API_is_shown_in_the_units_the_CLI_takes(string api, string shown) =>
        Assert.Equal(shown, Format.Units(api));

    [Theory]
    [InlineData("submitted", "7a7a7a7a-3333-4a4a-8b8b-000000000003", null, "fired: submitted task 7a7a7a7a-3333-4a4a-8b8b-000000000003")]
    [InlineData("buffered", "7a7a7a7a-3333-4a4a-8b8b-000000000003", null,
        "fired: buffered task 7a7a7a7a-3333-4a4a-8b8b-000000000003, to start when the schedule's open task has ended")]
    [InlineData("skipped", null, "task 8b8b8b8b is still open", "skipped: task 8b8b8b8b is still open")]
    public void A_trigger_says_whether_it_fired_and_what_became_of_the_fire(string outcome, string? taskId, string? reason, string said)
    {
        var answer = ApiJson.Read<TriggerOutcome>($$"""
            {"scheduleId": "5c0ffee0-1111-4a4a-8b8b-000000000001", "outcome": "{{outcome}}",
             "taskId": {{(taskId is null ? "null" : $"\"{taskId}\"")}}, "reason": {{(reason is null ? "null" : $"\"{reason}\"")}}}
            """);

        Assert.Equal(said, ScheduleCommand.Fired(answer));
    }

    static List<string> ScheduleList() => Rendered.Lines(console => ScheduleTable.Write(console, ApiJson.Schedules(Now), Now));

    static List<string> Show(ScheduleDetail schedule) => Rendered.Lines(console => ScheduleView.Write(console, schedule, Now));

    static string Row(List<string> lines, string shortId) => Assert.Single(lines, l => l.StartsWith(shortId, StringComparison.Ordinal));

    /// <summary>The value of a <c>Name  value</c> line of a grid.</summary>
    static string Field(List<string> lines, string name) =>
        Assert.Single(lines, l => l.StartsWith(name + "  ", StringComparison.Ordinal))[name.Length..].Trim();

    static string Local(DateTimeOffset at) => at.ToLocalTime().ToString("HH:mm:ss", CultureInfo.InvariantCulture);

    static string Day(DateTimeOffset at) => at.ToLocalTime().ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);
}
