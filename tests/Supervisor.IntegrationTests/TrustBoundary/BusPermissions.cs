using System.Text;
using System.Text.Json;
using MassTransit;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;
using RabbitMQ.Client.Exceptions;
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
            Stack = await SupervisorStack.StartAsync("buspermissions", new Dictionary<string, string>(), services: 1, ("shell", 1));

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

    /// <summary>Waits until <paramref name="queue"/> of this stack's virtual host holds a message (the management API's count).</summary>
    async Task WaitForMessagesAsync(string queue)
    {
        using var management = IsolatedResources.ManagementClient(_stack.Resources.RabbitMqManagement);
        using var deadline = new CancellationTokenSource(Timeout);
        while (true)
        {
            using var response = await management.GetAsync($"api/queues/{_stack.Resources.Name}/{queue}", deadline.Token);
            if (response.IsSuccessStatusCode)
            {
                using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(deadline.Token));
                if (body.RootElement.TryGetProperty("messages", out var messages) && messages.GetInt64() > 0)
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
