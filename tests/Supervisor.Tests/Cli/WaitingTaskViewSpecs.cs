using System.Globalization;
using Spectre.Console;
using Supervisor.Cli.Api;
using Supervisor.Cli.Commands;
using Supervisor.Cli.Rendering;

namespace Supervisor.Tests.Cli;

/// <summary>
/// How <c>show</c>, <c>list</c>, <c>schedule show</c> and <c>submit --wait</c> tell a task's limit policy and its wait on a
/// blocked provider account, read from the API's JSON; and the query <c>list --waiting</c> sends.
/// </summary>
public sealed class WaitingTaskViewSpecs
{
    // Noon local time, so that a few minutes either way stay on the same local day wherever the specs run.
    static readonly DateTimeOffset Now = new DateTimeOffset(new DateTime(2026, 12, 5, 12, 0, 0, DateTimeKind.Local)).ToUniversalTime();

    static readonly string Parked = $$"""
        {"reason": "limit", "account": "claude/3fa9c2d1e0b4", "until": "{{ApiJson.Utc(Now + TimeSpan.FromMinutes(5))}}",
         "deadline": "{{ApiJson.Utc(Now + TimeSpan.FromMinutes(9))}}", "since": "{{ApiJson.Utc(Now - TimeSpan.FromMinutes(6))}}",
         "message": "usage window reached: resets 12:05"}
        """;

    static readonly string Capped = $$"""
        {"reason": "cap", "account": "claude/3fa9c2d1e0b4", "until": null, "deadline": null,
         "since": "{{ApiJson.Utc(Now - TimeSpan.FromMinutes(6))}}", "message": null}
        """;

    [Fact]
    public void Show_says_where_a_parked_task_waits_until_when_since_when_and_when_it_gives_up_then_why()
    {
        var lines = Header(Task("RetryScheduled", Parked));

        var at = lines.FindIndex(l => l.StartsWith("Waiting ", StringComparison.Ordinal));
        Assert.EndsWith($"for claude/3fa9c2d1e0b4 (limit) until {Local(5)} (in 5m), since {Local(-6)}; gives up at {Local(9)}", lines[at],
            StringComparison.Ordinal);
        Assert.EndsWith(" usage window reached: resets 12:05", lines[at + 1], StringComparison.Ordinal);
    }

    [Fact]
    public void A_wait_whose_end_nobody_knows_says_only_what_is_known() =>
        Assert.EndsWith($"for claude/3fa9c2d1e0b4 (cap), since {Local(-6)}",
            Assert.Single(Header(Task("RetryScheduled", Capped)), IsWaiting), StringComparison.Ordinal);

    [Theory]
    [InlineData("RetryScheduled", null)]
    [InlineData("Cancelled", "parked")]
    public void Show_has_no_wait_for_a_task_not_parked_or_ended(string state, string? waiting) =>
        Assert.DoesNotContain(Header(Task(state, waiting is null ? "null" : Parked)), IsWaiting);

    [Fact]
    public void Show_names_the_limit_policy_the_task_chose_and_nothing_when_it_chose_none()
    {
        var chosen = Task("RetryScheduled", "null", """{"onLimit": "fallback", "maxWait": "01:30:00", "maxWindows": 3}""");
        var none = Task("RetryScheduled", "null", """{"onLimit": null, "maxWait": null, "maxWindows": null}""");

        Assert.EndsWith("fallback, max wait 1h30m, max windows 3", Assert.Single(Header(chosen), IsOnLimit), StringComparison.Ordinal);
        Assert.DoesNotContain(Header(none), IsOnLimit);
    }

    [Fact]
    public void List_marks_a_parked_task_with_its_wait_and_leaves_the_others_alone()
    {
        var created = ApiJson.Utc(Now);
        var tasks = ApiJson.Read<IReadOnlyList<TaskSummary>>($$"""
            [
              {"id": "11111111-0000-0000-0000-000000000000", "state": "RetryScheduled", "createdAt": "{{created}}", "waiting": {{Parked}}},
              {"id": "22222222-0000-0000-0000-000000000000", "state": "RetryScheduled", "createdAt": "{{created}}", "waiting": {{Capped}}},
              {"id": "33333333-0000-0000-0000-000000000000", "state": "RetryScheduled", "createdAt": "{{created}}", "waiting": null}
            ]
            """);

        var lines = Rendered.Lines(console => TaskTable.Write(console, tasks, Now));

        string Row(string id) => Assert.Single(lines, l => l.StartsWith(id, StringComparison.Ordinal));
        Assert.Contains($"RetryScheduled (waiting until {Local(5)})", Row("11111111"), StringComparison.Ordinal);
        Assert.Contains("RetryScheduled (waiting: cap)", Row("22222222"), StringComparison.Ordinal);
        Assert.DoesNotContain("waiting", Row("33333333"), StringComparison.Ordinal);
    }

    [Fact]
    public void The_timeline_names_the_account_an_attempt_ran_on()
    {
        var attempt = ApiJson.Read<AttemptView>("""
            {"number": 1, "pass": 1, "agent": "claude", "worker": "w1", "host": "h", "redelivery": 0, "account": "claude/3fa9c2d1e0b4"}
            """);

        var line = Assert.Single(Rendered.Lines(console => console.MarkupLine(Timeline.Attempt(attempt, Now))), l => l.Length > 0);

        Assert.Contains("claude on h/w1  account claude/3fa9c2d1e0b4", line, StringComparison.Ordinal);
    }

    [Fact]
    public void Submit_wait_says_what_a_parked_task_waits_for() =>
        Assert.Equal($"waiting for claude/3fa9c2d1e0b4 (limit) until {Local(5)} (in 5m), since {Local(-6)}; gives up at {Local(9)}",
            TaskWaiter.Detail("RetryScheduled", Task("RetryScheduled", Parked), Now, isLatest: true, Now));

    [Fact]
    public void Schedule_show_names_the_limit_policy_of_its_template()
    {
        var schedule = ApiJson.Read<ScheduleDetail>($$"""
            {"id": "5c0ffee0-1111-4a4a-8b8b-000000000001", "every": "01:00:00", "timeZone": "UTC", "paused": false,
             "createdAt": "{{ApiJson.Utc(Now)}}", "template": {"prompt": "make report", "onLimit": "wait", "maxWait": "00:15:00"} }
            """);

        var lines = Rendered.Lines(console => ScheduleView.Write(console, schedule, Now));

        Assert.EndsWith("wait, max wait 15m", Assert.Single(lines, IsOnLimit), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(true, null, "api/tasks?waiting=true")]
    [InlineData(true, "RetryScheduled", "api/tasks?state=RetryScheduled&waiting=true")]
    [InlineData(false, null, "api/tasks")]
    public void List_waiting_asks_for_parked_tasks_only(bool waiting, string? state, string path) =>
        Assert.Equal(path, ApiClient.ListTasksPath(state, limit: null, idPrefix: null, waiting));

    [Fact]
    public void List_sends_its_agent_label_and_text_filters_escaped() =>
        Assert.Equal("api/tasks?agent=codex&label=team%3Dweb&text=fix%20login%20%26%20logout&state=Failed",
            ApiClient.ListTasksPath("Failed", limit: null, idPrefix: null, waiting: false, new TaskListFilter("codex", "team=web", "fix login & logout")));

    /// <summary>A <c>GET /api/tasks/{id}</c> answer whose <c>waiting</c> is <paramref name="waiting"/> (JSON).</summary>
    static TaskDetail Task(string state, string waiting, string limits = "null") => ApiJson.Read<TaskDetail>($$"""
        {
          "id": "3f2a1b2c-8d4e-4f6a-9b1c-2d3e4f5a6b7c", "state": "{{state}}", "prompt": "fix it", "agents": ["claude", "codex"],
          "currentAgent": "claude", "expectChanges": false, "createdAt": "{{ApiJson.Utc(Now - TimeSpan.FromMinutes(10))}}",
          "limits": {{limits}}, "waiting": {{waiting}}
        }
        """);

    static List<string> Header(TaskDetail task) => Rendered.Lines(console => TaskView.WriteHeader(console, task, Now));

    static bool IsWaiting(string line) => line.StartsWith("Waiting ", StringComparison.Ordinal);

    static bool IsOnLimit(string line) => line.StartsWith("On limit ", StringComparison.Ordinal);

    static string Local(int minutes) => (Now + TimeSpan.FromMinutes(minutes)).ToLocalTime().ToString("HH:mm:ss", CultureInfo.InvariantCulture);
}
