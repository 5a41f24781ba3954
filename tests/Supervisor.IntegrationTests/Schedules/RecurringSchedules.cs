using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Supervisor.IntegrationTests.Infrastructure;

namespace Supervisor.IntegrationTests.Schedules;

/// <summary>Schedules on a real service and real shell workers: overlap policies, pause and resume, triggers, bad input.</summary>
[Collection(SchedulesCollection.Name)]
public sealed class RecurringSchedules(SchedulesFixture fixture)
{
    readonly ApiClient _api = fixture.Stack.Api;
    static readonly TimeSpan Settle = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task An_every_2_seconds_skip_schedule_whose_task_takes_5_seconds_never_has_two_running()
    {
        var id = await CreateAsync(new { every = "2s", overlap = "skip", template = new { prompt = "sleep 5", agent = "shell" } });

        await Task.Delay(TimeSpan.FromSeconds(21));
        await _api.ScheduleCommandAsync(id, "pause");
        var tasks = await _api.SettledTasksAsync(id, Settle);

        Assert.True(tasks.Count >= 3, $"{tasks.Count} tasks in 21 s");
        Assert.All(tasks, t => Assert.Equal("Succeeded", t["state"]!.GetValue<string>()));
        AssertNeverTwoRunning(tasks);
        Assert.True((await _api.GetScheduleAsync(id))["counts"]!["overlapSkipped"]!.GetValue<long>() >= 5);
    }

    [Fact]
    public async Task A_bufferOne_schedule_queues_at_most_one_fire_and_starts_it_once_the_running_task_ends()
    {
        var id = await CreateAsync(new { every = "2s", overlap = "bufferOne", template = new { prompt = "sleep 5", agent = "shell" } });

        var mostBuffered = 0;
        var until = DateTime.UtcNow.AddSeconds(20);
        while (DateTime.UtcNow < until)
        {
            var fires = (await _api.GetScheduleAsync(id))["recentFires"]!.AsArray();
            mostBuffered = Math.Max(mostBuffered, fires.Count(f => f!["outcome"]!.GetValue<string>() == "buffered"));
            await Task.Delay(200);
        }

        await _api.ScheduleCommandAsync(id, "pause");
        var tasks = await _api.SettledTasksAsync(id, Settle);
        var schedule = await _api.GetScheduleAsync(id);

        Assert.Equal(1, mostBuffered);
        Assert.True(tasks.Count >= 3, $"{tasks.Count} tasks in 20 s");
        AssertNeverTwoRunning(tasks);
        Assert.True(schedule["counts"]!["overlapSkipped"]!.GetValue<long>() > 0, schedule.ToJsonString());
    }

    [Fact]
    public async Task A_cancelOther_schedule_cancels_the_running_task_at_each_fire_and_then_starts_the_new_one()
    {
        var id = await CreateAsync(new { every = "4s", overlap = "cancelOther", template = new { prompt = "sleep 60", agent = "shell" } });
        await WaitUntilAsync(async () => (await _api.ScheduleTasksAsync(id)).Count >= 3, seconds: 40);
        await _api.ScheduleCommandAsync(id, "pause");
        foreach (var open in (await _api.ScheduleTasksAsync(id)).Where(t => !ApiClient.Terminal.Contains(t!["state"]!.GetValue<string>())))
            await _api.CommandAsync(open!["id"]!.GetValue<Guid>(), "cancel", by: "test");

        var tasks = (await _api.SettledTasksAsync(id, Settle)).OrderBy(SchedulesApi.ScheduledFor).ToList();
        Assert.True(tasks.Count >= 3, $"{tasks.Count} tasks");
        Assert.All(tasks, t => Assert.Equal("Cancelled", t["state"]!.GetValue<string>()));
        for (var i = 1; i < tasks.Count; i++)
        {
            // each was cancelled by the schedule's next fire, and that fire's task was created only once it was
            var cancelled = tasks[i - 1]["transitions"]!.AsArray().Single(x => x!["to"]!.GetValue<string>() == "Cancelled")!;
            if (cancelled["by"]!.GetValue<string>() == "test")
                continue;
            Assert.StartsWith($"schedule ", cancelled["by"]!.GetValue<string>(), StringComparison.Ordinal);
            Assert.StartsWith("cancelOther: superseded by the fire at", cancelled["reason"]!.GetValue<string>(), StringComparison.Ordinal);
            Assert.True(tasks[i]["createdAt"]!.GetValue<DateTime>() >= cancelled["at"]!.GetValue<DateTime>(),
                $"task {i} was created at {tasks[i]["createdAt"]} before task {i - 1} was cancelled at {cancelled["at"]}");
        }
    }

    [Fact]
    public async Task A_paused_schedule_fires_nothing_and_resumes_without_catching_up()
    {
        var id = await CreateAsync(new { every = "2s", overlap = "allow", template = new { prompt = "true", agent = "shell" } });
        await WaitUntilAsync(async () => (await _api.ScheduleTasksAsync(id)).Count >= 2);

        using var alice = _api.As("alice");
        var (status, paused) = await alice.ScheduleCommandAsync(id, "pause", new { reason = "maintenance" });
        var pausedAt = DateTime.UtcNow;
        Assert.Equal((200, true, "alice", "maintenance"),
            (status, paused!["paused"]!.GetValue<bool>(), paused["pausedBy"]!.GetValue<string>(), paused["pauseReason"]!.GetValue<string>()));
        Assert.Null(paused["nextFireAt"]);
        var before = (await _api.ScheduleTasksAsync(id)).Count;
        await Task.Delay(TimeSpan.FromSeconds(6));
        Assert.Equal(before, (await _api.ScheduleTasksAsync(id)).Count);

        var resumedAt = DateTime.UtcNow;
        Assert.Equal(200, (await _api.ScheduleCommandAsync(id, "resume")).Status);
        await WaitUntilAsync(async () => (await _api.ScheduleTasksAsync(id)).Count >= before + 2);
        await _api.ScheduleCommandAsync(id, "pause");

        var tasks = await _api.SettledTasksAsync(id, Settle);
        var inPause = tasks.Select(SchedulesApi.ScheduledFor).Where(at => at > pausedAt.AddSeconds(1) && at < resumedAt).ToList();
        Assert.Empty(inPause);
        Assert.Equal(tasks.Count, tasks.Select(SchedulesApi.ScheduledFor).Distinct().Count());
    }

    [Fact]
    public async Task A_trigger_fires_now_even_while_paused_and_a_retried_trigger_makes_no_second_task()
    {
        var id = await CreateAsync(new { cron = "0 0 1 1 *", paused = true, template = new { prompt = "echo triggered", agent = "shell", labels = new { team = "a" } } });
        var request = Guid.NewGuid();

        var (status, fired) = await _api.ScheduleCommandAsync(id, "trigger", new { id = request });
        var (again, refired) = await _api.ScheduleCommandAsync(id, "trigger", new { id = request });

        Assert.Equal((202, "submitted"), (status, fired!["outcome"]!.GetValue<string>()));
        var taskId = fired["taskId"]!.GetValue<Guid>();
        Assert.Equal((202, taskId, "submitted"), (again, refired!["taskId"]!.GetValue<Guid>(), refired["outcome"]!.GetValue<string>()));
        var task = await _api.WaitForAsync(taskId, Settle);
        Assert.Equal("Succeeded", task["state"]!.GetValue<string>());
        Assert.Equal((id.ToString(), "a"), (task["labels"]!["schedule"]!.GetValue<string>(), task["labels"]!["team"]!.GetValue<string>()));
        Assert.Single(await _api.ScheduleTasksAsync(id));
        var schedule = await _api.GetScheduleAsync(id);
        var fire = Assert.Single(schedule["recentFires"]!.AsArray())!;
        Assert.Equal(("manual", "submitted"), (fire["kind"]!.GetValue<string>(), fire["outcome"]!.GetValue<string>()));
        Assert.Equal(0, schedule["counts"]!["overlapSkipped"]!.GetValue<long>());

        using var deleted = await _api.Http.DeleteAsync($"/api/schedules/{id}");
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await _api.Http.GetAsync($"/api/schedules/{id}")).StatusCode);
        Assert.Equal("Succeeded", (await _api.GetAsync(taskId))["state"]!.GetValue<string>());
    }

    public static TheoryData<string, string> BadSchedules => new()
    {
        { """{"cron": "61 * * * *", "template": {"prompt": "x"}}""", "cron" },
        { """{"cron": "* * * * *", "every": "5m", "template": {"prompt": "x"}}""", "cron" },
        { """{"template": {"prompt": "x"}}""", "cron" },
        { """{"every": "5", "template": {"prompt": "x"}}""", "every" },
        { """{"every": "0s", "template": {"prompt": "x"}}""", "every" },
        { """{"cron": "0 3 * * *", "timeZone": "Mars/Olympus", "template": {"prompt": "x"}}""", "timeZone" },
        { """{"every": "1h", "template": {"prompt": ""}}""", "template.prompt" },
        { """{"every": "1h", "template": {"prompt": "x", "agent": "no-such-agent"}}""", "template.agent" },
        { """{"every": "1h", "template": {"prompt": "x", "runAt": "2030-01-01T00:00:00Z"}}""", "template.runAt" },
        { """{"every": "1h", "template": {"prompt": "x", "labels": {"schedule": "mine"}}}""", "template.labels.schedule" },
        { """{"every": "1h", "template": {"prompt": "x", "onLimit": "retry"}}""", "template.onLimit" },
        { """{"every": "1h", "template": {"prompt": "x", "maxWait": "-1m"}}""", "template.maxWait" },
        { """{"every": "1h", "template": {"prompt": "x", "maxWindows": 101}}""", "template.maxWindows" },
        { """{"every": "1h", "template": {"prompt": "x", "concurrencyKey": ""}}""", "template.concurrencyKey" },
        { """{"every": "1h", "template": {"prompt": "x", "concurrencyKey": "k", "concurrencyStrategy": "drop"}}""", "template.concurrencyStrategy" },
        { """{"every": "1h"}""", "template" },
        { """{"every": "1h", "overlap": "sometimes", "template": {"prompt": "x"}}""", "overlap" },
        { """{"every": "1h", "catchUp": "all", "template": {"prompt": "x"}}""", "catchUp" },
        { """{"every": "1h", "catchUpWindow": "5", "template": {"prompt": "x"}}""", "catchUpWindow" },
        { """{"every": "1h", "startAt": "2030-01-02T00:00:00Z", "endAt": "2030-01-01T00:00:00Z", "template": {"prompt": "x"}}""", "endAt" },
        { """{"every": "1h", "startAt": "tomorrow", "template": {"prompt": "x"}}""", "startAt" },
        { """{"every": "1h", "name": "no spaces please", "template": {"prompt": "x"}}""", "name" },
        { """{"every": "1h", "paused": "yes", "template": {"prompt": "x"}}""", "paused" },
    };

    [Theory]
    [MemberData(nameof(BadSchedules))]
    public async Task A_bad_schedule_is_a_400_naming_the_field_and_creates_nothing(string body, string field)
    {
        var id = Guid.NewGuid();
        using var response = await _api.Http.PostAsync("/api/schedules", new StringContent(body.Insert(1, $"\"id\": \"{id}\", "), Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        var errors = problem["errors"]!.AsObject();
        Assert.True(errors.ContainsKey(field), $"expected an error for '{field}', got {problem.ToJsonString()}");
        Assert.False(string.IsNullOrWhiteSpace(errors[field]![0]!.GetValue<string>()));
        Assert.Equal(HttpStatusCode.NotFound, (await _api.Http.GetAsync($"/api/schedules/{id}")).StatusCode);
    }

    [Fact]
    public async Task A_create_retried_with_the_same_id_is_one_schedule_and_a_taken_name_is_a_409()
    {
        var id = Guid.NewGuid();
        var name = $"nightly-{id:N}";
        var body = new { id, name, cron = "0 3 * * *", timeZone = "Europe/Berlin", template = new { prompt = "echo bump", agent = "shell" } };
        var first = await _api.CreateScheduleAsync(body);
        using var retried = await _api.Http.PostAsJsonAsync("/api/schedules", body);
        using var taken = await _api.Http.PostAsJsonAsync("/api/schedules", body with { id = Guid.NewGuid() });

        Assert.Equal(HttpStatusCode.OK, retried.StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, taken.StatusCode);
        var next = first["nextFireAt"]!.GetValue<DateTime>().ToUniversalTime();
        var berlin = TimeZoneInfo.ConvertTimeFromUtc(next, TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin"));
        Assert.Equal((3, 0), (berlin.Hour, berlin.Minute));
        var listed = JsonNode.Parse(await _api.Http.GetStringAsync("/api/schedules"))!.AsArray();
        Assert.Single(listed, s => s!["id"]!.GetValue<Guid>() == id);
    }

    /// <summary>
    /// The schedule's wake-up is deleted from the scheduler's store (as if it had been lost): the sweep finds the schedule
    /// overdue, makes up for the fire and arms the next one, which then comes on time.
    /// </summary>
    [Fact]
    public async Task A_schedule_whose_wake_up_was_lost_is_caught_up_by_the_sweep_and_fires_on_time_after()
    {
        var id = await CreateAsync(new { every = "20s", overlap = "allow", template = new { prompt = "true", agent = "shell" } });
        var first = (await _api.GetScheduleAsync(id))["nextFireAt"]!.GetValue<DateTime>().ToUniversalTime();

        await using (var connection = new Npgsql.NpgsqlConnection(fixture.Stack.Resources.InspectionPostgres))
        {
            await connection.OpenAsync();
            await using var delete = new Npgsql.NpgsqlCommand("""
                WITH wakes AS (SELECT sched_name, job_name, job_group FROM qrtz_job_details WHERE convert_from(job_data, 'UTF8') LIKE '%' || @id || '%'),
                     simple AS (DELETE FROM qrtz_simple_triggers s USING qrtz_triggers t, wakes w
                                WHERE s.sched_name = t.sched_name AND s.trigger_name = t.trigger_name AND s.trigger_group = t.trigger_group
                                  AND t.sched_name = w.sched_name AND t.job_name = w.job_name AND t.job_group = w.job_group RETURNING 1)
                SELECT count(*) FROM wakes, (SELECT count(*) FROM simple) c
                """, connection);
            delete.Parameters.AddWithValue("id", id.ToString());
            // The wake-up goes to the scheduler through the outbox after the schedule's commit: on a busy machine it may
            // not be stored yet.
            var deadline = DateTime.UtcNow.AddSeconds(15);
            while ((long)(await delete.ExecuteScalarAsync())! == 0)
            {
                Assert.True(DateTime.UtcNow < deadline, "the schedule's wake-up was not stored by the scheduler within 15 s");
                await Task.Delay(50);
            }

            await using var rest = new Npgsql.NpgsqlCommand("""
                DELETE FROM qrtz_triggers t USING qrtz_job_details j
                WHERE t.sched_name = j.sched_name AND t.job_name = j.job_name AND t.job_group = j.job_group AND convert_from(j.job_data, 'UTF8') LIKE '%' || @id || '%';
                DELETE FROM qrtz_job_details WHERE convert_from(job_data, 'UTF8') LIKE '%' || @id || '%';
                """, connection);
            rest.Parameters.AddWithValue("id", id.ToString());
            // Until the fire was due: a copy of the wake-up the scheduler stores late (a send the outbox or the broker
            // delivered twice on a busy machine) is lost too, so the fire can only come from the sweep.
            do
            {
                await delete.ExecuteScalarAsync();
                await rest.ExecuteNonQueryAsync();
                await Task.Delay(200);
            }
            while (DateTime.UtcNow < first.AddSeconds(2));
        }

        await WaitUntilAsync(async () => (await _api.ScheduleTasksAsync(id)).Count >= 2, seconds: 60);
        await _api.ScheduleCommandAsync(id, "pause");

        var fires = (await _api.GetScheduleAsync(id))["recentFires"]!.AsArray().Reverse().ToList();
        var late = fires.Single(f => f!["scheduledFor"]!.GetValue<DateTime>().ToUniversalTime() == first)!;
        Assert.Equal(("catchUp", "submitted"), (late["kind"]!.GetValue<string>(), late["outcome"]!.GetValue<string>()));
        Assert.True(late["decidedAt"]!.GetValue<DateTime>().ToUniversalTime() >= first.AddSeconds(10), late.ToJsonString());
        var next = fires.Single(f => f!["scheduledFor"]!.GetValue<DateTime>().ToUniversalTime() == first.AddSeconds(20))!;
        Assert.Equal(("scheduled", "submitted"), (next["kind"]!.GetValue<string>(), next["outcome"]!.GetValue<string>()));
    }

    /// <summary>
    /// A fire recorded as submitted whose task never appeared (the service stopped between its decision and its submit;
    /// made here by writing such a fire): the sweep publishes its submit again, under the fire's task id.
    /// </summary>
    [Fact]
    public async Task A_fire_whose_submit_was_lost_is_submitted_again_by_the_sweep_under_its_own_task_id()
    {
        var id = await CreateAsync(new { cron = "0 0 1 1 *", template = new { prompt = "echo late but once", agent = "shell" } });
        var taskId = Guid.NewGuid();
        var occurrence = new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        await using (var connection = new Npgsql.NpgsqlConnection(fixture.Stack.Resources.InspectionPostgres))
        {
            await connection.OpenAsync();
            await using var insert = new Npgsql.NpgsqlCommand("""
                INSERT INTO schedule_fires (schedule_id, occurrence_at, kind, outcome, task_id, decided_at, open)
                VALUES (@id, @at, 'scheduled', 'submitted', @task, now() - interval '1 minute', true)
                """, connection);
            insert.Parameters.AddWithValue("id", id);
            insert.Parameters.AddWithValue("at", occurrence);
            insert.Parameters.AddWithValue("task", taskId);
            await insert.ExecuteNonQueryAsync();
        }

        await WaitUntilAsync(async () => (await _api.Http.GetAsync($"/api/tasks/{taskId}")).IsSuccessStatusCode);
        var task = await _api.WaitForAsync(taskId, Settle);

        Assert.Equal("Succeeded", task["state"]!.GetValue<string>());
        Assert.Equal((id.ToString(), "2026-01-01T00:00:00.000000Z"),
            (task["labels"]!["schedule"]!.GetValue<string>(), task["labels"]!["scheduledFor"]!.GetValue<string>()));
        Assert.Single(await _api.ScheduleTasksAsync(id));
    }

    async Task<Guid> CreateAsync(object body) => (await _api.CreateScheduleAsync(body))["id"]!.GetValue<Guid>();

    /// <summary>The attempts of all the tasks, each from its start to its end, overlap nowhere.</summary>
    static void AssertNeverTwoRunning(List<JsonNode> tasks)
    {
        var runs = tasks.SelectMany(t => t["attempts"]!.AsArray())
            .Select(a => (Start: a!["startedAt"]!.GetValue<DateTime>(), End: a["finishedAt"]!.GetValue<DateTime>()))
            .OrderBy(r => r.Start).ToList();
        for (var i = 1; i < runs.Count; i++)
            Assert.True(runs[i].Start >= runs[i - 1].End, $"an attempt started at {runs[i].Start:O} while another ran until {runs[i - 1].End:O}");
    }

    static async Task WaitUntilAsync(Func<Task<bool>> condition, int seconds = 30)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"condition not reached within {seconds} s");
            await Task.Delay(200);
        }
    }
}
