using MassTransit;
using Microsoft.Extensions.Options;
using Supervisor.Service.Storage;
using Supervisor.Service.Tasks;

namespace Supervisor.Service.Schedules;

/// <summary>
/// The net under the schedules' wake-ups, on the reconciler's interval while the bus is healthy: a schedule whose next
/// fire is overdue (its wake-up lost) is evaluated (which catches it up and arms it again); a schedule with a buffered
/// fire is evaluated, which starts it once nothing of its schedule is open; a submitted fire whose task never appeared
/// has its submit published again (same task id); and, once a minute, fires older than
/// <see cref="ScheduleOptions.FireRetention"/> are forgotten. Several service instances may run it: every decision is
/// taken under the schedule's row lock.
/// </summary>
public sealed partial class ScheduleSweep(
    IScheduleStore store, ScheduleFiring firing, IBusControl bus, IOptions<ReconcilerOptions> options, IOptions<ScheduleOptions> schedules,
    TimeProvider clock, ILogger<ScheduleSweep> logger) : BackgroundService
{
    const int Batch = 100;

    /// <summary>How late a wake-up may be before the sweep takes over.</summary>
    static readonly TimeSpan Overdue = TimeSpan.FromSeconds(10);

    /// <summary>How long a submitted fire's task may take to appear before its submit is published again.</summary>
    static readonly TimeSpan Unseen = TimeSpan.FromSeconds(30);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.Interval, clock);
        var prunedAt = DateTime.MinValue;
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            if (bus.CheckHealth().Status != BusHealthStatus.Healthy)
                continue;
            try
            {
                var now = clock.GetUtcNow().UtcDateTime;
                var found = await store.FindForSweepAsync(now - Overdue, now - Unseen, Batch, stoppingToken);
                foreach (var schedule in found.Schedules)
                    await firing.EvaluateAsync(schedule, null, stoppingToken);
                foreach (var (schedule, fire) in found.Unseen)
                    await firing.ResubmitAsync(schedule, fire, stoppingToken);
                if (now - prunedAt >= TimeSpan.FromMinutes(1))
                {
                    await store.PruneFiresAsync(now - schedules.Value.FireRetention, stoppingToken);
                    prunedAt = now;
                }
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                LogFailed(e.Message);
            }
        }
    }

    [LoggerMessage(LogLevel.Warning, "Schedules: the sweep failed ({Reason}); trying again")]
    partial void LogFailed(string reason);
}
