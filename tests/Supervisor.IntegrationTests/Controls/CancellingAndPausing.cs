using System.Diagnostics;
using Supervisor.IntegrationTests.Infrastructure;

namespace Supervisor.IntegrationTests.Controls;

[Collection(ControlsCollection.Name)]
public sealed class CancellingAndPausing(ControlsFixture fixture)
{
    readonly ApiClient _api = fixture.Stack.Api;
    static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Cancelling_a_running_task_kills_its_whole_process_tree_within_five_seconds()
    {
        var pids = Path.Combine(fixture.State, $"{Guid.NewGuid():N}.pids");
        var id = await _api.SubmitAsync(new { prompt = $"sleep 120 & echo $! >> {pids}; sh -c 'sleep 120' & echo $! >> {pids}; wait" });
        var running = await _api.WaitForAsync(id, Timeout, "Running");
        await WaitForFileAsync(pids, lines: 2);
        Assert.NotNull(running["attempts"]![0]!["lastHeartbeat"] ?? (await AwaitHeartbeatAsync(id))["attempts"]![0]!["lastHeartbeat"]);

        var clock = Stopwatch.StartNew();
        var (status, body) = await _api.CommandAsync(id, "cancel", by: "alice", reason: "wrong branch");
        while (ProcessTree.Pids(pids).Any(p => !ProcessTree.IsGone(p)) && clock.Elapsed < TimeSpan.FromSeconds(10))
            await Task.Delay(50);

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"the attempt's processes lived {clock.Elapsed} after cancel");
        Assert.Equal((202, "Cancelled"), (status, body!["state"]!.GetValue<string>()));
        Assert.True(body["stopped"]!.GetValue<bool>(), body.ToJsonString());
        var task = await _api.WaitForAsync(id, Timeout);
        Assert.Equal("cancelled by alice: wrong branch", task["error"]!.GetValue<string>());
        var last = task["transitions"]!.AsArray().Last()!;
        Assert.Equal(("Cancelled", "alice", "wrong branch"), (last["to"]!.GetValue<string>(), last["by"]!.GetValue<string>(), last["reason"]!.GetValue<string>()));
        await WaitUntilAsync(async () => (await _api.GetAsync(id))["attempts"]![0]!["finishedAt"] is not null);
        Assert.Contains("cancelled", (await _api.GetAsync(id))["attempts"]![0]!["message"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_task_cancelled_during_its_pre_attempt_hook_never_starts_its_agent_and_the_cancel_says_so()
    {
        var marker = Path.Combine(fixture.State, $"{Guid.NewGuid():N}.started");
        var id = await _api.SubmitAsync(new { prompt = $"touch {marker}; echo slowhook" });
        await WaitUntilAsync(async () => File.Exists(Path.Combine(fixture.State, "slow-hooks.jsonl"))
            && (await File.ReadAllTextAsync(Path.Combine(fixture.State, "slow-hooks.jsonl"))).Contains(id.ToString(), StringComparison.Ordinal));

        var (status, body) = await _api.CommandAsync(id, "cancel", by: "carol");

        Assert.Equal((202, "Cancelled"), (status, body!["state"]!.GetValue<string>()));
        Assert.True(body["stopped"]!.GetValue<bool>(), body.ToJsonString());
        await Task.Delay(TimeSpan.FromSeconds(8)); // past the hook's 6 s: the agent would have started by now
        Assert.False(File.Exists(marker), "the agent ran after its task's cancel was confirmed");
        var attempt = (await _api.GetAsync(id))["attempts"]!.AsArray().Single()!;
        Assert.Equal("stopped: the task was cancelled", attempt["message"]!.GetValue<string>());
    }

    [Fact]
    public async Task Cancelling_while_a_retry_is_scheduled_starts_nothing_more()
    {
        var id = await _api.SubmitAsync(new { prompt = "echo 'HTTP 429 Too Many Requests' >&2; exit 1" });
        await _api.WaitForAsync(id, Timeout, "RetryScheduled");

        var (status, _) = await _api.CommandAsync(id, "cancel", by: "bob");
        await Task.Delay(TimeSpan.FromSeconds(5)); // the 3 s rate-limit redelivery fires meanwhile and must be dropped

        Assert.Equal(202, status);
        var task = await _api.GetAsync(id);
        Assert.Equal("Cancelled", task["state"]!.GetValue<string>());
        Assert.Single(task["attempts"]!.AsArray());
    }

    [Fact]
    public async Task A_paused_task_lets_its_attempt_finish_starts_nothing_until_resumed_then_continues()
    {
        var marker = Path.Combine(fixture.State, $"{Guid.NewGuid():N}.ran");
        var id = await _api.SubmitAsync(new
        {
            prompt = $"if [ -e {marker} ]; then echo second time lucky; else touch {marker}; sleep 2; echo 'API Error: 503' >&2; exit 1; fi",
        });
        await _api.WaitForAsync(id, Timeout, "Running");

        var (status, body) = await _api.CommandAsync(id, "pause", by: "carol");
        Assert.Equal((202, "Paused"), (status, body!["state"]!.GetValue<string>()));
        await Task.Delay(TimeSpan.FromSeconds(3)); // the attempt fails after 2 s; its 0.2 s retry must not start
        var paused = await _api.GetAsync(id);
        Assert.Equal("Paused", paused["state"]!.GetValue<string>());
        var attempt = Assert.Single(paused["attempts"]!.AsArray())!;
        Assert.Equal("Retryable", attempt["errorClass"]!.GetValue<string>());

        (status, _) = await _api.CommandAsync(id, "resume", by: "carol");
        var task = await _api.WaitForAsync(id, Timeout);

        Assert.Equal(202, status);
        Assert.Equal("Succeeded", task["state"]!.GetValue<string>());
        Assert.Equal(2, task["attempts"]!.AsArray().Count);
        var transitions = task["transitions"]!.AsArray().Select(t => $"{t!["from"]}→{t["to"]}").ToList();
        Assert.Contains("Running→Paused", transitions);
        Assert.Contains("Paused→Dispatched", transitions);
    }

    [Fact]
    public async Task A_failed_task_can_be_retried_as_a_new_pass_keeping_its_history()
    {
        var marker = Path.Combine(fixture.State, $"{Guid.NewGuid():N}.fixed");
        var id = await _api.SubmitAsync(new { prompt = $"test -e {marker} || {{ echo 'not fixed yet' >&2; exit 1; }}" });
        Assert.Equal("Failed", (await _api.WaitForAsync(id, Timeout))["state"]!.GetValue<string>());

        await File.WriteAllTextAsync(marker, "");
        var (status, _) = await _api.CommandAsync(id, "retry", by: "dave");
        var task = await _api.WaitForAsync(id, Timeout);

        Assert.Equal(202, status);
        Assert.Equal("Succeeded", task["state"]!.GetValue<string>());
        Assert.Equal(4, task["attempts"]!.AsArray().Count);
        Assert.Contains(task["transitions"]!.AsArray(), t => t!["from"]!.GetValue<string>() == "Failed" && t["event"]!.GetValue<string>() == "RetryTask");
    }

    [Fact]
    public async Task A_verb_that_does_not_apply_is_a_409_naming_the_state()
    {
        var id = await _api.SubmitAsync(new { prompt = "true" });
        await _api.WaitForAsync(id, Timeout);

        var (status, body) = await _api.CommandAsync(id, "resume");

        Assert.Equal(409, status);
        Assert.Contains("The task is Succeeded", body!["detail"]!.GetValue<string>());
        Assert.Equal(404, (await _api.CommandAsync(Guid.NewGuid(), "cancel")).Status);
        Assert.Equal(404, (await _api.CommandAsync(id, "explode")).Status);
    }

    async Task<System.Text.Json.Nodes.JsonNode> AwaitHeartbeatAsync(Guid id)
    {
        await WaitUntilAsync(async () => (await _api.GetAsync(id))["attempts"]![0]!["lastHeartbeat"] is not null);
        return await _api.GetAsync(id);
    }

    static async Task WaitForFileAsync(string path, int lines)
    {
        await WaitUntilAsync(async () => File.Exists(path) && (await File.ReadAllLinesAsync(path)).Length >= lines);
    }

    internal static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException("condition not met within 15 s");
            await Task.Delay(100);
        }
    }
}
