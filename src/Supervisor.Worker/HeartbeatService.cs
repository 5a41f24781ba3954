using MassTransit;
using Microsoft.Extensions.Options;
using Supervisor.Agents;
using Supervisor.Contracts;
using Supervisor.Hosting;
using Supervisor.Worker.Attempts;
using Supervisor.Worker.Settings;

namespace Supervisor.Worker;

/// <summary>
/// Tells the service every few seconds that this worker lives, what it serves (and on which provider accounts) and what it
/// runs; says goodbye on stop.
/// </summary>
sealed partial class HeartbeatService(IBus bus, RunningAttempts running, IOptions<WorkerOptions> options, AgentCatalog catalog, TimeProvider clock,
    ILogger<HeartbeatService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.HeartbeatInterval, clock);
        // Each beat leaves on time even while an earlier one still waits for the broker (a publish can hang until its bound
        // after a broker restart, see BrokerCalls): a lease lasts only a few beats, and one hung publish must not silence the
        // worker for its whole bound. Each beat carries the whole state, and the service keeps the newest.
        var inFlight = new List<Task>();
        do
        {
            inFlight.RemoveAll(beat => beat.IsCompleted);
            inFlight.Add(BeatAsync(stopping: false, stoppingToken));
        }
        while (await WaitAsync(timer, stoppingToken));

        try
        {
            await Task.WhenAll(inFlight);
        }
        catch (OperationCanceledException)
        {
            // stopping: the goodbye beat follows in StopAsync
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        await BeatAsync(stopping: true, cancellationToken);
    }

    static async Task<bool> WaitAsync(PeriodicTimer timer, CancellationToken stoppingToken)
    {
        try
        {
            return await timer.WaitForNextTickAsync(stoppingToken);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    async Task BeatAsync(bool stopping, CancellationToken cancellationToken)
    {
        var worker = options.Value;
        var capacity = worker.Agents.Sum(a => catalog.Get(a).Concurrency);
        try
        {
            // A publish that hangs (see BrokerCalls) must not stop the beats that follow it: the next one goes out anyway.
            var beat = new WorkerHeartbeat(worker.Id, Environment.MachineName, worker.Agents, running.Snapshot(), capacity, stopping,
                clock.GetUtcNow().UtcDateTime, AccountIdentity.Of(worker.Agents, catalog.Get));
            await BrokerCalls.OnceAsync(token => bus.Publish(beat, token), TimeSpan.FromSeconds(Math.Max(worker.HeartbeatInterval.TotalSeconds, 10)), cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // A missed heartbeat only makes the worker look lost for a while; the next one corrects it.
            LogMissed(e.Message);
        }
    }

    [LoggerMessage(LogLevel.Warning, "Heartbeat not sent: {Reason}")]
    partial void LogMissed(string reason);
}
