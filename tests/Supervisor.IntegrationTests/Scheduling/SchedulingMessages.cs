using MassTransit;
using Xunit.Abstractions;

namespace Supervisor.IntegrationTests.Scheduling;

[Collection(SchedulerCollection.Name)]
public sealed class SchedulingMessages(SchedulerFixture fixture, ITestOutputHelper output)
{
    [Fact]
    public async Task A_scheduled_message_arrives_once_when_due_with_its_id_body_and_headers_intact()
    {
        await using var client = await SchedulingClient.StartAsync(fixture.Stack.Resources);
        var ping = new ScheduledPing(Guid.NewGuid(), "due in two seconds");
        var messageId = NewId.NextGuid();
        var correlationId = Guid.NewGuid();
        var scheduledAt = DateTime.UtcNow;

        await client.Scheduler.ScheduleSend(client.Address, scheduledAt.AddSeconds(2), ping, Pipe.Execute<SendContext<ScheduledPing>>(send =>
        {
            send.MessageId = messageId;
            send.CorrelationId = correlationId;
            send.Headers.Set("Supervisor-Retry-Count", 3);
            send.Headers.Set("Supervisor-Note", "kept");
        }));
        await client.WaitForAsync([ping.Id], TimeSpan.FromSeconds(20));
        await Task.Delay(TimeSpan.FromSeconds(2));

        var delivery = Assert.Single(client.DeliveriesOf(ping.Id));
        output.WriteLine($"scheduled 2 s ahead, delivered after {(delivery.At - scheduledAt).TotalMilliseconds:F0} ms");
        Assert.InRange(delivery.At - scheduledAt, TimeSpan.FromSeconds(1.9), TimeSpan.FromSeconds(10));
        Assert.Equal(ping, delivery.Message);
        Assert.Equal(messageId, delivery.MessageId);
        Assert.Equal(correlationId, delivery.CorrelationId);
        Assert.Equal("kept", delivery.Headers["Supervisor-Note"]?.ToString());
        Assert.Equal("3", delivery.Headers["Supervisor-Retry-Count"]?.ToString());
        Assert.Equal(0, delivery.RedeliveryCount);
    }

    [Fact]
    public async Task A_cancelled_message_never_arrives()
    {
        await using var client = await SchedulingClient.StartAsync(fixture.Stack.Resources);
        var cancelled = new ScheduledPing(Guid.NewGuid(), "cancelled");
        var kept = new ScheduledPing(Guid.NewGuid(), "kept");

        // Due far enough ahead that storing and cancelling finish first even on a loaded machine.
        var due = DateTime.UtcNow.AddSeconds(8);
        var handle = await client.Scheduler.ScheduleSend(client.Address, due, cancelled);
        await client.Scheduler.ScheduleSend(client.Address, due, kept);
        // Two instances consume the scheduler queue: a cancel can overtake its schedule when both are sent at once.
        await client.WaitUntilStoredAsync(handle.TokenId);
        await client.Scheduler.CancelScheduledSend(client.Address, handle.TokenId);
        await client.WaitForAsync([kept.Id], TimeSpan.FromSeconds(20));
        await Task.Delay(TimeSpan.FromSeconds(2));

        Assert.Empty(client.DeliveriesOf(cancelled.Id));
        Assert.False(await client.IsStoredAsync(handle.TokenId));
    }

    [Fact]
    public async Task Twenty_messages_scheduled_on_a_cluster_of_two_instances_each_arrive_exactly_once()
    {
        await using var client = await SchedulingClient.StartAsync(fixture.Stack.Resources);
        var pings = Enumerable.Range(0, 20).Select(i => new ScheduledPing(Guid.NewGuid(), $"ping {i}")).ToList();
        var due = DateTime.UtcNow.AddSeconds(2);

        await Task.WhenAll(pings.Select((ping, i) => client.Scheduler.ScheduleSend(client.Address, due.AddMilliseconds(50 * i), ping)));
        await client.WaitForAsync([.. pings.Select(p => p.Id)], TimeSpan.FromSeconds(25));
        await Task.Delay(TimeSpan.FromSeconds(3));

        Assert.All(pings, ping => Assert.Equal(ping, Assert.Single(client.DeliveriesOf(ping.Id)).Message));
    }
}
