using MassTransit;

namespace Supervisor.Worker.Jobs;

/// <summary>
/// Sees the worker's own queues come up (every receive endpoint of the bus reports each time it is ready): its job queues
/// and its cancel queue, not the temporary ones. One that is ready a second time has come back after its connection was
/// lost: <see cref="Reconnected"/> is raised, and
/// <see cref="StartCheckReplies"/> moves start checks to a fresh reply queue at once rather than after checks went
/// unanswered (a broker restart loses temporary queues).
/// </summary>
public sealed class BrokerReconnects : IReceiveEndpointObserver
{
    readonly HashSet<string> _seen = new(StringComparer.Ordinal);

    /// <summary>Raised once for each of the worker's queues that is ready again, on the bus's thread: handlers return quickly.</summary>
    public event Action? Reconnected;

    public Task Ready(ReceiveEndpointReady ready)
    {
        // The reply queues of start checks and MassTransit's bus endpoint are temporary: made again with new names.
        if (ready.InputAddress.Query.Contains("temporary=true", StringComparison.Ordinal))
            return Task.CompletedTask;
        bool again;
        lock (_seen)
            again = !_seen.Add(ready.InputAddress.AbsolutePath);
        if (again)
            Reconnected?.Invoke();
        return Task.CompletedTask;
    }

    public Task Stopping(ReceiveEndpointStopping stopping) => Task.CompletedTask;

    public Task Completed(ReceiveEndpointCompleted completed) => Task.CompletedTask;

    public Task Faulted(ReceiveEndpointFaulted faulted) => Task.CompletedTask;
}
