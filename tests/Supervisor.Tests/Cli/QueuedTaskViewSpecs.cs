using System.Globalization;
using Supervisor.Cli.Api;
using Supervisor.Cli.Commands;
using Supervisor.Cli.Rendering;

namespace Supervisor.Tests.Cli;

/// <summary>
/// How <c>show</c>, <c>list</c>, <c>schedule show</c> and <c>submit --wait</c> tell a task's concurrency key and its wait
/// in <c>Submitted</c> while the key is full, read from the API's JSON.
/// </summary>
public sealed class QueuedTaskViewSpecs
{
    // Noon local time, so that a few minutes either way stay on the same local day wherever the specs run.
    static readonly DateTimeOffset Now = new DateTimeOffset(new DateTime(2026, 12, 5, 12, 0, 0, DateTimeKind.Local)).ToUniversalTime();

    static readonly string Queued = $$"""
        {"reason": "concurrency", "account": null, "key": "repo=web", "until": null, "deadline": null,
         "since": "{{ApiJson.Utc(Now - TimeSpan.FromMinutes(6))}}", "message": "key repo=web: 1 under way (limit 1)"}
        """;

    const string Key = """{"key": "repo=web", "limit": 2, "strategy": "cancelRunning"}""";

    [Fact]
    public void Show_says_which_key_a_queued_task_waits_for_since_when_then_why()
    {
        var lines = Header(Task("Submitted", Queued));

        var at = lines.FindIndex(IsWaiting);
        Assert.EndsWith($"for key repo=web (concurrency), since {Local(-6)}", lines[at], StringComparison.Ordinal);
        Assert.EndsWith(" key repo=web: 1 under way (limit 1)", lines[at + 1], StringComparison.Ordinal);
    }

    [Fact]
    public void Show_leaves_out_the_start_time_a_queued_task_has_passed()
    {
        var runAt = ApiJson.Utc(Now - TimeSpan.FromMinutes(7));

        Assert.DoesNotContain(Header(Task("Submitted", Queued, runAt: runAt)), l => l.StartsWith("Runs at ", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("Submitted", null)]
    [InlineData("Cancelled", "queued")]
    public void Show_has_no_wait_for_a_task_not_queued_or_ended(string state, string? waiting) =>
        Assert.DoesNotContain(Header(Task(state, waiting is null ? "null" : Queued)), IsWaiting);

    [Fact]
    public void Show_names_the_key_its_limit_and_strategy_as_the_command_line_spells_it_and_nothing_without_one()
    {
        Assert.EndsWith("repo=web, limit 2, cancel-running",
            Assert.Single(Header(Task("Running", "null", Key)), IsConcurrency), StringComparison.Ordinal);
        Assert.DoesNotContain(Header(Task("Running", "null")), IsConcurrency);
    }

    [Fact]
    public void List_marks_a_queued_task_with_its_key_and_leaves_the_others_alone()
    {
        var created = ApiJson.Utc(Now);
        var tasks = ApiJson.Read<IReadOnlyList<TaskSummary>>($$"""
            [
              {"id": "11111111-0000-0000-0000-000000000000", "state": "Submitted", "createdAt": "{{created}}", "waiting": {{Queued}},
               "runAt": "{{ApiJson.Utc(Now - TimeSpan.FromMinutes(7))}}", "concurrency": {{Key}}},
              {"id": "22222222-0000-0000-0000-000000000000", "state": "Running", "createdAt": "{{created}}", "waiting": null,
               "concurrency": {{Key}}}
            ]
            """);

        var lines = Rendered.Lines(console => TaskTable.Write(console, tasks, Now));

        string Row(string id) => Assert.Single(lines, l => l.StartsWith(id, StringComparison.Ordinal));
        Assert.Contains("Submitted (queued on repo=web)", Row("11111111"), StringComparison.Ordinal);
        Assert.DoesNotContain("queued", Row("22222222"), StringComparison.Ordinal);
    }

    [Fact]
    public void Submit_wait_says_which_key_a_queued_task_waits_for() =>
        Assert.Equal($"waiting for key repo=web (concurrency), since {Local(-6)}",
            TaskWaiter.Detail("Submitted", Task("Submitted", Queued), Now, isLatest: true, Now));

    [Fact]
    public void Schedule_show_names_the_key_of_its_template_with_the_defaults_it_left()
    {
        var schedule = ApiJson.Read<ScheduleDetail>($$"""
            {"id": "5c0ffee0-1111-4a4a-8b8b-000000000001", "every": "01:00:00", "timeZone": "UTC", "paused": false,
             "createdAt": "{{ApiJson.Utc(Now)}}", "template": {"prompt": "make report", "concurrencyKey": "nightly"} }
            """);

        var lines = Rendered.Lines(console => ScheduleView.Write(console, schedule, Now));

        Assert.EndsWith("nightly, limit 1, queue", Assert.Single(lines, IsConcurrency), StringComparison.Ordinal);
    }

    /// <summary>A <c>GET /api/tasks/{id}</c> answer whose <c>waiting</c> is <paramref name="waiting"/> (JSON).</summary>
    static TaskDetail Task(string state, string waiting, string concurrency = "null", string? runAt = null) => ApiJson.Read<TaskDetail>($$"""
        {
          "id": "3f2a1b2c-8d4e-4f6a-9b1c-2d3e4f5a6b7c", "state": "{{state}}", "prompt": "fix it", "agents": ["claude"],
          "expectChanges": false, "createdAt": "{{ApiJson.Utc(Now - TimeSpan.FromMinutes(10))}}",
          "runAt": {{(runAt is null ? "null" : $"\"{runAt}\"")}}, "concurrency": {{concurrency}}, "waiting": {{waiting}}
        }
        """);

    static List<string> Header(TaskDetail task) => Rendered.Lines(console => TaskView.WriteHeader(console, task, Now));

    static bool IsWaiting(string line) => line.StartsWith("Waiting ", StringComparison.Ordinal);

    static bool IsConcurrency(string line) => line.StartsWith("Concurrency ", StringComparison.Ordinal);

    static string Local(int minutes) => (Now + TimeSpan.FromMinutes(minutes)).ToLocalTime().ToString("HH:mm:ss", CultureInfo.InvariantCulture);
}
