using System.Net.Http.Json;
using MassTransit;
using MassTransit.Scheduling;
using Supervisor.IntegrationTests.Infrastructure;
using Xunit.Abstractions;

namespace Supervisor.IntegrationTests.Scheduling;

/// <summary>The scheduler across <c>kill -9</c> of the only service instance; each test has a stack of its own.</summary>
public sealed class SchedulerRestart(ITestOutputHelper output)
{
    [Fact]
    public async Task A_message_pending_when_the_service_is_killed_arrives_exactly_once_after_a_new_instance_starts()
    {
        await using var stack = await SupervisorStack.StartAsync("sched_kill", SchedulingClient.ServiceConfig, services: 1);
        await using var client = await SchedulingClient.StartAsync(stack.Resources);
        var ping = new ScheduledPing(Guid.NewGuid(), "survives kill -9");
        var scheduledAt = DateTime.UtcNow;

        var handle = await client.Scheduler.ScheduleSend(client.Address, scheduledAt.AddSeconds(5), ping);
        await client.WaitUntilStoredAsync(handle.TokenId);
        await stack.Services[0].KillAsync();
        await stack.AddServiceAsync();
        await client.WaitForAsync([ping.Id], TimeSpan.FromSeconds(40));
        await Task.Delay(TimeSpan.FromSeconds(5));

        var delivery = Assert.Single(client.DeliveriesOf(ping.Id));
        output.WriteLine($"scheduled 5 s ahead, delivered after {(delivery.At - scheduledAt).TotalMilliseconds:F0} ms");
        Assert.True(delivery.At - scheduledAt >= TimeSpan.FromSeconds(4.9), $"arrived after {delivery.At - scheduledAt}");
        Assert.Equal(ping, delivery.Message);
    }

    [Fact]
    public async Task A_ScheduleMessage_redelivered_after_its_message_was_sent_does_not_send_it_again()
    {
        await using var stack = await SupervisorStack.StartAsync("sched_redo", SchedulingClient.ServiceConfig, services: 1);
        await using var client = await SchedulingClient.StartAsync(stack.Resources);
        var ping = new ScheduledPing(Guid.NewGuid(), "sent once");
        var tokenId = NewId.NextGuid();
        ScheduleMessage schedule = new ScheduleMessageCommand<ScheduledPing>(DateTime.UtcNow, client.Address, ping, tokenId);
        await client.SendToSchedulerAsync(schedule);
        await client.WaitForAsync([ping.Id], TimeSpan.FromSeconds(20));
        // The job store records the firing's end just after the send. An instance frozen before that has its firing
        // recovered by Quartz, which sends again (delivery is at least once: ScheduledMessageJob); this test is about a
        // redelivered ScheduleMessage, so the instance is frozen after it.
        await client.WaitUntilFiringEndedAsync(tokenId);

        // What an instance that stored and fired the job, then died before acknowledging its ScheduleMessage, leaves
        // behind: the same ScheduleMessage, delivered to a frozen instance and redelivered by the broker once it is killed.
        var frozen = stack.Services[0];
        await HostProcess.SignalAsync("STOP", frozen.Pid);
        await client.SendToSchedulerAsync(schedule);
        await WaitForUnacknowledgedAsync(stack.Resources, "scheduler");
        await frozen.KillAsync();
        var service = await stack.AddServiceAsync();
        await WaitForOutputAsync(service, tokenId.ToString());
        await Task.Delay(TimeSpan.FromSeconds(3));

        Assert.Single(client.DeliveriesOf(ping.Id));
        Assert.Contains($"Dropped a redelivered ScheduleMessage {tokenId}", service.RecentOutput, StringComparison.Ordinal);
    }

    static async Task WaitForOutputAsync(HostProcess process, string text)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!process.RecentOutput.Contains(text, StringComparison.Ordinal))
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"{process.Name} did not log \"{text}\" within 30 s:\n{process.RecentOutput}");
            await Task.Delay(100);
        }
    }

    /// <summary>Waits until RabbitMQ reports a delivered, unacknowledged message on the queue (its statistics lag by seconds).</summary>
    static async Task WaitForUnacknowledgedAsync(IsolatedResources resources, string queue)
    {
        using var http = IsolatedResources.ManagementClient(resources.RabbitMqManagement);
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while ((await http.GetFromJsonAsync<QueueInfo>($"api/queues/{resources.Name}/{queue}"))?.MessagesUnacknowledged is not > 0)
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"no unacknowledged message on {queue} within 30 s");
            await Task.Delay(250);
        }
    }

    sealed record QueueInfo([property: System.Text.Json.Serialization.JsonPropertyName("messages_unacknowledged")] int MessagesUnacknowledged);
}
