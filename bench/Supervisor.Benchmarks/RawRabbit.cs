using System.Diagnostics;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;

namespace Supervisor.Benchmarks;

/// <summary>
/// The broker's own ceiling for the way we use it: persistent messages to a durable queue, published with confirms
/// (a bounded number outstanding), consumed with manual acknowledgements and a prefetch, on its own virtual host.
/// </summary>
static class RawRabbit
{
    public static async Task<int> RunAsync(BenchArgs args)
    {
        var n = args.Int("n", 20000);
        var outstanding = args.Int("outstanding", 256);
        var factory = new ConnectionFactory { Uri = new Uri(args.Get("uri")) };
        await using var connection = await factory.CreateConnectionAsync();
        await using var consumerChannel = await connection.CreateChannelAsync();
        const string queue = "bench-raw";
        await consumerChannel.QueueDeclareAsync(queue, durable: true, exclusive: false, autoDelete: false);
        await consumerChannel.QueuePurgeAsync(queue);
        await consumerChannel.BasicQosAsync(0, 64, false);

        var received = 0;
        var all = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var consumer = new AsyncEventingBasicConsumer(consumerChannel);
        consumer.ReceivedAsync += async (_, delivery) =>
        {
            await consumerChannel.BasicAckAsync(delivery.DeliveryTag, false);
            if (++received == n)
                all.TrySetResult();
        };
        await consumerChannel.BasicConsumeAsync(queue, autoAck: false, consumer);

        await using var publisher = await connection.CreateChannelAsync(new CreateChannelOptions(
            publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true, outstandingPublisherConfirmationsRateLimiter: null));
        var properties = new BasicProperties { DeliveryMode = DeliveryModes.Persistent, ContentType = "application/json" };
        var body = new byte[512];
        var clock = Stopwatch.StartNew();
        var pending = new List<Task>(outstanding);
        for (var i = 0; i < n; i++)
        {
            pending.Add(publisher.BasicPublishAsync("", queue, true, properties, body).AsTask());
            if (pending.Count == outstanding)
            {
                await Task.WhenAll(pending);
                pending.Clear();
            }
        }

        await Task.WhenAll(pending);
        var published = clock.Elapsed.TotalSeconds;
        if (await Task.WhenAny(all.Task, Task.Delay(TimeSpan.FromSeconds(120))) != all.Task)
        {
            await Console.Error.WriteLineAsync($"rabbit: only {received} of {n} messages consumed");
            return 1;
        }

        var seconds = clock.Elapsed.TotalSeconds;
        await consumerChannel.QueueDeleteAsync(queue);
        BenchArgs.Result("rabbit.messages", n);
        BenchArgs.Result("rabbit.publish_seconds", published);
        BenchArgs.Result("rabbit.seconds", seconds);
        BenchArgs.Result("rabbit.messages_per_s", n / seconds);
        return 0;
    }
}
