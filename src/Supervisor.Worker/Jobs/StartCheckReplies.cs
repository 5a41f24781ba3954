using MassTransit;

namespace Supervisor.Worker.Jobs;

/// <summary>
/// Where the service's answers to start checks come back: a temporary queue of this worker's own, started with the first
/// check and kept for the process's life. Not MassTransit's bus endpoint (<c>…_bus_…</c>), which requests use by default:
/// that one is started only on demand, and after a <c>kill -9</c> of RabbitMQ (which loses every temporary queue) it has
/// been seen never to declare its queue again, so that every later answer was dropped and redelivered jobs waited for
/// ever. A receive endpoint connected like this one recovers with the connection like the worker's other endpoints, and
/// counts in the bus health.
/// </summary>
public sealed class StartCheckReplies(IBus bus) : IDisposable
{
    readonly SemaphoreSlim _gate = new(1, 1);
    IClientFactory? _factory;

    /// <summary>A request client for <paramref name="context"/>'s start check, answered on this worker's reply queue.</summary>
    public async Task<IRequestClient<T>> ClientAsync<T>(ConsumeContext context, Uri destination)
        where T : class
    {
        var factory = _factory;
        if (factory is null)
        {
            await _gate.WaitAsync(context.CancellationToken);
            try
            {
                factory = _factory ??= await ConnectAsync(context.CancellationToken);
            }
            finally
            {
                _gate.Release();
            }
        }

        return factory.CreateRequestClient<T>(context, destination);
    }

    async Task<IClientFactory> ConnectAsync(CancellationToken cancellationToken)
    {
        var handle = bus.ConnectReceiveEndpoint(new TemporaryEndpointDefinition("start-check"), KebabCaseEndpointNameFormatter.Instance);
        // A check sent before the queue exists would lose its answer.
        await handle.Ready.WaitAsync(cancellationToken);
        return handle.CreateClientFactory();
    }

    /// <summary>The endpoint itself stops with the bus.</summary>
    public void Dispose() => _gate.Dispose();
}
