using System.Text.Json.Nodes;
using Supervisor.IntegrationTests.Infrastructure;

namespace Supervisor.IntegrationTests.Controls;

[Collection(ControlsCollection.Name)]
public sealed class WatchingTasks(ControlsFixture fixture)
{
    readonly ApiClient _api = fixture.Stack.Api;
    static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Following_logs_streams_lines_in_order_as_they_happen_and_ends_with_the_task()
    {
        var id = await _api.SubmitAsync(new { prompt = "for i in 1 2 3 4 5 6; do echo line $i; sleep 0.3; done" });

        var (chunks, end, firstAt, lastAt) = await FollowAsync(id);

        Assert.Equal("line 1\nline 2\nline 3\nline 4\nline 5\nline 6\n", string.Concat(chunks.Select(c => c["text"]!.GetValue<string>())));
        Assert.Equal("Succeeded", end!["state"]!.GetValue<string>());
        Assert.True(chunks.Count >= 3, $"expected the lines to arrive over several chunks as they were printed, got {chunks.Count}");
        Assert.True(lastAt - firstAt > TimeSpan.FromSeconds(0.8), "chunks arrived all at once, not live");
        Assert.Equal(chunks.Select(c => c["sequence"]!.GetValue<long>()).Order(), chunks.Select(c => c["sequence"]!.GetValue<long>()));
    }

    /// <summary>
    /// Followers share the instance's one listening connection (they used to take one each, from the saga's pool); past
    /// <c>MaxLogFollowers</c> the next is told to come back, and once they are done a new one is served.
    /// </summary>
    [Fact]
    public async Task Many_followers_share_one_listening_connection_and_past_the_cap_are_told_to_come_back()
    {
        var id = await _api.SubmitAsync(new { prompt = "for i in 1 2 3 4 5 6 7 8; do echo line $i; sleep 0.5; done" });
        var followers = Enumerable.Range(0, ControlsFixture.MaxLogFollowers).Select(_ => FollowAsync(id)).ToList();
        await WaitUntilAsync(async () => await ListeningConnectionsAsync() >= 1 && await FollowersServedAsync() >= ControlsFixture.MaxLogFollowers);

        Assert.Equal(1, await ListeningConnectionsAsync());
        using (var refused = await _api.Http.GetAsync($"/api/tasks/{id}/logs?follow=true", HttpCompletionOption.ResponseHeadersRead))
        {
            Assert.Equal(System.Net.HttpStatusCode.ServiceUnavailable, refused.StatusCode);
            Assert.Equal(TimeSpan.FromSeconds(5), refused.Headers.RetryAfter?.Delta);
            Assert.Contains("MaxLogFollowers", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        foreach (var (chunks, end, _, _) in await Task.WhenAll(followers))
        {
            Assert.Equal("Succeeded", end!["state"]!.GetValue<string>());
            Assert.Equal(string.Concat(Enumerable.Range(1, 8).Select(i => $"line {i}\n")), string.Concat(chunks.Select(c => c["text"]!.GetValue<string>())));
        }

        var (_, again, _, _) = await FollowAsync(id);
        Assert.Equal("Succeeded", again!["state"]!.GetValue<string>());
    }

    /// <summary>Connections of the service that listen for appended output (their last statement was the LISTEN).</summary>
    async Task<long> ListeningConnectionsAsync()
    {
        await using var connection = new Npgsql.NpgsqlConnection(fixture.Stack.Resources.InspectionPostgres);
        await connection.OpenAsync();
        await using var count = new Npgsql.NpgsqlCommand(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'LISTEN task_logs%'", connection);
        return (long)(await count.ExecuteScalarAsync())!;
    }

    /// <summary>The streams the service serves now, as its <c>/metrics</c> counts them.</summary>
    async Task<int> FollowersServedAsync()
    {
        var metrics = await _api.Http.GetStringAsync("/metrics");
        var line = metrics.Split('\n').Single(l => l.StartsWith("supervisor_log_followers ", StringComparison.Ordinal));
        return int.Parse(line["supervisor_log_followers ".Length..], System.Globalization.CultureInfo.InvariantCulture);
    }

    static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "the followers were not all served within 20 s");
            await Task.Delay(100);
        }
    }

    [Fact]
    public async Task A_secret_split_across_output_chunks_never_reaches_stored_or_streamed_logs()
    {
        var half = ControlsFixture.Secret.Length / 2;
        var id = await _api.SubmitAsync(new
        {
            prompt = $"printf 'key=%s' '{ControlsFixture.Secret[..half]}'; sleep 0.6; printf '%s and done\\n' '{ControlsFixture.Secret[half..]}'; echo token sk-ant-api03-AbCdEfGhIjKlMnOpQrStUvWx",
        });

        var (streamed, _, _, _) = await FollowAsync(id);
        var stored = await _api.CompleteLogsAsync(id);

        foreach (var text in new[] { string.Concat(streamed.Select(c => c["text"]!.GetValue<string>())), string.Concat(stored.Select(c => c!["text"]!.GetValue<string>())) })
        {
            Assert.DoesNotContain(ControlsFixture.Secret[..half], text);
            Assert.DoesNotContain(ControlsFixture.Secret[half..], text);
            Assert.DoesNotContain("AbCdEfGhIjKlMnOpQrStUvWx", text);
            Assert.Contains("key=[REDACTED] and done", text);
        }
    }

    [Fact]
    public async Task The_fleet_view_shows_live_workers_and_drops_one_that_stops()
    {
        var extra = await fixture.Stack.AddWorkerAsync("shell");
        await CancellingAndPausing.WaitUntilAsync(async () => LiveWorkers(await AgentAsync("shell")) == 3);

        await extra.StopAsync(TimeSpan.FromSeconds(30));
        await CancellingAndPausing.WaitUntilAsync(async () => LiveWorkers(await AgentAsync("shell")) == 2);

        var shell = await AgentAsync("shell");
        Assert.All(shell["workers"]!.AsArray().Where(w => !w!["stopping"]!.GetValue<bool>()), w =>
        {
            Assert.False(w!["lost"]!.GetValue<bool>());
            Assert.True(DateTime.UtcNow - w["lastHeartbeat"]!.GetValue<DateTime>().ToUniversalTime() < TimeSpan.FromSeconds(10));
        });
        Assert.NotNull(shell["queueDepth"]);
    }

    [Fact]
    public async Task A_worker_that_vanishes_is_shown_as_lost()
    {
        var doomed = await fixture.Stack.AddWorkerAsync("shell");
        var id = $"shell-w{fixture.Stack.Workers.Count}";
        await CancellingAndPausing.WaitUntilAsync(async () => Worker(await AgentAsync("shell"), id) is { } w && !w["lost"]!.GetValue<bool>());

        await doomed.KillAsync();

        await CancellingAndPausing.WaitUntilAsync(async () => Worker(await AgentAsync("shell"), id)?["lost"]!.GetValue<bool>() == true);
    }

    static JsonNode? Worker(JsonNode agent, string id) => agent["workers"]!.AsArray().FirstOrDefault(w => w!["id"]!.GetValue<string>() == id);

    [Fact]
    public async Task A_pre_attempt_hook_gets_the_attempt_as_json_and_its_veto_makes_the_task_invalid()
    {
        var vetoed = await _api.SubmitAsync(new { prompt = "echo this is forbidden" });
        var allowed = await _api.SubmitAsync(new { prompt = "echo fine" });

        var task = await _api.WaitForAsync(vetoed, Timeout);
        Assert.Equal("Failed", task["state"]!.GetValue<string>());
        var attempt = Assert.Single(task["attempts"]!.AsArray())!;
        Assert.Equal("Invalid", attempt["errorClass"]!.GetValue<string>());
        Assert.Contains("prompts may not contain the word forbidden", attempt["message"]!.GetValue<string>());

        Assert.Equal("Succeeded", (await _api.WaitForAsync(allowed, Timeout))["state"]!.GetValue<string>());
        var inputs = (await File.ReadAllLinesAsync(Path.Combine(fixture.State, "hook-inputs.jsonl"))).Select(l => JsonNode.Parse(l)!);
        var input = inputs.Single(i => i["task"]!["id"]!.GetValue<Guid>() == allowed);
        Assert.Equal(("pre-attempt", "echo fine", 1), (input["hook"]!.GetValue<string>(), input["task"]!["prompt"]!.GetValue<string>(), input["attempt"]!["number"]!.GetValue<int>()));
    }

    async Task<JsonNode> AgentAsync(string name) =>
        JsonNode.Parse(await _api.Http.GetStringAsync("/api/agents"))!.AsArray().Single(a => a!["name"]!.GetValue<string>() == name)!;

    static int LiveWorkers(JsonNode agent) =>
        agent["workers"]!.AsArray().Count(w => !w!["lost"]!.GetValue<bool>() && !w["stopping"]!.GetValue<bool>());

    async Task<(List<JsonNode> Chunks, JsonNode? End, DateTime FirstAt, DateTime LastAt)> FollowAsync(Guid id)
    {
        using var cancel = new CancellationTokenSource(Timeout);
        using var response = await _api.Http.GetAsync($"/api/tasks/{id}/logs?follow=true", HttpCompletionOption.ResponseHeadersRead, cancel.Token);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cancel.Token));
        var chunks = new List<JsonNode>();
        var arrivals = new List<DateTime>();
        string? eventName = null;
        while (await reader.ReadLineAsync(cancel.Token) is { } line)
        {
            if (line.StartsWith("event: ", StringComparison.Ordinal))
            {
                eventName = line["event: ".Length..];
            }
            else if (line.StartsWith("data: ", StringComparison.Ordinal))
            {
                var data = JsonNode.Parse(line["data: ".Length..])!;
                if (eventName == "end")
                    return (chunks, data, arrivals.FirstOrDefault(), arrivals.LastOrDefault());
                chunks.Add(data);
                arrivals.Add(DateTime.UtcNow);
            }
        }

        throw new InvalidOperationException("the stream closed without an end event");
    }
}
