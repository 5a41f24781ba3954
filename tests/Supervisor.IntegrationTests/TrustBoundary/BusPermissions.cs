using System.Text;
using System.Text.Json;
using MassTransit;
using Npgsql;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;
using RabbitMQ.Client.Exceptions;
using Supervisor.Agents;
using Supervisor.Contracts;
using Supervisor.IntegrationTests.Infrastructure;

namespace Supervisor.IntegrationTests.TrustBoundary;

/// <summary>
/// The broker's users and their permissions (compose/rabbitmq/permissions.conf), as an agent that found a worker's
/// credentials would use them: raw AMQP, with envelopes written by hand, so nothing in MassTransit stands in the way.
/// Each refusal has its control: the same message with the service's credentials does what it says.
/// </summary>
public sealed class BusPermissions(BusPermissions.Fixture fixture) : IClassFixture<BusPermissions.Fixture>
{
    static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);
    static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    readonly SupervisorStack _stack = fixture.Stack;

    /// <summary>One stack for these tests: each works on tasks of its own.</summary>
    public sealed class Fixture : IAsyncLifetime
    {
        internal SupervisorStack Stack { get; private set; } = null!;

        public async Task InitializeAsync() =>
            Stack = await SupervisorStack.StartAsync("buspermissions", new Dictionary<string, string>
            {
                // A schedule of the saga's own, for a worker's retry to try to take over.
                ["Supervisor__Policy__ApprovalTimeout"] = "1h",
            }, services: 1, ("shell", 1));

        public async Task DisposeAsync() => await Stack.DisposeAsync();
    }

    [Fact]
    public async Task With_the_workers_credentials_a_forged_ApproveTask_is_refused_by_the_broker_and_the_task_still_waits()
    {
        var id = await _stack.Api.SubmitAsync(new { prompt = "echo deploying", risk = "high" });
        await _stack.Api.WaitForAsync(id, Timeout, "AwaitingApproval");

        var refused = await Assert.ThrowsAnyAsync<OperationInterruptedException>(() =>
            PublishRawAsync(_stack.Resources.WorkerRabbitMq, "Supervisor.Contracts:ApproveTask", new ApproveTask(id, "agent", "forged")));

        Assert.Contains("ACCESS_REFUSED", refused.Message, StringComparison.Ordinal);
        Assert.Contains("Supervisor.Contracts:ApproveTask", refused.Message, StringComparison.Ordinal);
        Assert.Equal("AwaitingApproval", (await _stack.Api.GetAsync(id))["state"]!.GetValue<string>());

        // The control: the same envelope with the service's credentials approves it.
        await PublishRawAsync(_stack.Resources.RabbitMq, "Supervisor.Contracts:ApproveTask", new ApproveTask(id, "service", "control"));
        Assert.Equal("Succeeded", (await _stack.Api.WaitForAsync(id, Timeout))["state"]!.GetValue<string>());
    }

    [Fact]
    public async Task An_ApproveTask_envelope_published_through_a_worker_exchange_goes_to_the_error_queue_and_approves_nothing()
    {
        var id = await _stack.Api.SubmitAsync(new { prompt = "echo deploying", risk = "high" });
        await _stack.Api.WaitForAsync(id, Timeout, "AwaitingApproval");

        // The broker lets the worker write to AgentJobStarted's exchange, which the saga's queue is bound to; the body
        // says ApproveTask. The service consumes what comes through that exchange as AgentJobStarted only.
        await PublishRawAsync(_stack.Resources.WorkerRabbitMq, "Supervisor.Contracts:AgentJobStarted", new ApproveTask(id, "agent", "forged"),
            "Supervisor.Contracts:ApproveTask");

        await WaitForMessagesAsync("task-state_error");
        var task = await _stack.Api.GetAsync(id);
        Assert.Equal("AwaitingApproval", task["state"]!.GetValue<string>());
        Assert.DoesNotContain(task["transitions"]!.AsArray(), t => t!["by"]?.GetValue<string>() == "agent");
    }

    [Theory]
    [InlineData("Supervisor.Contracts:SubmitTask")]
    [InlineData("Supervisor.Contracts:CancelTask")]
    [InlineData("Supervisor.Contracts:RejectTask")]
    [InlineData("Supervisor.Contracts:RetryTask")]
    [InlineData("Supervisor.Contracts:ChangeTaskBudget")]
    [InlineData("Supervisor.Contracts:CancelAttempts")]
    [InlineData("task-state")]
    [InlineData("scheduler")]
    [InlineData("scheduler-redeliveries")]
    public async Task With_the_workers_credentials_commands_and_the_sagas_own_exchange_are_refused(string exchange)
    {
        var refused = await Assert.ThrowsAnyAsync<OperationInterruptedException>(() =>
            PublishRawAsync(_stack.Resources.WorkerRabbitMq, exchange, new CancelTask(Guid.NewGuid(), "agent", "forged")));

        Assert.Contains("ACCESS_REFUSED", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task With_the_workers_credentials_the_worker_events_are_accepted()
    {
        // The control of the refusals above: the worker's own messages go through (a chunk of no known task changes nothing).
        await PublishRawAsync(_stack.Resources.WorkerRabbitMq, "Supervisor.Contracts:AgentLogChunk", new { taskId = Guid.NewGuid() });
    }

    [Theory]
    [InlineData("task-state")]
    [InlineData("account-limits")]
    [InlineData("schedule-wakes")]
    [InlineData("worker-heartbeats")]
    [InlineData("task-logs")]
    [InlineData("scheduler")]
    [InlineData("scheduler-redeliveries")]
    public async Task A_worker_user_cannot_consume_the_services_queues(string queue)
    {
        var factory = new ConnectionFactory { Uri = new Uri(_stack.Resources.WorkerRabbitMq) };
        await using var connection = await factory.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();

        var refused = await Assert.ThrowsAnyAsync<OperationInterruptedException>(() =>
            channel.BasicConsumeAsync(queue, autoAck: true, new AsyncEventingBasicConsumer(channel)));

        Assert.Contains("ACCESS_REFUSED", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task With_the_workers_credentials_only_a_job_for_an_agent_queue_can_be_scheduled_and_a_scheduled_ApproveTask_approves_nothing()
    {
        var id = await _stack.Api.SubmitAsync(new { prompt = "echo deploying", risk = "high" });
        await _stack.Api.WaitForAsync(id, Timeout, "AwaitingApproval");
        var approve = Schedule(NewId.NextGuid(), new ApproveTask(id, "agent", "forged"), "ApproveTask", AgentQueues.TaskState, DateTime.UtcNow);

        // The scheduler's own queue is not the worker's to write.
        var refused = await Assert.ThrowsAnyAsync<OperationInterruptedException>(() =>
            PublishRawAsync(_stack.Resources.WorkerRabbitMq, "scheduler", approve, ScheduleMessageType));
        Assert.Contains("ACCESS_REFUSED", refused.Message, StringComparison.Ordinal);

        // The workers' retries exchange takes a job for an agent's queue only: an ApproveTask, or a job for the saga's
        // queue, goes to the error queue, due now and never sent.
        await PublishRawAsync(_stack.Resources.WorkerRabbitMq, "worker-redeliveries", approve, ScheduleMessageType);
        await PublishRawAsync(_stack.Resources.WorkerRabbitMq, "worker-redeliveries",
            Schedule(NewId.NextGuid(), new { taskId = id }, "RunAgentJob", AgentQueues.TaskState, DateTime.UtcNow), ScheduleMessageType);
        await WaitForMessagesAsync("scheduler-redeliveries_error", 2);
        await Task.Delay(TimeSpan.FromSeconds(3));
        Assert.Equal("AwaitingApproval", (await _stack.Api.GetAsync(id))["state"]!.GetValue<string>());

        // The control: the same ScheduleMessage, with the service's credentials, to the scheduler's queue approves it.
        await PublishRawAsync(_stack.Resources.RabbitMq, "scheduler", approve, ScheduleMessageType);
        Assert.Equal("Succeeded", (await _stack.Api.WaitForAsync(id, Timeout))["state"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_workers_retry_with_the_token_of_a_sagas_schedule_neither_replaces_nor_cancels_it()
    {
        var id = await _stack.Api.SubmitAsync(new { prompt = "echo deploying", risk = "high" });
        await _stack.Api.WaitForAsync(id, Timeout, "AwaitingApproval");
        var token = await ScalarAsync<Guid>("SELECT approval_timeout_token FROM tasks WHERE id = $1", id);
        var fireAt = await ScalarAsync<long>("SELECT t.next_fire_time FROM qrtz_triggers t WHERE t.trigger_name = $1 AND t.trigger_group = 'scheduled-messages'", token.ToString("N"));

        // A job for an agent's queue is what a worker may schedule: stored, but in the workers' group, under the same token.
        await PublishRawAsync(_stack.Resources.WorkerRabbitMq, "worker-redeliveries",
            Schedule(token, new { taskId = id }, "RunAgentJob", AgentQueues.Name("shell"), DateTime.UtcNow.AddHours(1)), ScheduleMessageType);
        var deadline = DateTime.UtcNow + Timeout;
        while (await ScalarAsync<long>("SELECT count(*) FROM qrtz_job_details WHERE job_name = $1 AND job_group = 'worker-redeliveries'", token.ToString("N")) == 0)
        {
            Assert.True(DateTime.UtcNow < deadline, $"the worker's retry was not stored in the workers' group within {Timeout.TotalSeconds} s");
            await Task.Delay(200);
        }

        Assert.Equal(fireAt, await ScalarAsync<long>("SELECT t.next_fire_time FROM qrtz_triggers t WHERE t.trigger_name = $1 AND t.trigger_group = 'scheduled-messages'", token.ToString("N")));
        Assert.Equal("AwaitingApproval", (await _stack.Api.GetAsync(id))["state"]!.GetValue<string>());
    }

    [Fact]
    public async Task With_the_submitters_credentials_MassTransit_submits_a_task_and_nothing_else()
    {
        var bus = Bus.Factory.CreateUsingRabbitMq(cfg => cfg.Host(new Uri(_stack.Resources.SubmitterRabbitMq)));
        await bus.StartAsync();
        var id = NewId.NextGuid();
        try
        {
            await bus.Publish(new SubmitTask(id, "echo submitted", null, null, "high", null, null, false, null, "submit-only-app"));
        }
        finally
        {
            await bus.StopAsync();
        }

        await _stack.Api.WaitForAsync(id, Timeout, "AwaitingApproval");
        foreach (var (exchange, message) in new (string, object)[]
        {
            ("Supervisor.Contracts:ApproveTask", new ApproveTask(id, "submitter", "forged")),
            ("Supervisor.Contracts:AgentJobCompleted", new { taskId = id }),
        })
        {
            var refused = await Assert.ThrowsAnyAsync<OperationInterruptedException>(() => PublishRawAsync(_stack.Resources.SubmitterRabbitMq, exchange, message));
            Assert.Contains("ACCESS_REFUSED", refused.Message, StringComparison.Ordinal);
        }

        Assert.Equal("AwaitingApproval", (await _stack.Api.GetAsync(id))["state"]!.GetValue<string>());
    }

    const string ScheduleMessageType = "MassTransit.Scheduling:ScheduleMessage";

    /// <summary>MassTransit's ScheduleMessage of <paramref name="payload"/> (said to be Supervisor.Contracts:<paramref name="type"/>) for <paramref name="queue"/>.</summary>
    object Schedule(Guid token, object payload, string type, string queue, DateTime at)
    {
        var broker = new Uri(_stack.Resources.RabbitMq);
        return new
        {
            correlationId = token,
            scheduledTime = at,
            payloadType = new[] { "urn:message:Supervisor.Contracts:" + type },
            destination = $"rabbitmq://{broker.Host}:{broker.Port}/{_stack.Resources.Name}/{queue}",
            payload,
        };
    }

    async Task<T> ScalarAsync<T>(string sql, object parameter)
    {
        await using var connection = new NpgsqlConnection(_stack.Resources.InspectionPostgres);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        command.Parameters.Add(new NpgsqlParameter { Value = parameter });
        return (T)(await command.ExecuteScalarAsync())!;
    }

    /// <summary>Waits until <paramref name="queue"/> of this stack's virtual host holds <paramref name="count"/> messages (the management API's count).</summary>
    async Task WaitForMessagesAsync(string queue, int count = 1)
    {
        using var management = IsolatedResources.ManagementClient(_stack.Resources.RabbitMqManagement);
        using var deadline = new CancellationTokenSource(Timeout);
        while (true)
        {
            using var response = await management.GetAsync($"api/queues/{_stack.Resources.Name}/{queue}", deadline.Token);
            if (response.IsSuccessStatusCode)
            {
                using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(deadline.Token));
                if (body.RootElement.TryGetProperty("messages", out var messages) && messages.GetInt64() >= count)
                    return;
            }
            await Task.Delay(200, deadline.Token);
        }
    }

    /// <summary>A MassTransit envelope published to <paramref name="exchange"/> as is, confirmed by the broker.</summary>
    static async Task PublishRawAsync(string uri, string exchange, object message, string? claimedType = null)
    {
        var factory = new ConnectionFactory { Uri = new Uri(uri) };
        await using var connection = await factory.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync(new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true));
        var type = claimedType ?? (exchange.Contains(':', StringComparison.Ordinal) ? exchange : "Supervisor.Contracts:" + message.GetType().Name);
        var envelope = new
        {
            messageId = NewId.NextGuid(),
            messageType = new[] { "urn:message:" + type },
            message,
            sentTime = DateTime.UtcNow,
        };
        var body = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(envelope, Json));
        await channel.BasicPublishAsync(exchange, "", mandatory: false, new BasicProperties { ContentType = "application/vnd.masstransit+json", Persistent = true }, body);
    }
}
