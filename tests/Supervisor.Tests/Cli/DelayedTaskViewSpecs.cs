using System.Globalization;
using Spectre.Console;
using Supervisor.Cli.Api;
using Supervisor.Cli.Rendering;

namespace Supervisor.Tests.Cli;

/// <summary>How <c>show</c> and <c>list</c> tell a delayed task that waits for its start time, read from the API's JSON.</summary>
public sealed class DelayedTaskViewSpecs
{
    // Noon local time, so that a few minutes either way stay on the same local day wherever the specs run.
    static readonly DateTimeOffset Now = new DateTimeOffset(new DateTime(2026, 12, 5, 12, 0, 0, DateTimeKind.Local)).ToUniversalTime();

    [Fact]
    public void Show_says_when_a_waiting_delayed_task_runs_and_how_long_that_is()
    {
        var runAt = Now + TimeSpan.FromSeconds(250);
        var task = Detail("Submitted", runAt);

        var line = Assert.Single(Header(task), IsRunsAt);

        Assert.EndsWith($"{Local(runAt)} (in 4m 10s)", line, StringComparison.Ordinal);
    }

    [Fact]
    public void Show_says_a_start_time_that_has_passed_is_due()
    {
        var line = Assert.Single(Header(Detail("Submitted", Now - TimeSpan.FromSeconds(3))), IsRunsAt);

        Assert.EndsWith("(due 3s ago)", line, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Running")]
    [InlineData("Cancelled")]
    public void Show_has_no_start_time_once_the_task_has_left_Submitted(string state) =>
        Assert.DoesNotContain(Header(Detail(state, Now + TimeSpan.FromMinutes(5))), IsRunsAt);

    [Fact]
    public void Show_has_no_start_time_for_a_task_that_runs_now() =>
        Assert.DoesNotContain(Header(Detail("Submitted", runAt: null)), IsRunsAt);

    [Fact]
    public void List_marks_a_waiting_delayed_task_with_its_start_time_and_leaves_the_others_alone()
    {
        var runAt = Now + TimeSpan.FromMinutes(5);
        var (created, at) = (ApiJson.Utc(Now), ApiJson.Utc(runAt));
        var tasks = ApiJson.Read<IReadOnlyList<TaskSummary>>($$"""
            [
              {"id": "11111111-0000-0000-0000-000000000000", "state": "Submitted", "createdAt": "{{created}}", "runAt": "{{at}}"},
              {"id": "22222222-0000-0000-0000-000000000000", "state": "Submitted", "createdAt": "{{created}}", "runAt": null},
              {"id": "33333333-0000-0000-0000-000000000000", "state": "Running", "createdAt": "{{created}}", "runAt": "{{at}}"}
            ]
            """);

        var lines = Render(console => TaskTable.Write(console, tasks, Now));

        string Row(string id) => Assert.Single(lines, l => l.StartsWith(id, StringComparison.Ordinal));
        Assert.Contains($"Submitted (at {Local(runAt)})", Row("11111111"), StringComparison.Ordinal);
        Assert.DoesNotContain("(at ", Row("22222222"), StringComparison.Ordinal);
        Assert.DoesNotContain("(at ", Row("33333333"), StringComparison.Ordinal);
    }

    [Fact]
    public void A_start_time_on_another_day_shows_its_date()
    {
        Assert.Equal("13:00:00", Format.Moment(Now + TimeSpan.FromHours(1), Now));
        Assert.Equal("2026-12-06 12:00:00", Format.Moment(Now + TimeSpan.FromDays(1), Now));
    }

    [Theory]
    [InlineData(0, "0s")]
    [InlineData(42, "42s")]
    [InlineData(250, "4m 10s")]
    [InlineData(3600, "1h")]
    [InlineData(3900, "1h 5m")]
    [InlineData(183_600, "2d 3h")]
    [InlineData(-5, "0s")]
    public void A_countdown_gives_the_two_largest_units(int seconds, string expected) =>
        Assert.Equal(expected, Format.Countdown(TimeSpan.FromSeconds(seconds)));

    static TaskDetail Detail(string state, DateTimeOffset? runAt) => ApiJson.Task(state, Now - TimeSpan.FromMinutes(1), runAt);

    static bool IsRunsAt(string line) => line.StartsWith("Runs at", StringComparison.Ordinal);

    static string Local(DateTimeOffset at) => at.ToLocalTime().ToString("HH:mm:ss", CultureInfo.InvariantCulture);

    static List<string> Header(TaskDetail task) => Render(console => TaskView.WriteHeader(console, task, Now));

    static List<string> Render(Action<IAnsiConsole> write) => Rendered.Lines(write);
}
