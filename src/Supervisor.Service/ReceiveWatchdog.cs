using System.Collections.Concurrent;
using MassTransit;
using Microsoft.Extensions.Options;

namespace Supervisor.Service;

/// <summary><c>Supervisor:Watchdog</c>: when a message the service is handling counts as wedged.</summary>
public sealed class WatchdogOptions : Supervisor.Settings.IValidatedOptions
{
    public const string Section = "Supervisor:Watchdog";

    /// <summary>
    /// A message still being handled after this long means the process is wedged (every handler here takes milliseconds,
    /// or about a minute of retries while the database is away). At least 30 s.
    /// </summary>
    public TimeSpan StuckAfter { get; set; } = TimeSpan.FromMinutes(5);

    public IReadOnlyList<string> Validate() =>
        StuckAfter < TimeSpan.FromSeconds(30) ? [$"{Section}:StuckAfter: must be at least 00:00:30 (got {StuckAfter})."] : [];
}

/// <summary>
/// Ends the service, with exit code 75, when a received message has been in its handler for longer than
/// <see cref="WatchdogOptions.StuckAfter"/>, or when some receive endpoint has not been consuming for that long. A
/// publish that never completes (RabbitMQ.Client 7 after a broker restart, see <c>BrokerCalls</c>) holds its receive
/// endpoint, which then cannot reconnect to the restarted broker; endpoints have also been seen never to get their
/// channels back after a broker restart while the connection itself was back. Either way the endpoint stops consuming
/// for good while the process looks alive. Exiting hands the unacknowledged messages back to the broker; the process
/// manager (systemd <c>Restart=on-failure</c>, compose <c>restart:</c>) starts a fresh process. A broker that is away for
/// longer than that also ends the service, which then starts again and waits for the broker like any fresh start.
/// </summary>
public sealed partial class ReceiveWatchdog(IOptions<WatchdogOptions> options, IHostApplicationLifetime lifetime, TimeProvider clock,
    IServiceProvider services, ILogger<ReceiveWatchdog> logger) : BackgroundService, IReceiveObserver
{
    public const int ExitCode = 75; // EX_TEMPFAIL: try again

    readonly ConcurrentDictionary<ReceiveContext, (DateTimeOffset Since, Uri Address)> _inFlight = new();

    public Task PreReceive(ReceiveContext context)
    {
        _inFlight[context] = (clock.GetUtcNow(), context.InputAddress);
        return Task.CompletedTask;
    }

    public Task PostReceive(ReceiveContext context)
    {
        _inFlight.TryRemove(context, out _);
        return Task.CompletedTask;
    }

    public Task ReceiveFault(ReceiveContext context, Exception exception)
    {
        _inFlight.TryRemove(context, out _);
        return Task.CompletedTask;
    }

    public Task PostConsume<T>(ConsumeContext<T> context, TimeSpan duration, string consumerType)
        where T : class => Task.CompletedTask;

    public Task ConsumeFault<T>(ConsumeContext<T> context, TimeSpan duration, string consumerType, Exception exception)
        where T : class => Task.CompletedTask;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var stuckAfter = options.Value.StuckAfter;
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(Math.Clamp(stuckAfter.TotalSeconds / 10, 1, 30)), clock);
        DateTimeOffset? notConsumingSince = null;
        // Resolved here, not injected: the bus is built with this observer, so the bus cannot be built first.
        var bus = services.GetRequiredService<IBusControl>();
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                var now = clock.GetUtcNow();
                var health = bus.CheckHealth();
                notConsumingSince = health.Status == BusHealthStatus.Healthy ? null : notConsumingSince ?? now;
                var oldest = _inFlight.Values.OrderBy(v => v.Since).FirstOrDefault();
                if (oldest.Address is not null && now - oldest.Since >= stuckAfter)
                    LogWedged(oldest.Address, (now - oldest.Since).TotalSeconds, _inFlight.Count);
                else if (notConsumingSince is { } since && now - since >= stuckAfter)
                    LogNotConsuming(health.Description, (now - since).TotalSeconds);
                else
                    continue;

                Environment.ExitCode = ExitCode;
                lifetime.StopApplication();
                // A graceful stop waits for the wedged handler too: give it a while, then leave regardless.
                await Task.Delay(TimeSpan.FromSeconds(20), CancellationToken.None);
                Environment.Exit(ExitCode);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    [LoggerMessage(LogLevel.Critical,
        "A message on {Address} has been handled for {Seconds:0}s ({Count} in flight): the broker connection is wedged; exiting with code 75 so that the process manager starts a fresh service")]
    partial void LogWedged(Uri address, double seconds, int count);

    [LoggerMessage(LogLevel.Critical,
        "Receive endpoints not consuming for {Seconds:0}s ({Health}): exiting with code 75 so that the process manager starts a fresh service")]
    partial void LogNotConsuming(string health, double seconds);
}
