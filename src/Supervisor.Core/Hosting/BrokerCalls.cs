using Microsoft.Extensions.Logging;

namespace Supervisor.Hosting;

/// <summary>
/// Publishes and sends that give up on a call that hangs and make it again. RabbitMQ.Client 7 (7.2.2 included) can
/// leave a publish awaiting its broker confirm forever when the connection drops under it (the broker restarting:
/// rabbitmq-dotnet-client issue 1930, open). MassTransit 8.5 hands the caller's token down to that wait, but nothing
/// cancels it unless the caller does: this bound is still the only one. Cancelling the abandoned call (8.4 ignored
/// that) ends it; it may still have reached the broker, so a message can arrive twice: every consumer here is
/// idempotent. A call that fails because the connection or channel went away under it is made again too, once the
/// broker is back.
/// </summary>
public static class BrokerCalls
{
    /// <summary>Far above a healthy publish (milliseconds) and above a reconnect after a short broker restart.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Runs <paramref name="call"/> until it completes within <paramref name="timeout"/> or <paramref name="cancellationToken"/>
    /// is cancelled. A call that fails because of the broker connection is made again after a pause (1 s, doubling up
    /// to 10 s); any other failure throws as usual.
    /// </summary>
    public static async Task RetryAsync(Func<CancellationToken, Task> call, string what, ILogger logger, CancellationToken cancellationToken,
        TimeSpan? timeout = null)
    {
        var limit = timeout ?? DefaultTimeout;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await OnceAsync(call, limit, cancellationToken);
                return;
            }
            catch (TimeoutException)
            {
                BrokerCallsLog.Hung(logger, what, limit.TotalSeconds, attempt);
            }
            catch (Exception e) when (IsBrokerFault(e) && !cancellationToken.IsCancellationRequested)
            {
                var pause = TimeSpan.FromSeconds(Math.Min(10, 1 << Math.Min(attempt - 1, 4)));
                BrokerCallsLog.Failed(logger, what, e.GetType().Name, e.Message, pause.TotalSeconds, attempt);
                await Task.Delay(pause, cancellationToken);
            }
        }
    }

    /// <summary>
    /// The connection or channel went away under the call: RabbitMQ.Client's own exceptions, a disposed channel's
    /// internals (seen when the broker restarts mid-publish), socket errors, or MassTransit giving up on the connection.
    /// </summary>
    public static bool IsBrokerFault(Exception exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is ObjectDisposedException or IOException or System.Net.Sockets.SocketException or MassTransit.ConnectionException
                || e.GetType().Namespace?.StartsWith("RabbitMQ.Client", StringComparison.Ordinal) == true)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Runs <paramref name="call"/> once, on the thread pool (so that a call which blocks before returning its task is
    /// bounded too), and throws <see cref="TimeoutException"/> when it has not completed within <paramref name="timeout"/>.
    /// </summary>
    public static async Task OnceAsync(Func<CancellationToken, Task> call, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var callCancellation = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var task = Task.Run(() => call(callCancellation.Token), CancellationToken.None);
        try
        {
            await task.WaitAsync(timeout, cancellationToken);
        }
        catch (TimeoutException)
        {
            // Stop it if it still listens to its token; either way it is abandoned, and its outcome observed.
            await callCancellation.CancelAsync();
            _ = task.ContinueWith(t => t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
            throw;
        }
    }
}

static partial class BrokerCallsLog
{
    [LoggerMessage(LogLevel.Warning, "{What}: no confirmation from the broker within {Seconds}s (try {Attempt}); sending it again")]
    public static partial void Hung(ILogger logger, string what, double seconds, int attempt);

    [LoggerMessage(LogLevel.Warning, "{What}: the broker call failed ({Error}: {Message}); trying again in {Seconds}s (try {Attempt})")]
    public static partial void Failed(ILogger logger, string what, string error, string message, double seconds, int attempt);
}
