using MassTransit;
using Xunit.Abstractions;

namespace Supervisor.IntegrationTests.Scheduling;

[Collection(SchedulerCollection.Name)]
public sealed class ScheduledRedelivery(SchedulerFixture fixture, ITestOutputHelper output)
{
    [Fact]
    public async Task UseScheduledRedelivery_redelivers_through_the_scheduler_counting_each_redelivery()
    {
        await using var client = await SchedulingClient.StartAsync(fixture.Stack.Resources, failFirst: 2,
            e => e.UseScheduledRedelivery(r => r.Intervals(TimeSpan.FromMilliseconds(500), TimeSpan.FromMilliseconds(500),
                TimeSpan.FromMilliseconds(500))));
        var ping = new ScheduledPing(Guid.NewGuid(), "fails twice");

        await client.Scheduler.ScheduleSend(client.Address, DateTime.UtcNow, ping);
        await client.WaitForAsync([ping.Id], TimeSpan.FromSeconds(20), each: 3);
        await Task.Delay(TimeSpan.FromSeconds(2));

        var deliveries = client.DeliveriesOf(ping.Id);
        output.WriteLine($"redelivered after {string.Join(", ", deliveries.Zip(deliveries.Skip(1)).Select(p => $"{(p.Second.At - p.First.At).TotalMilliseconds:F0} ms"))}");
        Assert.Equal([0, 1, 2], deliveries.Select(d => d.RedeliveryCount));
        // Each redelivery is a new message (MassTransit's default ReplaceMessageId) that names the first one.
        Assert.Equal(3, deliveries.Select(d => d.MessageId).Distinct().Count());
        Assert.All(deliveries, d => Assert.Equal(deliveries[0].MessageId, d.OriginalMessageId));
        Assert.All(deliveries.Zip(deliveries.Skip(1)), pair => Assert.True(pair.Second.At - pair.First.At >= TimeSpan.FromMilliseconds(450),
            $"redelivered after {(pair.Second.At - pair.First.At).TotalMilliseconds} ms"));
    }
}
