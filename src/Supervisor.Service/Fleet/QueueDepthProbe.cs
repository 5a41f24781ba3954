using RabbitMQ.Client;
using Supervisor.Agents;
using Supervisor.Hosting;

namespace Supervisor.Service.Fleet;

/// <summary>
/// Messages waiting in each agent queue, read with a passive declare over a connection of its own (RabbitMQ-specific:
/// a single-process mode would answer from its in-memory transport instead).
/// </summary>
public sealed class QueueDepthProbe(Microsoft.Extensions.Options.IOptions<TransportOptions> transport, ILogger<QueueDepthProbe> logger) : IAsyncDisposable
{
    readonly SemaphoreSlim _gate = new(1, 1);
    IConnection? _connection;

    public async Task<long?> DepthAsync(string agent, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            _connection ??= await new ConnectionFactory { Uri = transport.Value.RabbitMqUri, ClientProvidedName = "supervisor-queue-depth" }
                .CreateConnectionAsync(cancellationToken);
            await using var channel = await _connection.CreateChannelAsync(cancellationToken: cancellationToken);
            var queue = await channel.QueueDeclarePassiveAsync(AgentQueues.Name(agent), cancellationToken);
            return queue.MessageCount;
        }
        catch (RabbitMQ.Client.Exceptions.OperationInterruptedException)
        {
            return 0; // the queue does not exist yet: no worker has ever served this agent and no job was sent
        }
        catch (Exception e) when (e is RabbitMQ.Client.Exceptions.BrokerUnreachableException or IOException)
        {
            logger.LogWarning(e, "Queue depth of {Agent} unavailable", agent);
            _connection = null;
            return null;
        }
        finally
        {
            _gate.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_connection is not null)
            await _connection.DisposeAsync();
        _gate.Dispose();
    }
}
