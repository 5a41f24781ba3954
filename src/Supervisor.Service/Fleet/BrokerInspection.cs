using Microsoft.Extensions.Options;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;
using Supervisor.Hosting;

namespace Supervisor.Service.Fleet;

/// <summary>
/// The service's one plain-AMQP connection for looking at queues (RabbitMQ-specific, beside MassTransit's own): queue
/// depths and dead letters. Opened on first use and again once it has closed; one piece of work at a time.
/// </summary>
public sealed class BrokerInspection(IOptions<TransportOptions> transport) : IAsyncDisposable
{
    readonly SemaphoreSlim _gate = new(1, 1);
    IConnection? _connection;

    /// <summary>Whether <paramref name="exception"/> says the broker could not be reached (the connection is opened again next time).</summary>
    public static bool IsUnreachable(Exception exception) => exception is BrokerUnreachableException or AlreadyClosedException or IOException;

    /// <summary>Runs <paramref name="work"/> on the connection; the broker being unreachable throws as <see cref="IsUnreachable"/> says.</summary>
    public async Task<T> WithConnectionAsync<T>(Func<IConnection, Task<T>> work, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (_connection is not { IsOpen: true })
            {
                if (_connection is not null)
                    await _connection.DisposeAsync();
                _connection = null;
                _connection = await new ConnectionFactory { Uri = transport.Value.RabbitMqUri, ClientProvidedName = "supervisor-inspection" }
                    .CreateConnectionAsync(cancellationToken);
            }

            return await work(_connection);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Ready messages in <paramref name="queue"/>, or null when it does not exist (a passive declare of a missing queue closes its channel, hence one each).</summary>
    public static async Task<uint?> CountAsync(IConnection connection, string queue, CancellationToken cancellationToken)
    {
        try
        {
            await using var channel = await connection.CreateChannelAsync(cancellationToken: cancellationToken);
            return (await channel.QueueDeclarePassiveAsync(queue, cancellationToken)).MessageCount;
        }
        catch (OperationInterruptedException e) when (e.ShutdownReason?.ReplyCode == 404)
        {
            return null;
        }
    }

    /// <summary>
    /// <see cref="CountAsync"/> of each queue, all at once (a channel each): a scrape asks about some thirty queues, and one
    /// after the other their round trips added up to most of its time.
    /// </summary>
    public static Task<uint?[]> CountAllAsync(IConnection connection, IEnumerable<string> queues, CancellationToken cancellationToken) =>
        Task.WhenAll(queues.Select(queue => CountAsync(connection, queue, cancellationToken)));

    public async ValueTask DisposeAsync()
    {
        if (_connection is not null)
            await _connection.DisposeAsync();
        _gate.Dispose();
    }
}
