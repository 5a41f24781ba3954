using System.Globalization;
using Supervisor.Cli.Commands;

namespace Supervisor.Tests.Cli;

/// <summary>What <c>submit --wait</c> says about a delayed task, and how often it asks while the task waits.</summary>
public sealed class TaskWaiterSpecs
{
    static readonly DateTimeOffset Now = new DateTimeOffset(new DateTime(2026, 12, 5, 12, 0, 0, DateTimeKind.Local)).ToUniversalTime();

    [Fact]
    public void A_delayed_task_that_waits_says_until_when()
    {
        var runAt = Now + TimeSpan.FromMinutes(90);
        var task = ApiJson.Task("Submitted", Now, runAt);

        Assert.Equal($"waiting until {runAt.ToLocalTime().ToString("HH:mm:ss", CultureInfo.InvariantCulture)}",
            TaskWaiter.Detail("Submitted", task, Now, isLatest: true, Now));
    }

    [Fact]
    public void A_task_that_runs_now_or_whose_start_time_has_passed_says_nothing_while_Submitted()
    {
        Assert.Null(TaskWaiter.Detail("Submitted", ApiJson.Task("Submitted", Now, runAt: null), Now, isLatest: true, Now));
        var due = ApiJson.Task("Submitted", Now, Now - TimeSpan.FromSeconds(1));
        Assert.Null(TaskWaiter.Detail("Submitted", due, Now, isLatest: true, Now));
    }

    [Fact]
    public void The_Submitted_a_task_has_left_does_not_say_it_is_waiting()
    {
        var task = ApiJson.Task("Running", Now, Now + TimeSpan.FromMinutes(5));

        Assert.Null(TaskWaiter.Detail("Submitted", task, Now, isLatest: false, Now));
    }

    [Fact]
    public void A_task_hours_from_its_start_is_polled_every_15_seconds_not_every_2()
    {
        var task = ApiJson.Task("Submitted", Now, Now + TimeSpan.FromHours(3));

        Assert.Equal(TimeSpan.FromSeconds(15), TaskWaiter.NextInterval(TimeSpan.FromSeconds(2), changed: false, task, Now));
        Assert.Equal(TimeSpan.FromSeconds(15), TaskWaiter.NextInterval(TimeSpan.FromSeconds(2), changed: true, task, Now));
    }

    [Fact]
    public void A_task_close_to_its_start_is_polled_at_its_start()
    {
        var task = ApiJson.Task("Submitted", Now, Now + TimeSpan.FromSeconds(7));

        Assert.Equal(TimeSpan.FromSeconds(7), TaskWaiter.NextInterval(TimeSpan.FromSeconds(2), changed: false, task, Now));
    }

    [Fact]
    public void Once_the_start_time_has_come_polling_is_as_for_any_task()
    {
        var due = ApiJson.Task("Submitted", Now, Now - TimeSpan.FromSeconds(1));
        var started = ApiJson.Task("Running", Now, Now - TimeSpan.FromSeconds(1));

        Assert.Equal(TimeSpan.FromSeconds(2), TaskWaiter.NextInterval(TimeSpan.FromSeconds(15), changed: false, due, Now));
        Assert.Equal(TimeSpan.FromMilliseconds(500), TaskWaiter.NextInterval(TimeSpan.FromSeconds(15), changed: true, started, Now));
    }
}
