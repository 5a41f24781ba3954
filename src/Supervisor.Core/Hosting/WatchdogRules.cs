namespace Supervisor.Hosting;

/// <summary>What <see cref="ReceiveWatchdog"/> concludes on one look at the process.</summary>
public enum WatchdogVerdict
{
    /// <summary>Nothing wedged, or not for long enough yet.</summary>
    Healthy,

    /// <summary>A message has shown no sign of life (neither its receipt nor a retry) for <see cref="WatchdogOptions.StuckAfter"/>.</summary>
    MessageWedged,

    /// <summary>Endpoints have not been consuming for <see cref="WatchdogOptions.StuckAfter"/> while the broker accepted connections.</summary>
    NotConsuming,
}

/// <summary>
/// The watchdog's rules, apart from the clock and the bus so that they can be specified on their own. A message waiting out
/// a storage outage retries at least every half minute (each retry is a sign of life), so only a handler that hangs — a
/// publish that never completes — is wedged. Endpoints that do not consume because the broker is away are waiting, not
/// wedged: a fresh process would wait the same, and a worker's running agents would be lost for nothing. Endpoints that
/// do not consume, or a message that stays quiet, while the broker accepts new connections will not recover on their own.
/// </summary>
public sealed class WatchdogRules(TimeSpan stuckAfter)
{
    DateTimeOffset? _notConsumingSince;

    public TimeSpan StuckAfter => stuckAfter;

    /// <param name="now">The time of this look.</param>
    /// <param name="lastSignOfLife">Of the watched message that has been quiet the longest, if any is in flight.</param>
    /// <param name="consuming">Every receive endpoint is connected and consuming.</param>
    /// <param name="brokerReachable">A fresh connection to the broker succeeded (consulted only when <see cref="NeedsBroker"/>).</param>
    public WatchdogVerdict Judge(DateTimeOffset now, DateTimeOffset? lastSignOfLife, bool consuming, bool brokerReachable)
    {
        if (!consuming && !brokerReachable)
        {
            _notConsumingSince = null;
            return WatchdogVerdict.Healthy;
        }

        _notConsumingSince = consuming ? null : _notConsumingSince ?? now;
        if (lastSignOfLife is { } quietSince && now - quietSince >= stuckAfter && brokerReachable)
            return WatchdogVerdict.MessageWedged;
        return _notConsumingSince is { } since && now - since >= stuckAfter ? WatchdogVerdict.NotConsuming : WatchdogVerdict.Healthy;
    }

    /// <summary>Whether <see cref="Judge"/> needs to know if the broker is reachable: only when something looks wrong.</summary>
    public bool NeedsBroker(DateTimeOffset now, DateTimeOffset? lastSignOfLife, bool consuming) =>
        !consuming || (lastSignOfLife is { } quietSince && now - quietSince >= stuckAfter);

    /// <summary>How long the endpoints have been down while the broker was up, as of the last look.</summary>
    public TimeSpan NotConsumingFor(DateTimeOffset now) => _notConsumingSince is { } since ? now - since : TimeSpan.Zero;
}
