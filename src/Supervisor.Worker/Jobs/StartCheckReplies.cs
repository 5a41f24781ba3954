using MassTransit;

namespace Supervisor.Worker.Jobs;

/// <summary>
/// Where the service's answers to start checks come back: a temporary queue of this worker's own, connected with the
/// first check. Not MassTransit's bus endpoint (<c>…_bus_…</c>), which requests use by default: after a <c>kill -9</c>
/// of RabbitMQ (which loses every temporary queue) that one has been seen never to declare its queue again, so that
/// every later answer was dropped and redelivered jobs waited for ever. This endpoint recovers with the connection like
/// the worker's other endpoints; should its queue still be gone (checks keep going unanswered), <see cref="Renew"/>
/// replaces it with a fresh one. When the worker's own queues come back after a lost connection (<see cref="BrokerReconnects"/>),
/// it is replaced at once, and the checks still waiting on it are asked again on the new one.
/// </summary>
public sealed partial class StartCheckReplies : IDisposable
{
    readonly IBus _bus;
    readonly TimeProvider _clock;
    readonly ILogger<StartCheckReplies> _logger;
    readonly BrokerReconnects _reconnects;

    public StartCheckReplies(IBus bus, TimeProvider clock, ILogger<StartCheckReplies> logger, BrokerReconnects reconnects)
    {
        (_bus, _clock, _logger, _reconnects) = (bus, clock, logger, reconnects);
        reconnects.Reconnected += OnReconnected;
    }

    /// <summary>An endpoint is replaced no sooner than this after it was connected: one broken endpoint, one renewal.</summary>
    public static readonly TimeSpan MinimumAge = TimeSpan.FromSeconds(30);

    static readonly TimeSpan ReadyWithin = TimeSpan.FromSeconds(60);

    /// <summary>The worker's queues report ready again one after the other after a reconnect: one renewal for those close together.</summary>
    static readonly TimeSpan ReconnectRenewalGap = TimeSpan.FromSeconds(5);

    readonly SemaphoreSlim _gate = new(1, 1);
    Replies? _current;
    DateTimeOffset _lastReconnectRenewal = DateTimeOffset.MinValue;

    /// <summary>
    /// A request client for <paramref name="context"/>'s start check, answered on this worker's reply queue. Requests are
    /// published (to the exchange of <typeparamref name="T"/>), not sent to the saga's queue: a worker's broker user may
    /// write to the exchanges of worker messages only (docs/operations.md, "Broker users").
    /// </summary>
    public async Task<(IRequestClient<T> Client, object Endpoint)> ClientAsync<T>(ConsumeContext context)
        where T : class
    {
        var replies = _current;
        if (replies is null)
        {
            await _gate.WaitAsync(context.CancellationToken);
            try
            {
                replies = _current ??= await ConnectAsync(context.CancellationToken);
            }
            finally
            {
                _gate.Release();
            }
        }

        return (replies.Factory.CreateRequestClient<T>(context), replies);
    }

    /// <summary>
    /// Cancelled when <paramref name="endpoint"/> (from <see cref="ClientAsync"/>) is replaced: a check waiting for its answer
    /// there is asked again on the new one.
    /// </summary>
    public static CancellationToken RetiredToken(object endpoint) => endpoint is Replies replies ? replies.Retired.Token : CancellationToken.None;

    /// <summary>
    /// Checks sent with <paramref name="endpoint"/> (from <see cref="ClientAsync"/>) keep going unanswered: the next
    /// check gets a fresh reply queue, unless the endpoint was replaced already or is younger than <see cref="MinimumAge"/>.
    /// </summary>
    public void Renew(object endpoint)
    {
        if (endpoint is not Replies old || _clock.GetUtcNow() - old.Since < MinimumAge || Interlocked.CompareExchange(ref _current, null, old) != old)
            return;
        LogRenewing(old.Handle.ReceiveEndpoint.InputAddress);
        Retire(old);
    }

    void OnReconnected()
    {
        var now = _clock.GetUtcNow();
        var old = _current;
        if (old is null || now - _lastReconnectRenewal < ReconnectRenewalGap || Interlocked.CompareExchange(ref _current, null, old) != old)
            return;
        _lastReconnectRenewal = now;
        LogReconnected(old.Handle.ReceiveEndpoint.InputAddress);
        Retire(old);
    }

    void Retire(Replies old)
    {
        // Stopped in the background: a broken endpoint may not stop promptly, and nothing waits for it.
        StopInBackground(old.Handle);
        old.Retired.Cancel();
    }

    async Task<Replies> ConnectAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            var handle = _bus.ConnectReceiveEndpoint(new TemporaryEndpointDefinition("start-check"), KebabCaseEndpointNameFormatter.Instance);
            try
            {
                // A check sent before the queue exists would lose its answer.
                await handle.Ready.WaitAsync(ReadyWithin, cancellationToken);
                return new Replies(handle, handle.CreateClientFactory(), _clock.GetUtcNow(), new CancellationTokenSource());
            }
            catch (Exception e) when (!cancellationToken.IsCancellationRequested)
            {
                // The broker is away, or this endpoint got stuck or faulted on its way up: another one, rather than
                // waiting on it. A start check must not fail its job for the broker's sake.
                LogNotReady(handle.ReceiveEndpoint.InputAddress, ReadyWithin.TotalSeconds, e.Message);
                StopInBackground(handle);
                await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
            }
        }
    }

    void StopInBackground(HostReceiveEndpointHandle handle) => _ = Task.Run(async () =>
    {
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            await handle.StopAsync(limit.Token);
        }
        catch (Exception e)
        {
            LogStopFailed(e.Message);
        }
    });

    /// <summary>The endpoint itself stops with the bus.</summary>
    public void Dispose()
    {
        _reconnects.Reconnected -= OnReconnected;
        _gate.Dispose();
    }

    /// <summary>A reply queue; <paramref name="Retired"/> is cancelled once it is replaced (never disposed: checks may still hold its token).</summary>
    sealed record Replies(HostReceiveEndpointHandle Handle, IClientFactory Factory, DateTimeOffset Since, CancellationTokenSource Retired);

    [LoggerMessage(LogLevel.Warning, "Start checks keep going unanswered on {Address}: replacing that reply queue with a fresh one")]
    partial void LogRenewing(Uri address);

    [LoggerMessage(LogLevel.Warning, "The broker connection came back: replacing the reply queue {Address} with a fresh one and asking waiting start checks again")]
    partial void LogReconnected(Uri address);

    [LoggerMessage(LogLevel.Warning, "The reply queue {Address} was not consuming within {Seconds}s ({Reason}): connecting another one")]
    partial void LogNotReady(Uri address, double seconds, string reason);

    [LoggerMessage(LogLevel.Warning, "A replaced reply queue did not stop cleanly: {Reason}")]
    partial void LogStopFailed(string reason);
}
