using MassTransit;
using Supervisor.Agents;
using Supervisor.Contracts;
using Supervisor.IntegrationTests.Infrastructure;

namespace Supervisor.IntegrationTests.Reliability;

/// <summary>
/// The start check as workers meet it when the broker redelivers a job whose acknowledgement was lost: a service with no
/// workers, a dispatched task, and a bus of the test's own that asks as workers "w-a", "w-b", … would, and publishes the
/// attempt events a worker would.
/// </summary>
public sealed class AttemptClaims : IAsyncLifetime
{
    SupervisorStack _stack = null!;
    IBusControl _bus = null!;
    IRequestClient<AttemptStartRequest> _client = null!;

    public async Task InitializeAsync()
    {
        _stack = await SupervisorStack.StartAsync("claims", new Dictionary<string, string>(), services: 1);
        _bus = Bus.Factory.CreateUsingRabbitMq(cfg => cfg.Host(new Uri(_stack.Resources.RabbitMq)));
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await _bus.StartAsync(timeout.Token);
        _client = _bus.CreateRequestClient<AttemptStartRequest>(AgentQueues.StartCheckAddress, RequestTimeout.After(s: 30));
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

    async Task<AttemptStartResponse> AskAsync(Guid task, int attempt, string worker, double waited = 0, Guid? claim = null) =>
        (await _client.GetResponse<AttemptStartResponse>(new AttemptStartRequest(task, 1, attempt, worker, waited, claim))).Message;

    [Fact]
    public async Task A_second_worker_waits_for_the_holder_and_drops_an_attempt_that_has_run()
    {
        // The shell agent has no worker here: the task stays Dispatched on pass 1.
        var task = await DispatchedTaskAsync();

        var first = await AskAsync(task, 1, "w-a");
        Assert.True(first.Allowed, first.Reason);

        var second = await AskAsync(task, 1, "w-b");
        Assert.False(second.Allowed);
        Assert.NotNull(second.AskAgainInSeconds);
        Assert.Contains("w-a", second.Reason, StringComparison.Ordinal);

        // w-a's run fails and schedules a retry: attempt 1 is finished, so w-b's copy of it must not run again.
        var attemptId = NewId.NextGuid();
        var now = DateTime.UtcNow;
        await _bus.Publish(new AgentJobStarted(task, attemptId, 1, 1, 0, "shell", "w-a", "test", null, now));
        await _bus.Publish(new AgentAttemptFailed(task, attemptId, 1, 1, "shell", "w-a", 1, ErrorClasses.Retryable, "overloaded", now,
            now.AddMinutes(5), 0, null));
        await _stack.Api.WaitForAsync(task, TimeSpan.FromSeconds(30), "RetryScheduled");

        var again = await AskAsync(task, 1, "w-b", waited: 2);
        Assert.False(again.Allowed);
        Assert.True(again.Duplicate, again.Reason);
        Assert.Null(again.AskAgainInSeconds);

        // The retry is attempt 2: a claim of its own.
        Assert.True((await AskAsync(task, 2, "w-b")).Allowed);
    }

    [Fact]
    public async Task A_claim_whose_worker_is_lost_is_taken_over_after_the_heartbeat_gap()
    {
        var task = await DispatchedTaskAsync();
        Assert.True((await AskAsync(task, 1, "w-gone")).Allowed);

        // w-gone never sent a heartbeat (as if killed): before the heartbeat gap has passed the new worker still waits...
        var early = await AskAsync(task, 1, "w-new", waited: 5);
        Assert.NotNull(early.AskAgainInSeconds);

        // ...after it, it takes the attempt over, and the claim is its own from then on.
        var late = await AskAsync(task, 1, "w-new", waited: 25);
        Assert.True(late.Allowed, late.Reason);
        Assert.Contains("took attempt 1 over from worker w-gone", late.Reason, StringComparison.Ordinal);
        var third = await AskAsync(task, 1, "w-third");
        Assert.Contains("w-new", third.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_delivery_whose_granting_answer_was_lost_gets_its_claim_when_it_asks_again()
    {
        var task = await DispatchedTaskAsync();
        var delivery = NewId.NextGuid();
        Assert.True((await AskAsync(task, 1, "w-a", claim: delivery)).Allowed);

        // The same request again (the service died before its answer left): still this delivery's claim, at once.
        var again = await AskAsync(task, 1, "w-a", claim: delivery);
        Assert.True(again.Allowed, again.Reason);
        Assert.Contains("answer was lost", again.Reason, StringComparison.Ordinal);

        // Another delivery of the same job, even on the same worker, may be racing the first one's run: it waits.
        var other = await AskAsync(task, 1, "w-a", claim: NewId.NextGuid());
        Assert.False(other.Allowed);
        Assert.NotNull(other.AskAgainInSeconds);

        // So does a worker that names no claim id (an older version).
        Assert.NotNull((await AskAsync(task, 1, "w-old")).AskAgainInSeconds);
    }

    [Fact]
    public async Task A_released_claim_lets_the_redelivered_copy_run_at_once_and_a_stale_release_frees_nothing()
    {
        var task = await DispatchedTaskAsync();
        var first = NewId.NextGuid();
        Assert.True((await AskAsync(task, 1, "w-a", claim: first)).Allowed);
        Assert.NotNull((await AskAsync(task, 1, "w-b", claim: NewId.NextGuid())).AskAgainInSeconds);

        var send = await _bus.GetSendEndpoint(AgentQueues.StartCheckAddress);
        // A release under another id (a later delivery's, say) must not free w-a's claim.
        await send.Send(new ReleaseAttemptClaim(task, 1, NewId.NextGuid(), "w-a"));
        await Task.Delay(TimeSpan.FromSeconds(2));
        Assert.NotNull((await AskAsync(task, 1, "w-b", claim: NewId.NextGuid())).AskAgainInSeconds);

        // w-a's delivery ended before its agent ran and says so: w-b's copy runs well inside the 2-minute result grace.
        await send.Send(new ReleaseAttemptClaim(task, 1, first, "w-a"));
        var waited = System.Diagnostics.Stopwatch.StartNew();
        AttemptStartResponse answer;
        while (!(answer = await AskAsync(task, 1, "w-b", claim: NewId.NextGuid())).Allowed)
        {
            Assert.True(waited.Elapsed < TimeSpan.FromSeconds(30), $"still waiting after the release: {answer.Reason}");
            await Task.Delay(200);
        }

        Assert.Contains("w-b", (await AskAsync(task, 1, "w-c", claim: NewId.NextGuid())).Reason, StringComparison.Ordinal);
    }
}
