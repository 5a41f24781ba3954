using System.Diagnostics;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using MassTransit;
using Supervisor.Agents;
using Supervisor.Contracts;
using Supervisor.IntegrationTests.Infrastructure;

namespace Supervisor.IntegrationTests.Reliability;

/// <summary>
/// The lease protocol as workers meet it: a service with no workers, a dispatched task, and a bus of the test's own
/// that asks the saga for the lease as deliveries on workers "w-a", "w-b", … would (sending no heartbeats, so a lease it
/// holds expires after <c>LostAfter</c>), and publishes the attempt events a worker would.
/// </summary>
public sealed class AttemptLeases : IAsyncLifetime
{
    static readonly TimeSpan LostAfter = TimeSpan.FromSeconds(5);

    SupervisorStack _stack = null!;
    IBusControl _bus = null!;
    IRequestClient<AttemptStartRequest> _client = null!;

    public async Task InitializeAsync()
    {
        _stack = await SupervisorStack.StartAsync("leases", new Dictionary<string, string>
        {
            ["Supervisor__Fleet__LostAfter"] = "00:00:05",
            ["Supervisor__Fleet__MaxLostAttempts"] = "2",
            ["Supervisor__Reconciler__Interval"] = "00:00:00.5",
            ["Supervisor__Reconciler__ScheduleToStart"] = "00:00:03",
        }, services: 1);
        _bus = Bus.Factory.CreateUsingRabbitMq(cfg => cfg.Host(new Uri(_stack.Resources.RabbitMq)));
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await _bus.StartAsync(timeout.Token);
        _client = _bus.CreateRequestClient<AttemptStartRequest>(AgentQueues.TaskStateAddress, RequestTimeout.After(s: 30));
    }

    public async Task DisposeAsync()
    {
        await _bus.StopAsync();
        await _stack.DisposeAsync();
    }

    /// <summary>A task on pass 1 whose job no worker takes (the shell agent has none here).</summary>
    async Task<Guid> DispatchedTaskAsync()
    {
        var task = await _stack.Api.SubmitAsync(new { prompt = "true", agent = "shell" });
        await _stack.Api.WaitForAsync(task, TimeSpan.FromSeconds(30), "Dispatched");
        return task;
    }

    async Task<AttemptStartResponse> AskAsync(Guid task, string worker, Guid claim, int pass = 1) =>
        (await _client.GetResponse<AttemptStartResponse>(new AttemptStartRequest(task, pass, 0, worker, 0, claim, "test-host"))).Message;

    /// <summary>Asks as one delivery until it is granted the lease (it waits while another holds it).</summary>
    async Task<AttemptStartResponse> LeaseAsync(Guid task, string worker, Guid claim)
    {
        var waited = Stopwatch.StartNew();
        while (true)
        {
            var answer = await AskAsync(task, worker, claim);
            if (answer.Allowed)
                return answer;
            Assert.True(answer.AskAgainInSeconds is not null, $"declined instead of waiting: {answer.Reason}");
            Assert.True(waited.Elapsed < TimeSpan.FromSeconds(60), $"still waiting after a minute: {answer.Reason}");
            await Task.Delay(250);
        }
    }

    /// <summary>A "worker" that takes every job of the shell agent and drops it without asking: each job it reads is lost.</summary>
    async Task<ChannelReader<RunAgentJob>> TakeJobsAsync()
    {
        var jobs = Channel.CreateUnbounded<RunAgentJob>();
        var handle = _bus.ConnectReceiveEndpoint(AgentQueues.Name("shell"), e =>
        {
            if (e is IRabbitMqReceiveEndpointConfigurator rabbit)
                rabbit.ConfigureConsumeTopology = false;
            e.Handler<RunAgentJob>(context => jobs.Writer.WriteAsync(context.Message).AsTask());
        });
        await handle.Ready;
        return jobs.Reader;
    }

    async Task<JsonNode> WaitForAttemptAsync(Guid task, int number, Func<JsonNode, bool> condition, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            var view = await _stack.Api.GetAsync(task);
            if (view["attempts"]!.AsArray().FirstOrDefault(a => a!["number"]!.GetValue<int>() == number) is { } attempt && condition(attempt))
                return view;
            Assert.True(DateTime.UtcNow < deadline, $"attempt {number} never {what}: {view.ToJsonString()}");
            await Task.Delay(200);
        }
    }

    [Fact]
    public async Task A_second_delivery_waits_for_the_holder_and_the_retry_is_a_new_attempt_with_its_own_number()
    {
        var task = await DispatchedTaskAsync();
        var first = await AskAsync(task, "w-a", NewId.NextGuid());
        Assert.True(first.Allowed, first.Reason);
        Assert.Equal(1, first.Attempt);
        Assert.Equal("Running", (await _stack.Api.GetAsync(task))["state"]!.GetValue<string>());

        var copy = NewId.NextGuid();
        var waiting = await AskAsync(task, "w-b", copy);
        Assert.False(waiting.Allowed);
        Assert.NotNull(waiting.AskAgainInSeconds);
        Assert.Contains("w-a", waiting.Reason, StringComparison.Ordinal);

        // The holder fails and its retry is due in 3 s: a copy asking before then waits for that time, then runs as attempt 2.
        var now = DateTime.UtcNow;
        await _bus.Publish(new AgentAttemptFailed(task, first.AttemptId!.Value, 1, 1, "shell", "w-a", 1, ErrorClasses.Retryable, "overloaded", now,
            now.AddSeconds(3), 0, null));
        await _stack.Api.WaitForAsync(task, TimeSpan.FromSeconds(30), "RetryScheduled");
        var early = await AskAsync(task, "w-b", copy);
        Assert.False(early.Allowed);
        Assert.Contains("due", early.Reason, StringComparison.Ordinal);

        var retry = await LeaseAsync(task, "w-b", copy);
        Assert.Equal(2, retry.Attempt);
        Assert.NotEqual(first.AttemptId, retry.AttemptId);
    }

    [Fact]
    public async Task An_attempt_whose_lease_expired_is_lost_and_its_late_success_changes_nothing()
    {
        var task = await DispatchedTaskAsync();
        var gone = await AskAsync(task, "w-gone", NewId.NextGuid());
        Assert.True(gone.Allowed, gone.Reason);

        // w-gone never sends a heartbeat (as if killed, or stopped): its lease expires on the service's clock.
        var next = await LeaseAsync(task, "w-new", NewId.NextGuid());
        Assert.Equal(2, next.Attempt);
        var view = await WaitForAttemptAsync(task, 1, a => a["finishedAt"] is not null, "ended");
        var lost = view["attempts"]!.AsArray().Single(a => a!["number"]!.GetValue<int>() == 1)!;
        Assert.Equal(ErrorClasses.ContainerCrash, lost["errorClass"]!.GetValue<string>());
        Assert.StartsWith("worker lost", lost["message"]!.GetValue<string>(), StringComparison.Ordinal);

        // Both report success: only the holder's counts.
        var now = DateTime.UtcNow;
        await _bus.Publish(new AgentJobCompleted(task, gone.AttemptId!.Value, 1, 1, "shell", "w-gone", 0, now, new TaskResult("shell", null, null, null, "stale"), 0, null));
        await WaitForAttemptAsync(task, 1, a => a["message"]?.GetValue<string>().Contains("superseded", StringComparison.Ordinal) == true, "was superseded");
        Assert.Equal("Running", (await _stack.Api.GetAsync(task))["state"]!.GetValue<string>());
        await _bus.Publish(new AgentJobCompleted(task, next.AttemptId!.Value, 1, 2, "shell", "w-new", 0, now, new TaskResult("shell", null, null, null, "fresh"), 0, null));
        var done = await _stack.Api.WaitForAsync(task, TimeSpan.FromSeconds(30), "Succeeded");
        Assert.Equal("fresh", done["result"]!["summary"]!.GetValue<string>());
        Assert.Equal(ErrorClasses.ContainerCrash, done["attempts"]![0]!["errorClass"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_delivery_whose_answer_was_lost_keeps_its_lease_and_a_released_lease_goes_to_the_next_delivery()
    {
        var task = await DispatchedTaskAsync();
        var delivery = NewId.NextGuid();
        var first = await AskAsync(task, "w-a", delivery);
        Assert.True(first.Allowed, first.Reason);

        // The same delivery asks again (the service died before its answer left): the same attempt, at once.
        var again = await AskAsync(task, "w-a", delivery);
        Assert.True(again.Allowed, again.Reason);
        Assert.Equal(first.AttemptId, again.AttemptId);
        Assert.Contains("answer was lost", again.Reason, StringComparison.Ordinal);

        // Another delivery of the same job, even on the same worker, waits; a release under another claim frees nothing.
        var other = NewId.NextGuid();
        Assert.NotNull((await AskAsync(task, "w-a", other)).AskAgainInSeconds);
        var send = await _bus.GetSendEndpoint(AgentQueues.TaskStateAddress);
        await send.Send(new ReleaseAttemptClaim(task, 1, NewId.NextGuid(), "w-a"));
        await Task.Delay(TimeSpan.FromSeconds(1));
        Assert.NotNull((await AskAsync(task, "w-a", other)).AskAgainInSeconds);

        // The holder's delivery ended before its agent ran and gives the lease back: the other delivery gets attempt 2.
        await send.Send(new ReleaseAttemptClaim(task, 1, delivery, "w-a"));
        var next = await LeaseAsync(task, "w-a", other);
        Assert.Equal(2, next.Attempt);
        var released = (await _stack.Api.GetAsync(task))["attempts"]![0]!;
        Assert.Contains("given back by w-a", released["message"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_job_whose_attempts_keep_losing_their_worker_is_given_up_as_ContainerCrash()
    {
        var task = await DispatchedTaskAsync();
        Assert.True((await AskAsync(task, "w-crash-1", NewId.NextGuid())).Allowed);
        Assert.Equal(2, (await LeaseAsync(task, "w-crash-2", NewId.NextGuid())).Attempt);

        // The second holder is lost too (MaxLostAttempts 2): the job is poison, and the chain (one agent) has nothing left.
        var failed = await _stack.Api.WaitForAsync(task, TimeSpan.FromSeconds(60), "Failed");
        Assert.Contains(ErrorClasses.ContainerCrash, failed["error"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.All(failed["attempts"]!.AsArray(), a => Assert.StartsWith("worker lost", a!["message"]!.GetValue<string>(), StringComparison.Ordinal));
        Assert.False((await AskAsync(task, "w-crash-3", NewId.NextGuid())).Allowed);
    }

    [Fact]
    public async Task A_paused_task_whose_job_was_declined_gets_a_new_job_when_resumed()
    {
        var task = await DispatchedTaskAsync();
        Assert.Equal(202, (await _stack.Api.CommandAsync(task, "pause")).Status);
        await _stack.Api.WaitForAsync(task, TimeSpan.FromSeconds(30), "Paused");

        // The job reaches a worker while the task is paused: dropped, and remembered.
        var declined = await AskAsync(task, "w-a", NewId.NextGuid());
        Assert.False(declined.Allowed);
        Assert.Null(declined.AskAgainInSeconds);

        Assert.Equal(202, (await _stack.Api.CommandAsync(task, "resume")).Status);
        await _stack.Api.WaitForAsync(task, TimeSpan.FromSeconds(30), "Dispatched");
        Assert.False((await AskAsync(task, "w-a", NewId.NextGuid())).Allowed); // pass 1 is over
        Assert.True((await AskAsync(task, "w-a", NewId.NextGuid(), pass: 2)).Allowed);
    }

    [Fact]
    public async Task The_reconciler_sends_a_lost_job_again_and_says_why_on_the_audit_trail()
    {
        var jobs = await TakeJobsAsync();
        var task = await DispatchedTaskAsync();
        using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var first = await jobs.ReadAsync(wait.Token);
        var second = await jobs.ReadAsync(wait.Token);

        Assert.Equal(task, first.TaskId);
        Assert.Equal(task, second.TaskId);
        Assert.Equal(first.Pass, second.Pass);
        var trail = (await _stack.Api.GetAsync(task))["transitions"]!.AsArray();
        Assert.Contains(trail, t => t!["event"]!.GetValue<string>() == "Reconciled" && t["by"]!.GetValue<string>() == "service"
            && t["reason"]!.GetValue<string>().Contains("sent again", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_running_task_left_with_neither_an_attempt_nor_a_job_is_found_and_its_job_sent_again()
    {
        var jobs = await TakeJobsAsync();
        var task = await _stack.Api.SubmitAsync(new { prompt = "true", agent = "shell" });
        using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var first = await jobs.ReadAsync(wait.Token);
        Assert.True((await AskAsync(task, "w-a", NewId.NextGuid(), first.Pass)).Allowed);

        // Broken on purpose: the record loses both the lease and the expected start, as no event leads to.
        await using (var db = new Npgsql.NpgsqlConnection(_stack.Resources.InspectionPostgres))
        {
            await db.OpenAsync();
            await using var corrupt = new Npgsql.NpgsqlCommand("UPDATE tasks SET lease_id = NULL, start_allowed_at = NULL WHERE id = @id", db);
            corrupt.Parameters.AddWithValue("id", task);
            Assert.Equal(1, await corrupt.ExecuteNonQueryAsync());
        }

        // On a loaded machine the grant may come more than ScheduleToStart after the dispatch: the reconciler then sends the
        // job once before it, as for a lost job (the test above). That copy is not the one looked for: read on to the next.
        while (true)
        {
            var again = await jobs.ReadAsync(wait.Token);
            Assert.Equal((task, first.Pass), (again.TaskId, again.Pass));
            var trail = (await _stack.Api.GetAsync(task))["transitions"]!.AsArray();
            bool Reconciled(string reason) => trail.Any(t => t!["event"]!.GetValue<string>() == "Reconciled"
                && t["reason"]!.GetValue<string>().Contains(reason, StringComparison.Ordinal));
            if (Reconciled("no attempt running and no job expected"))
                return;
            Assert.True(Reconciled("no worker started its job within"),
                $"a job came again with no Reconciled transition that explains it; the task's transitions: {trail.ToJsonString()}");
        }
    }
}
