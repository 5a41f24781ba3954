using MassTransit;
using Microsoft.Extensions.Options;
using Supervisor.Agents;
using Supervisor.Service.Fleet;
using Supervisor.Service.Storage;

namespace Supervisor.Service.Tasks;

/// <summary><c>Supervisor:Reconciler</c>: how often the reconciler looks for stuck tasks, and when a job counts as never started.</summary>
public sealed class ReconcilerOptions : Supervisor.Settings.IValidatedOptions
{
    public const string Section = "Supervisor:Reconciler";

    /// <summary>How often it looks.</summary>
    public TimeSpan Interval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// A job expected to start (dispatched, or its retry due) that no worker has taken for this long, while its agent's
    /// queue is empty, was lost: it is sent again. A job still waiting in its queue is never sent again. A delayed task still
    /// waiting this long after its time lost its scheduled start: it is started.
    /// </summary>
    public TimeSpan ScheduleToStart { get; set; } = TimeSpan.FromMinutes(2);

    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (Interval < TimeSpan.FromMilliseconds(100) || Interval > TimeSpan.FromMinutes(10))
            errors.Add($"{Section}:Interval: must be between 100ms and 10m (it is {Interval}).");
        if (ScheduleToStart < TimeSpan.FromSeconds(1))
            errors.Add($"{Section}:ScheduleToStart: must be at least 1s (it is {ScheduleToStart}).");
        return errors;
    }
}

/// <summary>
/// Finds tasks that would otherwise stay stuck and tells the saga, which re-checks on the locked task and acts: an
/// attempt whose lease expired (its worker silent for <see cref="FleetOptions.LostAfter"/>) is recorded as lost and its
/// job sent again (or, after <see cref="FleetOptions.MaxLostAttempts"/>, given up on as poison); a job that was expected
/// to start and never did (lost with a dead-lettered message or a scheduler that missed it) is sent again. Every action
/// is on the task's audit trail with its reason; so is a delayed task started late because its scheduled start was lost.
/// Several service instances may run it: the saga acts once.
/// </summary>
/// <remarks>
/// Leases are renewed by heartbeats that this service records. While the service cannot hear them (its broker or its
/// database away, or it has only just started), leases would seem to expire for no fault of their workers: expired
/// leases are acted on only once the service has been healthy for <see cref="FleetOptions.LostAfter"/> in a row, and
/// <see cref="FleetOptions.ReconnectGrace"/> longer after its broker connection came back.
/// </remarks>
public sealed partial class Reconciler(
    ITaskReconciliation store,
    IBusControl bus,
    QueueDepthProbe queues,
    IOptions<ReconcilerOptions> options,
    IOptions<FleetOptions> fleet,
    TimeProvider clock,
    ILogger<Reconciler> logger) : BackgroundService
{
    const int Batch = 200;

    DateTime? _healthySince;

    /// <summary>Whether the bus has been healthy since this service started, and whether it was down after that.</summary>
    bool _busSeenHealthy, _busWasDown;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        using var timer = new PeriodicTimer(settings.Interval, clock);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await ReconcileAsync(settings, stoppingToken);
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                _healthySince = null;
                LogFailed(e.Message);
            }
        }
    }

    async Task ReconcileAsync(ReconcilerOptions settings, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        if (bus.CheckHealth().Status != BusHealthStatus.Healthy)
        {
            _healthySince = null;
            _busWasDown |= _busSeenHealthy;
            return;
        }

        _busSeenHealthy = true;
        _healthySince ??= now;
        // After a broker outage the workers reconnect later than this service: their first heartbeats come late.
        var judgeAfter = fleet.Value.LostAfter + (_busWasDown ? fleet.Value.ReconnectGrace : TimeSpan.Zero);
        if (_busWasDown && now - _healthySince >= judgeAfter)
            _busWasDown = false;
        var stuck = await store.FindStuckAsync(now, now - settings.ScheduleToStart, Batch, cancellationToken);
        var depths = new Dictionary<string, long?>(StringComparer.Ordinal);
        foreach (var task in stuck)
        {
            if (task.Lease is { } lease)
            {
                if (now - _healthySince < judgeAfter)
                    continue;
                await SendAsync(new ReconcileTask(task.Id, lease, null,
                    $"{task.LeaseWorker ?? "its worker"} sent no heartbeat listing the attempt for {fleet.Value.LostAfter:g} (lease expired at {task.LeaseExpiresAt:O})"),
                    cancellationToken);
                continue;
            }

            if (task.RunAt is { } runAt)
            {
                await SendAsync(new ReconcileTask(task.Id, null, null,
                    $"a delayed task still waiting {settings.ScheduleToStart:g} after its time ({runAt:O}): started"), cancellationToken);
                continue;
            }

            if (task.Agent is not { } agent)
                continue;
            if (!depths.TryGetValue(agent, out var depth))
                depths[agent] = depth = await queues.DepthAsync(agent, cancellationToken);
            if (depth is not 0)
                continue; // the job may still be waiting in its queue (or the queue cannot be read): never a second copy then
            await SendAsync(new ReconcileTask(task.Id, null, task.StartAllowedAt, task.StartAllowedAt is { } expected
                    ? $"no worker started its job within {settings.ScheduleToStart:g} of {expected:O} and agent-{agent} is empty: job sent again"
                    : $"{task.State} for {settings.ScheduleToStart:g} with no attempt running and no job expected: job sent again"),
                cancellationToken);
        }
    }

    async Task SendAsync(ReconcileTask message, CancellationToken cancellationToken)
    {
        LogReconciling(message.TaskId, message.Reason);
        await (await bus.GetSendEndpoint(AgentQueues.TaskStateAddress)).Send(message, cancellationToken);
    }

    [LoggerMessage(LogLevel.Warning, "Reconciler: task {TaskId}: {Reason}")]
    partial void LogReconciling(Guid taskId, string reason);

    [LoggerMessage(LogLevel.Warning, "Reconciler: could not look for stuck tasks ({Reason}); trying again")]
    partial void LogFailed(string reason);
}
