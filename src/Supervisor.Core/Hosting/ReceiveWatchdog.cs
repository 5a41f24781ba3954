using System.Collections.Concurrent;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using RabbitMQ.Client;
using Supervisor.Settings;

namespace Supervisor.Hosting;

/// <summary><c>Supervisor:Watchdog</c>: when a message a host is handling, or its receive endpoints, count as wedged.</summary>
public sealed class WatchdogOptions : IValidatedOptions
{
    public const string Section = "Supervisor:Watchdog";

    /// <summary>
    /// A watched message that shows no sign of life (neither its receipt nor a retry) for this long, or endpoints that do
    /// not consume for this long while the broker accepts connections, mean the process is wedged. At least 60 s: a
    /// message waiting out a storage outage retries at least every 30 s, and each try may wait for its connection.
    /// </summary>
    public TimeSpan StuckAfter { get; set; } = TimeSpan.FromMinutes(5);

    public IReadOnlyList<string> Validate() =>
        StuckAfter < TimeSpan.FromSeconds(60) ? [$"{Section}:StuckAfter: must be at least 00:01:00 (got {StuckAfter})."] : [];
}

/// <summary>Which receive endpoints' messages the watchdog times (all of them unless a host says otherwise).</summary>
public sealed record WatchdogScope(Func<Uri, bool> Watches)
{
    public static readonly WatchdogScope Everything = new(_ => true);
}

/// <summary>
/// Ends the host, with exit code 75, when it is wedged by <see cref="WatchdogRules"/>. A publish that never completes
/// (RabbitMQ.Client 7 after a broker restart, see <c>BrokerCalls</c>) holds its receive endpoint, which then cannot
/// reconnect to the restarted broker; endpoints have also been seen never to get their channels back after a broker
/// restart while the connection itself was back. Either way the endpoint stops consuming for good while the process looks
/// alive. Exiting hands the unacknowledged messages back to the broker; the process manager (systemd
/// <c>Restart=on-failure</c>, compose <c>restart:</c>) starts a fresh process. A message that waits out a storage outage
/// retries (a sign of life each time, see <see cref="PreRetry{T}"/>), and a broker that is away is waited for: neither
/// ends the host.
/// </summary>
public sealed partial class ReceiveWatchdog(IOptions<WatchdogOptions> options, IOptions<TransportOptions> transport, IOptions<HostOptions> host,
    WatchdogScope scope, IHostApplicationLifetime lifetime, TimeProvider clock, IServiceProvider services, ILogger<ReceiveWatchdog> logger)
    : BackgroundService, IReceiveObserver, IRetryObserver
{
    public const int ExitCode = 75; // EX_TEMPFAIL: try again

    readonly ConcurrentDictionary<ReceiveContext, (DateTimeOffset LastSign, Uri Address)> _inFlight = new();
    readonly ConcurrentDictionary<Uri, DateTimeOffset> _retried = new();
    bool _brokerAway;

    public Task PreReceive(ReceiveContext context)
    {
        if (scope.Watches(context.InputAddress))
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

    /// <summary>
    /// A message being retried is alive: it is waiting for something (the database), not hanging in a call. So are the
    /// messages of its endpoint that wait behind it (its concurrency limit, a batch being collected): a retry is a sign
    /// of life for the whole endpoint.
    /// </summary>
    public Task PreRetry<T>(RetryContext<T> context)
        where T : class, PipeContext
    {
        if (context.Context is ConsumeContext consume && _inFlight.TryGetValue(consume.ReceiveContext, out var entry))
        {
            var now = clock.GetUtcNow();
            _inFlight[consume.ReceiveContext] = (now, entry.Address);
            _retried[entry.Address] = now;
        }

        return Task.CompletedTask;
    }

    public Task PostCreate<T>(RetryPolicyContext<T> context)
        where T : class, PipeContext => Task.CompletedTask;

    public Task PostFault<T>(RetryContext<T> context)
        where T : class, PipeContext => Task.CompletedTask;

    public Task RetryFault<T>(RetryContext<T> context)
        where T : class, PipeContext => Task.CompletedTask;

    public Task RetryComplete<T>(RetryContext<T> context)
        where T : class, PipeContext => Task.CompletedTask;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var rules = new WatchdogRules(options.Value.StuckAfter);
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(Math.Clamp(rules.StuckAfter.TotalSeconds / 10, 1, 30)), clock);
        // Resolved here, not injected: the bus is built with this observer, so the bus cannot be built first.
        var bus = services.GetRequiredService<IBusControl>();
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                var now = clock.GetUtcNow();
                var health = bus.CheckHealth();
                var consuming = health.Status == BusHealthStatus.Healthy;
                var quietest = _inFlight.Values
                    .Select(v => (LastSign: _retried.TryGetValue(v.Address, out var retried) && retried > v.LastSign ? retried : v.LastSign, v.Address))
                    .OrderBy(v => v.LastSign).FirstOrDefault();
                DateTimeOffset? lastSign = quietest.Address is null ? null : quietest.LastSign;
                var reachable = !rules.NeedsBroker(now, lastSign, consuming) || await BrokerReachableAsync(stoppingToken);
                switch (rules.Judge(now, lastSign, consuming, reachable))
                {
                    case WatchdogVerdict.MessageWedged:
                        LogWedged(quietest.Address!, (now - quietest.LastSign).TotalSeconds, _inFlight.Count);
                        break;
                    case WatchdogVerdict.NotConsuming:
                        LogNotConsuming(health.Description, rules.NotConsumingFor(now).TotalSeconds);
                        break;
                    default:
                        continue;
                }

                Environment.ExitCode = ExitCode;
                lifetime.StopApplication();
                // A graceful stop waits for the wedged handler too: give it the host's own stop time, then leave regardless.
                await Task.Delay(host.Value.ShutdownTimeout + TimeSpan.FromSeconds(5), CancellationToken.None);
                Environment.Exit(ExitCode);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>A fresh connection, apart from the bus's: what a restarted process would get.</summary>
    async Task<bool> BrokerReachableAsync(CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(10));
        try
        {
            var factory = new ConnectionFactory { Uri = transport.Value.RabbitMqUri, ClientProvidedName = "supervisor-watchdog" };
            await using var connection = await factory.CreateConnectionAsync(timeout.Token);
            _brokerAway = false;
            return true;
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // Once per absence: an outage of half an hour would otherwise log a line every half minute.
            if (!_brokerAway)
                LogBrokerAway(e.Message);
            _brokerAway = true;
            return false;
        }
    }

    [LoggerMessage(LogLevel.Critical,
        "A message on {Address} has shown no sign of life for {Seconds:0}s ({Count} in flight) while the broker is reachable: the process is wedged; exiting with code 75 so that the process manager starts a fresh one")]
    partial void LogWedged(Uri address, double seconds, int count);

    [LoggerMessage(LogLevel.Critical,
        "Receive endpoints not consuming for {Seconds:0}s while the broker accepts connections ({Health}): exiting with code 75 so that the process manager starts a fresh one")]
    partial void LogNotConsuming(string health, double seconds);

    [LoggerMessage(LogLevel.Warning, "Receive endpoints not consuming, and the broker is unreachable ({Reason}): waiting for it")]
    partial void LogBrokerAway(string reason);
}

/// <summary>Registers <see cref="ReceiveWatchdog"/> as a hosted service, a receive observer and a retry observer.</summary>
public static class ReceiveWatchdogExtensions
{
    /// <summary>Before the bus is configured; a host that watches only some endpoints registers its <see cref="WatchdogScope"/> first.</summary>
    public static IServiceCollection AddReceiveWatchdog(this IServiceCollection services)
    {
        services.AddValidatedOptions<WatchdogOptions>(WatchdogOptions.Section);
        services.TryAddSingleton(WatchdogScope.Everything);
        services.AddSingleton<ReceiveWatchdog>();
        services.AddHostedService(sp => sp.GetRequiredService<ReceiveWatchdog>());
        services.AddReceiveObserver(sp => sp.GetRequiredService<ReceiveWatchdog>());
        return services;
    }

    /// <summary>In an endpoint's retry policy: each retry of a message tells the watchdog the message is alive.</summary>
    public static void ReportRetriesToWatchdog(this IRetryConfigurator retry, IRegistrationContext context)
    {
        if (context.GetService<ReceiveWatchdog>() is { } watchdog)
            retry.ConnectRetryObserver(watchdog);
    }
}
