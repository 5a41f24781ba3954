using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using MassTransit;
using Supervisor.Contracts;
using Supervisor.IntegrationTests.Infrastructure;

namespace Supervisor.IntegrationTests.Notifications;

/// <summary>
/// Webhook notifications end to end: real tasks on a real service and worker, the broker and the database in between, and a
/// real HTTP receiver (<see cref="WebhookReceiver"/>) that records what each webhook got. One webhook's receiver is down
/// the whole time, and another answers 500 twice per task: neither holds up a task or another webhook.
/// </summary>
public sealed class WebhookNotifications(NotificationsFixture fixture) : IClassFixture<NotificationsFixture>
{
    static readonly TimeSpan TaskTimeout = TimeSpan.FromSeconds(30);

    readonly SupervisorStack _stack = fixture.Stack;
    readonly WebhookReceiver _receiver = fixture.Receiver;

    [Fact]
    public async Task A_task_awaiting_approval_is_posted_as_signed_json_with_the_link_to_its_page()
    {
        var id = await _stack.Api.SubmitAsync(new { prompt = "echo deploying", agent = "ok", risk = "high" });
        await _stack.Api.WaitForAsync(id, TaskTimeout, "AwaitingApproval");

        var hook = Assert.Single(await _receiver.WaitForAsync("main", id));
        var body = hook.Json.AsObject();
        Assert.Equal(["event", "taskId", "state", "agent", "reason", "at", "link"], body.Select(p => p.Key));
        Assert.Equal("awaitingApproval", body["event"]!.GetValue<string>());
        Assert.Equal(id, body["taskId"]!.GetValue<Guid>());
        Assert.Equal("AwaitingApproval", body["state"]!.GetValue<string>());
        Assert.Equal("ok", body["agent"]!.GetValue<string>());
        Assert.Contains("risk high", body["reason"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal($"{NotificationsFixture.BaseUrl}/#/tasks/{id}", body["link"]!.GetValue<string>());
        Assert.StartsWith("application/json", hook.Headers["Content-Type"], StringComparison.Ordinal);
        Assert.Equal("platform", hook.Headers["X-Team"]);
        Assert.True(Guid.TryParse(hook.Headers["X-Supervisor-Delivery"], out _));
        var signature = "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(NotificationsFixture.Secret), Encoding.UTF8.GetBytes(hook.Body)));
        Assert.Equal(signature, hook.Headers["X-Supervisor-Signature"]);
        // The Slack webhook is told of failures only.
        Assert.Empty(_receiver.About("slack", id));

        await _stack.Api.CommandAsync(id, "reject", reason: "not today");
    }

    [Fact]
    public async Task A_failed_task_is_posted_as_json_and_as_one_line_of_slack_text()
    {
        var id = await _stack.Api.SubmitAsync(new { prompt = "deploy", agent = "broken" });
        var task = await _stack.Api.WaitForAsync(id, TaskTimeout, "Failed");

        var json = Assert.Single(await _receiver.WaitForAsync("main", id)).Json;
        Assert.Equal("failed", json["event"]!.GetValue<string>());
        Assert.Equal("Failed", json["state"]!.GetValue<string>());
        Assert.Equal("broken", json["agent"]!.GetValue<string>());
        Assert.Equal(task["error"]!.GetValue<string>(), json["reason"]!.GetValue<string>());
        Assert.Contains("broken: fatal", json["reason"]!.GetValue<string>(), StringComparison.Ordinal);

        var slack = Assert.Single(await _receiver.WaitForAsync("slack", id)).Json.AsObject();
        Assert.Equal(["text"], slack.Select(p => p.Key));
        var text = slack["text"]!.GetValue<string>();
        Assert.StartsWith($"Task {id} failed (state Failed, agent broken): ", text, StringComparison.Ordinal);
        Assert.EndsWith($" <{NotificationsFixture.BaseUrl}/#/tasks/{id}|open the task>", text, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', text);
        // flaky is told of approvals only.
        Assert.Empty(_receiver.About("flaky", id));
    }

    [Fact]
    public async Task A_webhook_that_answers_500_twice_gets_the_notification_once_after_its_retries_while_the_task_goes_on()
    {
        var id = await _stack.Api.SubmitAsync(new { prompt = "echo approved", agent = "ok", risk = "high" });
        await WaitUntilAsync(() => _receiver.About("flaky", id).Count >= 1, "the first try at the flaky webhook");

        // The first delivery failed; the task does not wait for the webhook.
        Assert.Equal(202, (await _stack.Api.CommandAsync(id, "approve", reason: "go")).Status);
        var task = await _stack.Api.WaitForAsync(id, TaskTimeout, "Succeeded");
        var finishedAt = task["finishedAt"]!.GetValue<DateTime>().ToUniversalTime();

        var tries = await _receiver.WaitForAsync("flaky", id);
        await Task.Delay(TimeSpan.FromSeconds(1));
        tries = _receiver.About("flaky", id);
        Assert.Equal([500, 500, 200], tries.Select(t => t.Answered));
        Assert.Single(tries.Select(t => t.Headers["X-Supervisor-Delivery"]).Distinct(StringComparer.Ordinal));
        Assert.All(tries, t => Assert.Equal("awaitingApproval", t.Json["event"]!.GetValue<string>()));
        Assert.True(tries[^1].At > finishedAt, $"delivered at {tries[^1].At:O}, not after the task finished at {finishedAt:O}");
        Assert.True(tries[1].At - tries[0].At >= TimeSpan.FromSeconds(1.5) && tries[2].At - tries[1].At >= TimeSpan.FromSeconds(2.5),
            $"retried at {string.Join(", ", tries.Select(t => t.At.ToString("O")))}: not after 2 s and 3 s");
    }

    [Fact]
    public async Task A_webhook_whose_receiver_is_down_delays_no_other_and_its_delivery_ends_in_the_error_queue_logged_once_by_host()
    {
        var id = await _stack.Api.SubmitAsync(new { prompt = "echo waiting", agent = "ok", risk = "high" });
        var task = await _stack.Api.WaitForAsync(id, TaskTimeout, "AwaitingApproval");
        var waitingSince = task["transitions"]!.AsArray().Last(t => t!["to"]!.GetValue<string>() == "AwaitingApproval")!["at"]!.GetValue<DateTime>().ToUniversalTime();

        var hook = Assert.Single(await _receiver.WaitForAsync("main", id));
        Assert.True(hook.At - waitingSince < TimeSpan.FromSeconds(3), $"main was told at {hook.At:O}, {hook.At - waitingSince} after the task began to wait");

        // down: tried at once, after 2 s and after 3 s, then in its error queue, logged once, by host only.
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!(await DeadLettersAsync()).Any(m => m!["taskId"]?.GetValue<Guid>() == id))
        {
            Assert.True(DateTime.UtcNow < deadline, "the delivery to the down webhook is not in notification-deliveries_error after 30 s");
            await Task.Delay(250);
        }

        // The service's output reaches its log file through a pipe: the line may land a moment after the message moved.
        var gaveUp = $"Gave up notifying webhook down ({fixture.DownHost}) that task {id} is awaitingApproval after 3 tries";
        var log = await File.ReadAllTextAsync(_stack.Services[0].LogFile);
        for (var waited = 0; Occurrences(log, gaveUp) == 0 && waited < 40; waited++)
        {
            await Task.Delay(250);
            log = await File.ReadAllTextAsync(_stack.Services[0].LogFile);
        }

        Assert.Equal(1, Occurrences(log, gaveUp));
        Assert.Equal(2, Occurrences(log, $"Webhook down ({fixture.DownHost}) was not told that task {id} is awaitingApproval"));
        Assert.DoesNotContain(NotificationsFixture.DownPathSecret, log, StringComparison.Ordinal);
        Assert.DoesNotContain(NotificationsFixture.Secret, log, StringComparison.Ordinal);
        Assert.Equal("AwaitingApproval", (await _stack.Api.GetAsync(id))["state"]!.GetValue<string>());

        await _stack.Api.CommandAsync(id, "cancel", reason: "done looking");
    }

    [Fact]
    public async Task A_task_that_parks_on_a_blocked_account_is_posted_as_blocked()
    {
        await fixture.Bus.Publish(new AccountLimitSignalled(Guid.NewGuid(), Guid.NewGuid(), "metered", "test-worker",
            new LimitReport(NotificationsFixture.Account, LimitKinds.UsageWindow, DateTime.UtcNow.AddMinutes(5), null, null, "You've hit your limit", DateTime.UtcNow)));
        await _stack.Api.AccountAsync("metered", NotificationsFixture.Account, a => a["state"]!.GetValue<string>() == "blocked");

        var id = await _stack.Api.SubmitAsync(new { prompt = "echo later", agent = "metered" });
        var json = Assert.Single(await _receiver.WaitForAsync("main", id)).Json;

        Assert.Equal("blocked", json["event"]!.GetValue<string>());
        Assert.Equal("RetryScheduled", json["state"]!.GetValue<string>());
        Assert.Equal("metered", json["agent"]!.GetValue<string>());
        Assert.Contains(NotificationsFixture.Account, json["reason"]!.GetValue<string>(), StringComparison.Ordinal);
        var task = await _stack.Api.WaitForAsync(id, TaskTimeout, "RetryScheduled");
        Assert.Empty(task["attempts"]!.AsArray());

        await _stack.Api.CommandAsync(id, "cancel", reason: "done looking");
    }

    [Fact]
    public async Task A_job_fault_no_attempt_reported_is_posted_as_dead_lettered_and_a_reported_one_is_not()
    {
        // What MassTransit publishes from a worker when a job fails for good: unreported, the worker moves the job to
        // agent-ok_error; reported (its AgentAttemptException carries the attempt's id), it drops it.
        var unreported = NewId.NextGuid();
        var reported = NewId.NextGuid();
        await PublishFaultAsync(unreported, new Dictionary<string, object>());
        await PublishFaultAsync(reported, new Dictionary<string, object> { ["attemptId"] = Guid.NewGuid().ToString(), ["errorClass"] = "AgentFailure" });

        var json = Assert.Single(await _receiver.WaitForAsync("main", unreported)).Json;
        Assert.Equal("deadLettered", json["event"]!.GetValue<string>());
        Assert.Null(json["state"]);
        Assert.Equal("ok", json["agent"]!.GetValue<string>());
        Assert.Contains("agent-ok_error", json["reason"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.True(json["reason"]!.GetValue<string>().Contains("the workspace vanished", StringComparison.Ordinal), json.ToJsonString());
        await Task.Delay(TimeSpan.FromSeconds(1));
        Assert.Empty(_receiver.About("main", reported));
    }

    [Fact]
    public async Task A_service_whose_webhook_is_written_wrong_refuses_to_start_naming_the_key()
    {
        var refused = _stack.LaunchService($"http://127.0.0.1:{SupervisorStack.FreePort()}", new Dictionary<string, string>
        {
            ["Supervisor__Notifications__Webhooks__wrong__Url"] = "hooks.example.org/secret",
            ["Supervisor__Notifications__Webhooks__wrong__Events__0"] = "succeeded",
        });

        Assert.Equal(78, await refused.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60)));
        Assert.Contains("configuration error: Supervisor:Notifications:Webhooks:wrong:Url: not an http or https address.", refused.RecentOutput, StringComparison.Ordinal);
        Assert.Contains("configuration error: Supervisor:Notifications:Webhooks:wrong:Events:0: 'succeeded' is not one of", refused.RecentOutput, StringComparison.Ordinal);
    }

    /// <summary>The fault MassTransit builds from a job's exception, as a worker publishes it.</summary>
    Task PublishFaultAsync(Guid taskId, Dictionary<string, object> data)
    {
        var exception = new IOException("the workspace vanished");
        foreach (var (key, value) in data)
            exception.Data[key] = value;
        var job = new RunAgentJob(taskId, 1, 1, "ok", "echo hi", null, null, null, false);
        return fixture.Bus.Publish<Fault<RunAgentJob>>(new MassTransit.Events.FaultEvent<RunAgentJob>(job, NewId.NextGuid(), MassTransit.Metadata.HostMetadataCache.Host, exception,
            ["urn:message:Supervisor.Contracts:RunAgentJob"]));
    }

    async Task<JsonArray> DeadLettersAsync()
    {
        var queues = JsonNode.Parse(await _stack.Api.Http.GetStringAsync("api/dead-letters?queue=notification-deliveries_error&limit=1000"))!.AsArray();
        return queues.SingleOrDefault()?["messages"]?.AsArray() ?? [];
    }

    static int Occurrences(string text, string what)
    {
        var count = 0;
        for (var at = text.IndexOf(what, StringComparison.Ordinal); at >= 0; at = text.IndexOf(what, at + what.Length, StringComparison.Ordinal))
            count++;
        return count;
    }

    static async Task WaitUntilAsync(Func<bool> condition, string what, int seconds = 30)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"no {what} within {seconds} s");
            await Task.Delay(100);
        }
    }
}
