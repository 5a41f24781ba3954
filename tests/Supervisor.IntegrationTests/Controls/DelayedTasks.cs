using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Supervisor.IntegrationTests.Infrastructure;

namespace Supervisor.IntegrationTests.Controls;

/// <summary>A task submitted with runAt waits, visible in Submitted, until then; it can be cancelled meanwhile.</summary>
[Collection(ControlsCollection.Name)]
public sealed class DelayedTasks(ControlsFixture fixture)
{
    readonly ApiClient _api = fixture.Stack.Api;
    static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task A_task_with_runAt_5_seconds_ahead_waits_visibly_and_starts_no_earlier()
    {
        var runAt = ApiClient.RunAt(TimeSpan.FromSeconds(5));
        var id = await _api.SubmitAsync(new { prompt = "echo delayed", runAt = runAt.ToString("O") });

        var waiting = await _api.WaitForAsync(id, Timeout, "Submitted", "Dispatched", "Running", "Succeeded");
        Assert.Equal("Submitted", waiting["state"]!.GetValue<string>());
        Assert.Equal(runAt, waiting["runAt"]!.GetValue<DateTime>().ToUniversalTime());
        var listed = (await _api.Http.GetFromJsonAsync<JsonArray>("/api/tasks?state=Submitted"))!.Single(t => t!["id"]!.GetValue<Guid>() == id)!;
        Assert.Equal(runAt, listed["runAt"]!.GetValue<DateTime>().ToUniversalTime());

        var task = await _api.WaitForAsync(id, Timeout);
        Assert.Equal("Succeeded", task["state"]!.GetValue<string>());
        var started = task["attempts"]!.AsArray().Single()!["startedAt"]!.GetValue<DateTime>().ToUniversalTime();
        Assert.True(started >= runAt, $"the attempt started at {started:O}, before its time {runAt:O}");
        var dispatched = task["transitions"]!.AsArray().First(t => t!["to"]!.GetValue<string>() == "Dispatched")!;
        Assert.Equal("Submitted", dispatched["from"]!.GetValue<string>());
        Assert.True(dispatched["at"]!.GetValue<DateTime>().ToUniversalTime() >= runAt, dispatched.ToJsonString());
    }

    [Fact]
    public async Task A_delayed_task_cancelled_before_its_time_never_runs()
    {
        var marker = Path.Combine(fixture.State, $"{Guid.NewGuid():N}.ran");
        var id = await _api.SubmitAsync(new { prompt = $"touch {marker}", runAt = ApiClient.RunAt(TimeSpan.FromSeconds(4)).ToString("O") });
        await _api.WaitForAsync(id, Timeout, "Submitted");

        var (status, body) = await _api.CommandAsync(id, "cancel", by: "dave", reason: "not tonight");

        Assert.Equal((202, "Cancelled"), (status, body!["state"]!.GetValue<string>()));
        Assert.True(body["stopped"]!.GetValue<bool>(), body.ToJsonString());
        await Task.Delay(TimeSpan.FromSeconds(8)); // past its time: it would have run by now
        var task = await _api.GetAsync(id);
        Assert.Equal("Cancelled", task["state"]!.GetValue<string>());
        Assert.Empty(task["attempts"]!.AsArray());
        Assert.False(File.Exists(marker), "the cancelled delayed task ran");
    }

    [Fact]
    public async Task Pausing_a_delayed_task_that_waits_is_a_409_and_changes_nothing()
    {
        var id = await _api.SubmitAsync(new { prompt = "echo later", runAt = ApiClient.RunAt(TimeSpan.FromMinutes(10)).ToString("O") });
        await _api.WaitForAsync(id, Timeout, "Submitted");

        var (status, _) = await _api.CommandAsync(id, "pause", by: "erin");

        Assert.Equal(409, status);
        Assert.Equal("Submitted", (await _api.GetAsync(id))["state"]!.GetValue<string>());
        Assert.Equal(202, (await _api.CommandAsync(id, "cancel", by: "erin")).Status);
    }
}
