using System.Text;
using RabbitMQ.Client;
using Supervisor.Agents;
using Supervisor.Service.Fleet;
using Supervisor.Service.Notifications;
using Supervisor.Service.Scheduling;

namespace Supervisor.Service.DeadLetters;

/// <summary>
/// The error (<c>_error</c>) and skipped (<c>_skipped</c>) queues MassTransit moves messages to, read and emptied over a
/// the service's inspection connection (<see cref="BrokerInspection"/>) with plain AMQP: a passive declare counts a
/// queue, <c>basic.get</c> without an acknowledgement peeks at its messages (closing the channel hands them back in their
/// order), and a redrive publishes a message to its source queue with its body and headers, confirmed, before it
/// acknowledges it here. AMQP cannot list queues, so the candidates are the queues Supervisor's endpoints consume from.
/// </summary>
public sealed class DeadLetterQueues(BrokerInspection broker, AgentCatalog catalog)
{
    public static readonly string[] Suffixes = ["_error", "_skipped"];

    /// <summary>The service's endpoints (start checks are the saga's, on <c>task-state</c>).</summary>
    static readonly string[] ServiceQueues =
        [AgentQueues.TaskState, "scheduler", WorkerRedeliveryConsumer.Queue, "worker-heartbeats", "task-logs", NotificationFanOut.Queue, WebhookDelivery.Queue];

    /// <summary>Every dead-letter queue there may be, whether or not the broker has one yet.</summary>
    public IReadOnlyList<string> Candidates =>
    [
        .. ServiceQueues.Concat(catalog.Agents.Keys.Order(StringComparer.Ordinal).Select(AgentQueues.Name))
            .SelectMany(source => Suffixes.Select(suffix => source + suffix)),
    ];

    /// <summary>Raised after a redrive or purge, which change the counts (<c>/metrics</c> then forgets its sample of them).</summary>
    public event Action? Changed;

    public bool IsCandidate(string queue) => Candidates.Contains(queue, StringComparer.Ordinal);

    /// <summary>The queue a dead letter was taken from: MassTransit names its error queue after it.</summary>
    public static string SourceOf(string queue) =>
        Suffixes.FirstOrDefault(s => queue.EndsWith(s, StringComparison.Ordinal)) is { } suffix ? queue[..^suffix.Length] : queue;

    /// <summary>Ready messages in each dead-letter queue that exists.</summary>
    public Task<List<(string Queue, uint Count)>> CountAsync(CancellationToken cancellationToken) =>
        WithConnectionAsync(async connection =>
        {
            var candidates = Candidates;
            var counts = await BrokerInspection.CountAllAsync(connection, candidates, cancellationToken);
            return candidates.Zip(counts).Where(c => c.Second is not null).Select(c => (c.First, c.Second!.Value)).ToList();
        }, cancellationToken);

    /// <summary>The queues that exist (or <paramref name="only"/>), each with its first <paramref name="limit"/> messages.</summary>
    public Task<List<DeadLetterQueueView>> ListAsync(string? only, int limit, CancellationToken cancellationToken) =>
        WithConnectionAsync(async connection =>
        {
            var views = new List<DeadLetterQueueView>();
            foreach (var queue in only is null ? Candidates : [only])
            {
                if (await BrokerInspection.CountAsync(connection, queue, cancellationToken) is not { } count)
                    continue;
                var messages = new List<DeadLetterView>();
                // Unacknowledged on this channel only: closing it puts them back where they were.
                await using (var channel = await connection.CreateChannelAsync(cancellationToken: cancellationToken))
                {
                    while (messages.Count < limit && await channel.BasicGetAsync(queue, autoAck: false, cancellationToken) is { } message)
                        messages.Add(DeadLetterView.Read(message.BasicProperties, message.Body.Span));
                }

                views.Add(new DeadLetterQueueView(queue, SourceOf(queue), count, messages));
            }

            return views;
        }, cancellationToken);

    /// <summary>
    /// Moves the message whose id is <paramref name="messageId"/> (every message when null) back to its source queue, body
    /// and headers as they are. Only the messages there were when it began are looked at, so one that fails again at once
    /// and comes back is not moved twice.
    /// </summary>
    public async Task<long> RedriveAsync(string queue, string? messageId, CancellationToken cancellationToken)
    {
        var changed = await WithConnectionAsync(async connection =>
        {
            if (await BrokerInspection.CountAsync(connection, queue, cancellationToken) is not { } count)
                return 0L;
            var source = SourceOf(queue);
            await using var channel = await connection.CreateChannelAsync(
                new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true), cancellationToken);
            long moved = 0;
            for (var i = 0; i < count && await channel.BasicGetAsync(queue, autoAck: false, cancellationToken) is { } message; i++)
            {
                if (messageId is not null && message.BasicProperties.MessageId != messageId)
                    continue; // stays unacknowledged until the channel closes, then goes back in its place
                // Mandatory: a source queue that is gone returns the message, the publish fails, and the message stays here.
                await channel.BasicPublishAsync("", source, mandatory: true, new BasicProperties(message.BasicProperties), message.Body, cancellationToken);
                await channel.BasicAckAsync(message.DeliveryTag, multiple: false, cancellationToken);
                moved++;
            }

            return moved;
        }, cancellationToken);
        Changed?.Invoke();
        return changed;
    }

    /// <summary>Deletes the message whose id is <paramref name="messageId"/>, or every message when null.</summary>
    public async Task<long> PurgeAsync(string queue, string? messageId, CancellationToken cancellationToken)
    {
        var changed = await WithConnectionAsync(async connection =>
        {
            if (await BrokerInspection.CountAsync(connection, queue, cancellationToken) is not { } count)
                return 0L;
            await using var channel = await connection.CreateChannelAsync(cancellationToken: cancellationToken);
            if (messageId is null)
                return (long)await channel.QueuePurgeAsync(queue, cancellationToken);
            long purged = 0;
            for (var i = 0; i < count && await channel.BasicGetAsync(queue, autoAck: false, cancellationToken) is { } message; i++)
            {
                if (message.BasicProperties.MessageId != messageId)
                    continue;
                await channel.BasicAckAsync(message.DeliveryTag, multiple: false, cancellationToken);
                purged++;
            }

            return purged;
        }, cancellationToken);
        Changed?.Invoke();
        return changed;
    }

    async Task<T> WithConnectionAsync<T>(Func<IConnection, Task<T>> work, CancellationToken cancellationToken)
    {
        try
        {
            return await broker.WithConnectionAsync(work, cancellationToken);
        }
        catch (Exception e) when (BrokerInspection.IsUnreachable(e))
        {
            throw new DeadLettersUnavailableException($"the broker cannot be reached: {e.Message}", e);
        }
    }

    /// <summary>A header as text: AMQP carries MassTransit's string headers as bytes.</summary>
    internal static string? Header(IReadOnlyBasicProperties properties, string name) =>
        properties.Headers?.TryGetValue(name, out var value) != true ? null
            : value switch
            {
                null => null,
                byte[] bytes => Encoding.UTF8.GetString(bytes),
                AmqpTimestamp timestamp => DateTimeOffset.FromUnixTimeSeconds(timestamp.UnixTime).ToString("O"),
                _ => Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture),
            };
}

/// <summary>The broker could not be asked (it is down or unreachable): the API answers 503.</summary>
public sealed class DeadLettersUnavailableException(string message, Exception inner) : Exception(message, inner);
