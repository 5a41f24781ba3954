using Supervisor.IntegrationTests.Infrastructure;

namespace Supervisor.IntegrationTests.Controls;

[Collection(ControlsCollection.Name)]
public sealed class Approving(ControlsFixture fixture)
{
    readonly ApiClient _api = fixture.Stack.Api;
    static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task A_high_risk_task_waits_for_approval_and_runs_once_approved()
    {
        var id = await _api.SubmitAsync(new { prompt = "echo deploying", risk = "high" });
        await _api.WaitForAsync(id, Timeout, "AwaitingApproval");
        await Task.Delay(500);
        Assert.Empty((await _api.GetAsync(id))["attempts"]!.AsArray());

        var (status, _) = await _api.CommandAsync(id, "approve", by: "erin", reason: "change window open");
        var task = await _api.WaitForAsync(id, Timeout);

        Assert.Equal(202, status);
        Assert.Equal("Succeeded", task["state"]!.GetValue<string>());
        var approval = task["transitions"]!.AsArray().Single(t => t!["from"]!.GetValue<string>() == "AwaitingApproval")!;
        Assert.Equal(("Dispatched", "erin", "change window open"), (approval["to"]!.GetValue<string>(), approval["by"]!.GetValue<string>(), approval["reason"]!.GetValue<string>()));
    }

    [Fact]
    public async Task A_rejected_task_never_runs_and_records_who_rejected_it_and_why()
    {
        var id = await _api.SubmitAsync(new { prompt = "echo dropping tables", risk = "high" });
        await _api.WaitForAsync(id, Timeout, "AwaitingApproval");

        await _api.CommandAsync(id, "reject", by: "frank", reason: "too risky");
        var task = await _api.WaitForAsync(id, Timeout);

        Assert.Equal("Rejected", task["state"]!.GetValue<string>());
        Assert.Equal("rejected by frank: too risky", task["error"]!.GetValue<string>());
        Assert.Empty(task["attempts"]!.AsArray());
    }

    [Fact]
    public async Task A_task_nobody_decides_on_is_rejected_when_the_approval_timeout_passes()
    {
        var id = await _api.SubmitAsync(new { prompt = "echo waiting", risk = "high" });

        var task = await _api.WaitForAsync(id, TimeSpan.FromSeconds(30));

        Assert.Equal("Rejected", task["state"]!.GetValue<string>());
        Assert.Contains("nobody approved or rejected", task["error"]!.GetValue<string>());
        var waited = task["finishedAt"]!.GetValue<DateTime>() - task["createdAt"]!.GetValue<DateTime>();
        Assert.InRange(waited, TimeSpan.FromSeconds(3.5), TimeSpan.FromSeconds(20));
    }

    [Fact]
    public async Task Low_risk_tasks_do_not_wait()
    {
        var id = await _api.SubmitAsync(new { prompt = "true", risk = "low" });

        Assert.Equal("Succeeded", (await _api.WaitForAsync(id, Timeout))["state"]!.GetValue<string>());
    }
}
