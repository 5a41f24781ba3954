using System.Threading.Channels;
using MassTransit;
using MassTransit.Scheduling;
using Npgsql;
using Supervisor.Contracts;
using Supervisor.IntegrationTests.Infrastructure;

namespace Supervisor.IntegrationTests.Reliability;

/// <summary>
/// A service that stops after a message's changes commit and before its outbox sends what the message caused (the job
/// of a dispatched task) gets that message again from the broker. A service with no workers, and a bus of the test's own
/// that takes the jobs off the agent's queue (so a job it takes is one no worker will ever see: a lost dispatch) and
/// plays the broker's redelivery.
/// </summary>
public sealed class RedeliveredSagaMessages : IAsyncLifetime
{
    readonly Channel<RunAgentJob> _jobs = Channel.CreateUnbounded<RunAgentJob>();
    SupervisorStack _stack = null!;
    IBusControl _bus = null!;

    public async Task InitializeAsync()
    {
        _stack = await SupervisorStack.StartAsync("redelivered", new Dictionary<string, string>
        {
            // High-risk tasks wait for approval (the default policy), at most this long.
            ["Supervisor__Policy__ApprovalTimeout"] = "10s", // long enough for the cancel below to land first on a busy machine
        }, services: 1);
        _bus = Bus.Factory.CreateUsingRabbitMq(cfg =>
        {
            cfg.Host(new Uri(_stack.Resources.RabbitMq));
            cfg.ReceiveEndpoint(AgentQueueName, e =>
            {
                e.ConfigureConsumeTopology = false;
                e.Handler<RunAgentJob>(context => _jobs.Writer.WriteAsync(context.Message).AsTask());
            });
        });
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await _bus.StartAsync(timeout.Token);
    }

    const string AgentQueueName = "agent-shell";

    public async Task DisposeAsync()
    {
        await _bus.StopAsync();
        await _stack.DisposeAsync();
    }

    [Fact]
    public async Task A_redelivered_message_whose_changes_committed_sends_the_lost_job_again_and_a_new_duplicate_does_not()
    {
        var task = await _stack.Api.SubmitAsync(new { prompt = "true", agent = "shell" });
        await _stack.Api.WaitForAsync(task, TimeSpan.FromSeconds(30), "Dispatched");
        var first = await NextJobAsync();
        Assert.Equal(task, first.TaskId);

        var (applied, _) = await ReadAsync(task);

        var submit = new SubmitTask(task, "true", ["shell"], null, null, null, null, false, null, "test");
        // A second submit of the same task (a client retrying) is a new message: ignored, nothing sent.
        await _bus.Publish(submit);
        using (var quiet = new CancellationTokenSource(TimeSpan.FromSeconds(3)))
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => _jobs.Reader.ReadAsync(quiet.Token).AsTask());

        // The broker redelivering the message whose changes committed: the job it caused is sent again, unchanged.
        await _bus.Publish(submit, context => context.MessageId = applied);
        var again = await NextJobAsync();
        Assert.Equal((first.TaskId, first.Pass, first.FirstAttempt, first.Agent), (again.TaskId, again.Pass, again.FirstAttempt, again.Agent));
        Assert.Equal("Dispatched", (await _stack.Api.GetAsync(task))["state"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_redelivered_message_whose_approval_timeout_was_lost_schedules_it_again()
    {
        var task = await _stack.Api.SubmitAsync(new { prompt = "true", agent = "shell", risk = "high" });
        await _stack.Api.WaitForAsync(task, TimeSpan.FromSeconds(30), "AwaitingApproval");
        var (applied, token) = await ReadAsync(task);

        // The schedule lost (as if the outbox never sent it): removed from the scheduler before it fires.
        await CancelScheduledAsync(token!.Value);
        await Task.Delay(TimeSpan.FromSeconds(12));
        Assert.Equal("AwaitingApproval", (await _stack.Api.GetAsync(task))["state"]!.GetValue<string>());

        // The broker redelivering the message that scheduled it: scheduled again, and the task is rejected when it fires.
        await _bus.Publish(new SubmitTask(task, "true", ["shell"], null, "high", null, null, false, null, "test"), context => context.MessageId = applied);
        var rejected = await _stack.Api.WaitForAsync(task, TimeSpan.FromSeconds(30), "Rejected");
        Assert.Contains("nobody approved", rejected["error"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.NotEqual(token, (await ReadAsync(task)).Token);
    }

    [Fact]
    public async Task A_redelivered_submit_whose_delayed_start_was_lost_schedules_it_again()
    {
        // Twenty seconds: time enough, on a busy machine, to read the token and cancel the start before it is due.
        var runAt = ApiClient.RunAt(TimeSpan.FromSeconds(20));
        var task = await _stack.Api.SubmitAsync(new { prompt = "true", agent = "shell", runAt = runAt.ToString("O") });
        await _stack.Api.WaitForAsync(task, TimeSpan.FromSeconds(30), "Submitted");
        var (applied, token) = await ReadAsync(task, "run_at_token");

        // The start lost (as if the outbox never sent it): removed from the scheduler before its time.
        await CancelScheduledAsync(token!.Value);
        Assert.True(DateTime.UtcNow < runAt, $"the scheduler removed the start only after its time ({runAt:O}): too late to test its loss");
        await Task.Delay(runAt - DateTime.UtcNow + TimeSpan.FromSeconds(4));
        Assert.Equal("Submitted", (await _stack.Api.GetAsync(task))["state"]!.GetValue<string>());

        // The broker redelivering the submit: its start is scheduled again (now, its time having passed) and the job sent.
        await _bus.Publish(new SubmitTask(task, "true", ["shell"], null, null, null, null, false, null, "test", runAt), context => context.MessageId = applied);
        Assert.Equal(task, (await NextJobAsync()).TaskId);
        Assert.Equal("Dispatched", (await _stack.Api.WaitForAsync(task, TimeSpan.FromSeconds(30), "Dispatched"))["state"]!.GetValue<string>());
    }

    /// <summary>The task's last message that sent something, and the scheduling token in <paramref name="token"/>.</summary>
    async Task<(Guid Applied, Guid? Token)> ReadAsync(Guid task, string token = "approval_timeout_token")
    {
        await using var connection = new NpgsqlConnection(_stack.Resources.InspectionPostgres);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"SELECT last_sending_message, {token} FROM tasks WHERE id = $1", connection);
        command.Parameters.Add(new NpgsqlParameter { Value = task });
        await using var reader = await command.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        return (reader.GetGuid(0), await reader.IsDBNullAsync(1) ? null : reader.GetGuid(1));
    }

    /// <summary>
    /// Waits until the scheduler has stored <paramref name="token"/>'s message: the saga's outbox sends it after its commit,
    /// so on a busy machine a cancel sent at once could overtake it and find nothing to cancel.
    /// </summary>
    async Task WaitUntilScheduledAsync(Guid token, bool stored = true)
    {
        var deadline = DateTime.UtcNow.AddSeconds(15);
        await using var connection = new NpgsqlConnection(_stack.Resources.InspectionPostgres);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT count(*) FROM qrtz_job_details WHERE job_name = $1", connection);
        command.Parameters.Add(new NpgsqlParameter { Value = token.ToString("N") });
        while ((long)(await command.ExecuteScalarAsync())! == 0 == stored)
        {
            Assert.True(DateTime.UtcNow < deadline, $"the scheduler did not {(stored ? "store" : "remove")} {token} within 15 s");
            await Task.Delay(50);
        }
    }

    /// <summary>Cancels <paramref name="token"/>'s message and waits until the scheduler has removed it.</summary>
    async Task CancelScheduledAsync(Guid token)
    {
        await WaitUntilScheduledAsync(token);
        var scheduler = await _bus.GetSendEndpoint(new Uri("queue:scheduler"));
        await scheduler.Send<CancelScheduledMessage>(new { CorrelationId = NewId.NextGuid(), Timestamp = DateTime.UtcNow, TokenId = token });
        await WaitUntilScheduledAsync(token, stored: false);
    }

    async Task<RunAgentJob> NextJobAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        return await _jobs.Reader.ReadAsync(timeout.Token);
    }
}
