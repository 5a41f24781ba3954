using MassTransit;
using Microsoft.Extensions.Options;
using Supervisor.Hosting;
using Supervisor.Settings;

namespace Supervisor.Service.Storage;

/// <summary><c>Supervisor:Storage</c>: how long a message waits for the store before it gives up.</summary>
public sealed class StorageOptions : IValidatedOptions
{
    public const string Section = "Supervisor:Storage";

    /// <summary>
    /// How long the saga, scheduler, heartbeat and log endpoints retry a message whose handling failed for the store's
    /// sake (PostgreSQL unreachable, restarting, failing over) before it goes to the endpoint's error queue, and how long
    /// a starting service waits for an unreachable PostgreSQL. At least 1 min.
    /// </summary>
    public TimeSpan RideOutFor { get; set; } = TimeSpan.FromMinutes(45);

    public IReadOnlyList<string> Validate() =>
        RideOutFor < TimeSpan.FromMinutes(1) ? [$"{Section}:RideOutFor: must be at least 00:01:00 (got {RideOutFor})."] : [];
}

/// <summary>
/// The retry that keeps a message through a storage outage. The broker has no delayed-message plugin here and Quartz's
/// store is the database that is away, so a delayed redelivery could not be scheduled: the message is retried in the
/// process that holds it, unacknowledged, and the endpoint's prefetch bounds how many are held (and the memory they take).
/// A process that dies meanwhile hands its messages back to the broker.
/// </summary>
public static class StorageRideOut
{
    /// <summary>The longest wait between two tries: a database that is back is noticed within it.</summary>
    public static readonly TimeSpan Cap = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Waits that double from <paramref name="first"/> up to <see cref="Cap"/>, then stay there, until they add up to at
    /// least <paramref name="rideOutFor"/>. A lock conflict resolves on the first, quick retries.
    /// </summary>
    public static TimeSpan[] Schedule(TimeSpan first, TimeSpan rideOutFor)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(first, TimeSpan.Zero);
        var waits = new List<TimeSpan>();
        var total = TimeSpan.Zero;
        for (var next = first; total < rideOutFor; next = TimeSpan.FromTicks(Math.Min(next.Ticks * 2, Cap.Ticks)))
        {
            waits.Add(next);
            total += next;
        }

        return [.. waits];
    }

    /// <summary>
    /// The policy of a consumer that writes the service's own tables: storage faults (<see cref="IStorageFaults"/>)
    /// ridden out from 200 ms on, anything else retried ten times, exponentially up to 10 s.
    /// </summary>
    public static void UseStorageRideOut(this IConsumePipeConfigurator endpoint, IRegistrationContext context) =>
        endpoint.UseStorageRideOut(context, context.GetRequiredService<IStorageFaults>().IsRetryable, TimeSpan.FromMilliseconds(200),
            r => r.Exponential(10, TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(500)));

    /// <summary>
    /// Retries storage faults for <see cref="StorageOptions.RideOutFor"/> (outermost, so that a storage fault starts the
    /// handling over), and any other exception that <paramref name="otherRetry"/> names with its short, bounded retry.
    /// </summary>
    public static void UseStorageRideOut(this IConsumePipeConfigurator endpoint, IRegistrationContext context, Func<Exception, bool> isStorageFault,
        TimeSpan first, Action<IRetryConfigurator>? otherRetry = null)
    {
        var rideOutFor = context.GetRequiredService<IOptions<StorageOptions>>().Value.RideOutFor;
        endpoint.UseMessageRetry(r =>
        {
            r.Handle<Exception>(isStorageFault);
            r.Intervals(Schedule(first, rideOutFor));
            r.ReportRetriesToWatchdog(context);
        });
        if (otherRetry is not null)
        {
            endpoint.UseMessageRetry(r =>
            {
                r.Ignore<Exception>(isStorageFault);
                otherRetry(r);
                r.ReportRetriesToWatchdog(context);
            });
        }
    }
}
