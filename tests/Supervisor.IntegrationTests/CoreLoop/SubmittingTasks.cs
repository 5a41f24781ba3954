using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Supervisor.IntegrationTests.Infrastructure;

namespace Supervisor.IntegrationTests.CoreLoop;

[Collection(CoreLoopCollection.Name)]
public sealed class SubmittingTasks(CoreLoopFixture fixture)
{
    readonly ApiClient _api = fixture.Stack.Api;
    static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task A_shell_task_succeeds_and_its_output_is_stored()
    {
        var id = await _api.SubmitAsync(new { prompt = "echo hello from $SUPERVISOR_AGENT; echo to-stderr >&2; printf no-newline" });

        var task = await _api.WaitForAsync(id, Timeout);

        Assert.Equal("Succeeded", task["state"]!.GetValue<string>());
        var attempt = Assert.Single(task["attempts"]!.AsArray())!;
        Assert.Equal(0, attempt["exitCode"]!.GetValue<int>());
        Assert.StartsWith("shell-w", attempt["worker"]!.GetValue<string>());
        Assert.NotNull(attempt["startedAt"]);
        Assert.NotNull(attempt["finishedAt"]);
        Assert.Equal(
            ["Initial→Submitted", "Submitted→Dispatched", "Dispatched→Running", "Running→Succeeded"],
            task["transitions"]!.AsArray().Select(t => $"{t!["from"]}→{t["to"]}"));
        Assert.Contains("hello from shell", task["result"]!["summary"]!.GetValue<string>());

        var logs = await _api.CompleteLogsAsync(id);
        var stdout = string.Concat(logs.Where(c => c!["stream"]!.GetValue<string>() == "stdout").Select(c => c!["text"]!.GetValue<string>()));
        var stderr = string.Concat(logs.Where(c => c!["stream"]!.GetValue<string>() == "stderr").Select(c => c!["text"]!.GetValue<string>()));
        Assert.Equal("hello from shell\nno-newline", stdout);
        Assert.Equal("to-stderr\n", stderr);
    }

    [Fact]
    public async Task A_task_in_a_git_repository_yields_a_commit_on_its_branch_and_removes_its_worktree()
    {
        using var repo = await GitRepository.CreateAsync();
        var id = await _api.SubmitAsync(new { prompt = "echo generated > hello.txt", repository = new { path = repo.Path } });

        var task = await _api.WaitForAsync(id, Timeout);

        Assert.Equal("Succeeded", task["state"]!.GetValue<string>());
        var result = task["result"]!;
        var branch = result["branch"]!.GetValue<string>();
        Assert.Equal($"supervisor/{id:N}/1", branch);
        Assert.Equal("generated\n", await repo.GitAsync("show", $"{branch}:hello.txt"));
        Assert.Equal(result["commit"]!.GetValue<string>(), (await repo.GitAsync("rev-parse", branch)).Trim());
        Assert.Contains("hello.txt", result["diffStat"]!.GetValue<string>());
        Assert.Equal(1, await WorktreesOnceRemovedAsync(repo));
        Assert.Equal("", await repo.GitAsync("status", "--porcelain"));
    }

    // The worker removes the workspace after it reports the result, so the task may show Succeeded a moment before.
    static async Task<int> WorktreesOnceRemovedAsync(GitRepository repo)
    {
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (true)
        {
            var count = (await repo.GitAsync("worktree", "list")).Split('\n', StringSplitOptions.RemoveEmptyEntries).Length;
            if (count == 1 || DateTime.UtcNow > deadline)
            {
                return count;
            }

            await Task.Delay(100);
        }
    }

    [Fact]
    public async Task A_task_from_a_base_ref_starts_from_that_commit()
    {
        using var repo = await GitRepository.CreateAsync();
        var first = (await repo.GitAsync("rev-parse", "HEAD")).Trim();
        await repo.CommitFileAsync("later.txt", "later");
        var id = await _api.SubmitAsync(new { prompt = "test ! -e later.txt && touch from-base", repository = new { path = repo.Path, baseRef = first } });

        var task = await _api.WaitForAsync(id, Timeout);

        Assert.Equal("Succeeded", task["state"]!.GetValue<string>());
        Assert.Equal(first, (await repo.GitAsync("rev-parse", task["result"]!["branch"]!.GetValue<string>() + "^")).Trim());
    }

    [Fact]
    public async Task Submitting_the_same_id_twice_yields_one_task()
    {
        var id = Guid.NewGuid();
        var body = new { id, prompt = "echo once" };

        var responses = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => _api.Http.PostAsJsonAsync("/api/tasks", body)));
        Assert.All(responses, r => Assert.Equal(HttpStatusCode.Accepted, r.StatusCode));
        var task = await _api.WaitForAsync(id, Timeout);
        await Task.Delay(1000);
        task = await _api.GetAsync(id);

        Assert.Equal("Succeeded", task["state"]!.GetValue<string>());
        Assert.Single(task["attempts"]!.AsArray());
        Assert.Single(task["transitions"]!.AsArray(), t => t!["to"]!.GetValue<string>() == "Submitted");
    }

    [Fact]
    public async Task Output_beyond_the_cap_keeps_head_and_tail_and_marks_the_cut()
    {
        // ~2 MB of numbered lines against a 64 KiB cap.
        var id = await _api.SubmitAsync(new { prompt = "seq 1 300000" });

        var task = await _api.WaitForAsync(id, Timeout);

        Assert.Equal("Succeeded", task["state"]!.GetValue<string>());
        var logs = await _api.CompleteLogsAsync(id);
        var text = string.Concat(logs.Select(c => c!["text"]!.GetValue<string>()));
        Assert.StartsWith("1\n2\n3\n", text);
        Assert.EndsWith("299999\n300000\n", text);
        Assert.Contains(logs, c => c!["stream"]!.GetValue<string>() == "system" && c["text"]!.GetValue<string>().Contains("omitted"));
        Assert.InRange(System.Text.Encoding.UTF8.GetByteCount(text), 32 * 1024, 70 * 1024);
        Assert.True(logs.Count < 50, $"{logs.Count} chunks stored; the cap should bound the number of messages too");
    }

    [Fact]
    public async Task A_failing_task_is_retried_then_ends_Failed_with_its_exit_codes_recorded()
    {
        var id = await _api.SubmitAsync(new { prompt = "echo something broke >&2; exit 3" });

        var task = await _api.WaitForAsync(id, Timeout);

        Assert.Equal("Failed", task["state"]!.GetValue<string>());
        var attempts = task["attempts"]!.AsArray();
        Assert.Equal(3, attempts.Count);
        Assert.All(attempts, a => Assert.Equal((3, "AgentFailure"), (a!["exitCode"]!.GetValue<int>(), a["errorClass"]!.GetValue<string>())));
        Assert.Contains("something broke", task["error"]!.GetValue<string>());
    }

    [Fact]
    public async Task Tasks_are_listed_and_filtered_by_state()
    {
        var id = await _api.SubmitAsync(new { prompt = "true", labels = new Dictionary<string, string> { ["suite"] = "list" } });
        await _api.WaitForAsync(id, Timeout);

        var succeeded = JsonNode.Parse(await _api.Http.GetStringAsync("/api/tasks?state=Succeeded&limit=1000"))!.AsArray();
        var failed = JsonNode.Parse(await _api.Http.GetStringAsync("/api/tasks?state=Failed&limit=1000"))!.AsArray();

        Assert.Contains(succeeded, t => t!["id"]!.GetValue<Guid>() == id && t["labels"]!["suite"]!.GetValue<string>() == "list");
        Assert.DoesNotContain(failed, t => t!["id"]!.GetValue<Guid>() == id);
        Assert.All(succeeded, t => Assert.Equal("Succeeded", t!["state"]!.GetValue<string>()));
    }

    [Fact]
    public async Task A_task_shows_its_own_limit_policy_and_where_it_waits_once_parked()
    {
        // Delayed, so that no agent runs: only what is stored is read back.
        var runAt = ApiClient.RunAt(TimeSpan.FromMinutes(10)).ToString("O");
        var id = await _api.SubmitAsync(new { prompt = "true", onLimit = "fallback", maxWait = "1h30m", maxWindows = 3, runAt });
        var task = await _api.WaitForAsync(id, Timeout, "Submitted");

        Assert.Equal("""{"onLimit":"fallback","maxWait":"01:30:00","maxWindows":3}""", task["limits"]!.ToJsonString());
        Assert.Null(task["waiting"]);
        Assert.DoesNotContain(await WaitingAsync(), t => t!["id"]!.GetValue<Guid>() == id);

        // The limit gate parks a task by these columns; set here, so that the views are read without an account to block.
        await using (var db = new Npgsql.NpgsqlConnection(fixture.Stack.Resources.InspectionPostgres))
        {
            await db.OpenAsync();
            await using var park = new Npgsql.NpgsqlCommand("""
                UPDATE tasks SET hold_account = 'claude/3fa9c2d1e0b4', hold_reason = 'limit', hold_until = now() + interval '11 minutes',
                    hold_deadline = now() + interval '15 minutes', wait_since = now(), hold_message = 'usage window: resets 12:05'
                WHERE id = @id
                """, db);
            park.Parameters.AddWithValue("id", id);
            Assert.Equal(1, await park.ExecuteNonQueryAsync());
        }

        var waiting = (await _api.GetAsync(id))["waiting"]!;
        var listed = Assert.Single(await WaitingAsync(), t => t!["id"]!.GetValue<Guid>() == id)!;
        Assert.Equal(("limit", "claude/3fa9c2d1e0b4", "usage window: resets 12:05"),
            (waiting["reason"]!.GetValue<string>(), waiting["account"]!.GetValue<string>(), waiting["message"]!.GetValue<string>()));
        var (since, until, deadline) = (At(waiting, "since"), At(waiting, "until"), At(waiting, "deadline"));
        Assert.Equal((TimeSpan.FromMinutes(11), TimeSpan.FromMinutes(15)), (until - since, deadline - since));
        Assert.Equal(waiting.ToJsonString(), listed["waiting"]!.ToJsonString());
        Assert.Equal(task["limits"]!.ToJsonString(), listed["limits"]!.ToJsonString());
        Assert.Equal(202, (await _api.CommandAsync(id, "cancel")).Status);
    }

    [Fact]
    public async Task A_task_shows_its_concurrency_key_and_where_it_waits_once_queued_on_it()
    {
        // Delayed, so that no agent runs: only what is stored is read back.
        var runAt = ApiClient.RunAt(TimeSpan.FromMinutes(10)).ToString("O");
        var id = await _api.SubmitAsync(new { prompt = "true", concurrencyKey = "repo=web", runAt });
        var task = await _api.WaitForAsync(id, Timeout, "Submitted");

        Assert.Equal("""{"key":"repo=web","limit":1,"strategy":"queue"}""", task["concurrency"]!.ToJsonString());
        Assert.Null(task["waiting"]);
        Assert.DoesNotContain(await WaitingAsync(), t => t!["id"]!.GetValue<Guid>() == id);

        // The saga queues a task on its full key by these columns; set here, so that the views are read without a second task.
        await using (var db = new Npgsql.NpgsqlConnection(fixture.Stack.Resources.InspectionPostgres))
        {
            await db.OpenAsync();
            await using var queue = new Npgsql.NpgsqlCommand("""
                UPDATE tasks SET hold_reason = 'concurrency', wait_since = now(), hold_message = 'key repo=web: 1 under way (limit 1)'
                WHERE id = @id
                """, db);
            queue.Parameters.AddWithValue("id", id);
            Assert.Equal(1, await queue.ExecuteNonQueryAsync());
        }

        var waiting = (await _api.GetAsync(id))["waiting"]!;
        var listed = Assert.Single(await WaitingAsync(), t => t!["id"]!.GetValue<Guid>() == id)!;
        Assert.Equal(("concurrency", "repo=web", "key repo=web: 1 under way (limit 1)"),
            (waiting["reason"]!.GetValue<string>(), waiting["key"]!.GetValue<string>(), waiting["message"]!.GetValue<string>()));
        Assert.Equal((null, null, null), (waiting["account"], waiting["until"], waiting["deadline"]));
        Assert.NotNull(waiting["since"]);
        Assert.Equal(waiting.ToJsonString(), listed["waiting"]!.ToJsonString());
        Assert.Equal(task["concurrency"]!.ToJsonString(), listed["concurrency"]!.ToJsonString());

        // The release step (every second) finds room on the key, yet leaves a task whose start time is ahead where it is.
        await Task.Delay(TimeSpan.FromSeconds(3));
        var later = await _api.GetAsync(id);
        Assert.Equal(("Submitted", "concurrency"), (later["state"]!.GetValue<string>(), later["waiting"]?["reason"]?.GetValue<string>()));
        Assert.Equal(202, (await _api.CommandAsync(id, "cancel")).Status);
    }

    async Task<JsonArray> WaitingAsync() => JsonNode.Parse(await _api.Http.GetStringAsync("/api/tasks?waiting=true&limit=1000"))!.AsArray();

    static DateTime At(JsonNode node, string name) => node[name]!.GetValue<DateTime>().ToUniversalTime();

    [Fact]
    public async Task The_list_filters_and_the_counts_answer_from_their_indexes_and_totals_as_from_the_tasks()
    {
        var marker = Guid.NewGuid().ToString("N")[..12];
        var ids = new List<Guid>();
        foreach (var (prompt, team) in new[] { ($"true # Marker-{marker} one", "web"), ($"true # marker-{marker} two", "api"), ("true # other", "web") })
            ids.Add(await _api.SubmitAsync(new { prompt, agents = new[] { "shell" }, labels = new Dictionary<string, string> { ["suite"] = marker, ["team"] = team } }));
        foreach (var id in ids)
            Assert.Equal("Succeeded", (await _api.WaitForAsync(id, Timeout))["state"]!.GetValue<string>());

        // The tasks a filter lets through (the saga records them in the order it takes them, not necessarily submitted).
        async Task<List<Guid>> ListAsync(string query) =>
            [.. JsonNode.Parse(await _api.Http.GetStringAsync($"/api/tasks?{query}&limit=1000"))!.AsArray().Select(t => t!["id"]!.GetValue<Guid>()).Order()];
        Assert.Equal(ids.Order(), await ListAsync($"agent=shell&label=suite%3D{marker}"));
        Assert.Empty(await ListAsync($"agent=nobody-{marker}"));
        Assert.Equal(new[] { ids[0], ids[1] }.Order(), await ListAsync($"text=MARKER-{marker}"));
        Assert.Equal(new[] { ids[0], ids[2] }.Order(), (await ListAsync("label=team%3Dweb")).Where(ids.Contains));
        var counts = JsonNode.Parse(await _api.Http.GetStringAsync($"/api/tasks/counts?label=suite%3D{marker}"))!;
        Assert.Equal(3, counts["Succeeded"]!.GetValue<long>());

        // Every task: the counts come from the totals the triggers keep; they equal a count of the rows.
        await using var connection = new Npgsql.NpgsqlConnection(fixture.Stack.Resources.InspectionPostgres);
        await connection.OpenAsync();
        for (var attempt = 1; ; attempt++)
        {
            var before = JsonNode.Parse(await _api.Http.GetStringAsync("/api/tasks/counts"))!.ToJsonString();
            await using var command = new Npgsql.NpgsqlCommand("SELECT state, count(*) FROM tasks GROUP BY state", connection);
            var stored = new Dictionary<string, long>(StringComparer.Ordinal);
            await using (var reader = await command.ExecuteReaderAsync())
            {
                while (await reader.ReadAsync())
                    stored[reader.GetString(0)] = reader.GetInt64(1);
            }

            var after = JsonNode.Parse(await _api.Http.GetStringAsync("/api/tasks/counts"))!.AsObject();
            if (before == after.ToJsonString() || attempt == 10)
            {
                Assert.All(after, c => Assert.Equal(stored.GetValueOrDefault(c.Key), c.Value!.GetValue<long>()));
                break;
            }

            await Task.Delay(500); // other tests' tasks still moving: count again
        }
    }

    [Fact]
    public async Task A_task_is_found_by_a_prefix_of_its_id_whatever_came_after_it()
    {
        var id = await _api.SubmitAsync(new { prompt = "true" });
        await _api.WaitForAsync(await _api.SubmitAsync(new { prompt = "true" }), Timeout); // a newer task

        foreach (var prefix in new[] { id.ToString("N")[..6], id.ToString("D")[..13].ToUpperInvariant(), id.ToString("D") })
        {
            var found = JsonNode.Parse(await _api.Http.GetStringAsync($"/api/tasks?idPrefix={prefix}&limit=1"))!.AsArray();
            Assert.Equal(id, Assert.Single(found)!["id"]!.GetValue<Guid>());
        }

        using var bad = await _api.Http.GetAsync("/api/tasks?idPrefix=xyz");
        Assert.Equal(System.Net.HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Contains("idPrefix", await bad.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }
}
