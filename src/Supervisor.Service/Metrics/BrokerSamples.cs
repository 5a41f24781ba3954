using Microsoft.Extensions.Options;
using Supervisor.Agents;
using Supervisor.Service.DeadLetters;
using Supervisor.Service.Fleet;

namespace Supervisor.Service.Metrics;

/// <summary>
/// The broker's figures for one scrape: each agent's queue depth (null when the broker is away), the counts of the
/// dead-letter queues that exist (null when it is away), and when they were read.
/// </summary>
public sealed record BrokerSample(IReadOnlyDictionary<string, long?> Depths, IReadOnlyList<(string Queue, uint Count)>? DeadLetters, DateTimeOffset TakenAt);

/// <summary>
/// The broker's figures for <c>/metrics</c>, sampled every <see cref="MetricsOptions.BrokerSampleInterval"/> while scrapes
/// come (until five minutes after the last one), so that a scrape does not wait for some thirty queue probes (AMQP has no
/// call that counts many queues; each probe is a channel and a passive declare, and a missing queue's closes its channel).
/// A scrape answers from a sample at most twice the interval old and otherwise reads the broker itself; concurrent
/// scrapes share one reading. A redrive or purge (<see cref="DeadLetterQueues.Changed"/>) forgets the sample, so this
/// instance's next scrape shows its effect.
/// </summary>
public sealed partial class BrokerSamples(QueueDepthProbe queues, DeadLetterQueues deadLetters, AgentCatalog catalog, TimeProvider clock,
    IOptions<MetricsOptions> options, ILogger<BrokerSamples> logger) : BackgroundService
{
    static readonly TimeSpan KeepSampling = TimeSpan.FromMinutes(5);

    /// <summary>A reading that takes longer (a broker that accepts connections but does not answer) is given up.</summary>
    static readonly TimeSpan ReadingTimeout = TimeSpan.FromSeconds(30);

    readonly Lock _sync = new();
    BrokerSample? _latest;
    Task<BrokerSample>? _reading;
    long _generation, _readingGeneration;
    long _lastAskedTicks;

    public override Task StartAsync(CancellationToken cancellationToken)
    {
        deadLetters.Changed += Invalidate;
        return base.StartAsync(cancellationToken);
    }

    /// <summary>A sample young enough for a scrape, read now when there is none.</summary>
    public async Task<BrokerSample> CurrentAsync(CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        Interlocked.Exchange(ref _lastAskedTicks, now.UtcTicks);
        var interval = options.Value.BrokerSampleInterval;
        lock (_sync)
        {
            if (_latest is { } latest && interval > TimeSpan.Zero && now - latest.TakenAt <= 2 * interval)
                return latest;
        }

        return await ReadAsync().WaitAsync(cancellationToken);
    }

    /// <summary>Forgets the sample (a redrive or purge changed the counts); a reading begun before this is not kept either.</summary>
    void Invalidate()
    {
        lock (_sync)
        {
            _generation++;
            _latest = null;
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var interval = options.Value.BrokerSampleInterval;
        if (interval == TimeSpan.Zero)
            return;
        using var timer = new PeriodicTimer(interval, clock);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            if (clock.GetUtcNow() - new DateTimeOffset(Interlocked.Read(ref _lastAskedTicks), TimeSpan.Zero) > KeepSampling)
                continue;
            try
            {
                await ReadAsync().WaitAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                LogSampleFailed(logger, e);
            }
        }
    }

    /// <summary>The reading under way, or a new one: scrapes that come together share it.</summary>
    Task<BrokerSample> ReadAsync()
    {
        lock (_sync)
        {
            if (_reading is { IsCompleted: false } running && _readingGeneration == _generation)
                return running;
            _readingGeneration = _generation;
            var generation = _generation;
            // Off the lock: the reading's first steps run synchronously.
            return _reading = Task.Run(() => TakeAsync(generation));
        }
    }

    async Task<BrokerSample> TakeAsync(long generation)
    {
        var takenAt = clock.GetUtcNow();
        var agents = catalog.Agents.Keys.Order(StringComparer.CurrentCulture).ToList();
        // One inspection connection, one piece of work at a time: the depths, then the dead letters. Not cancelled with
        // the scrape that began it, which other scrapes may share, but bounded: the reconciler asks the same connection.
        using var bound = new CancellationTokenSource(ReadingTimeout, clock);
        var depths = await queues.DepthsAsync(agents, bound.Token);
        List<(string Queue, uint Count)>? dead;
        try
        {
            dead = await deadLetters.CountAsync(bound.Token);
        }
        catch (DeadLettersUnavailableException)
        {
            dead = null;
        }

        var sample = new BrokerSample(depths, dead, takenAt);
        lock (_sync)
        {
            if (generation == _generation)
                _latest = sample;
        }

        return sample;
    }

    [LoggerMessage(LogLevel.Warning, "Sampling the broker's queue depths and dead letters failed")]
    static partial void LogSampleFailed(ILogger logger, Exception exception);
}
