using Microsoft.Extensions.Options;
using Supervisor.Service.Storage;

namespace Supervisor.Service.Fleet;

public sealed record WorkerView(string Id, string Host, IReadOnlyList<string> Agents, bool Busy, int Running, int Capacity,
    IReadOnlyList<Guid> CurrentTasks, DateTime LastHeartbeat, bool Stopping, bool Lost)
{
    /// <summary>The provider account of each agent the worker serves that has one (agent → account).</summary>
    public IReadOnlyDictionary<string, string> Accounts { get; init; } = new Dictionary<string, string>(StringComparer.Ordinal);
}

/// <summary>The fleet as the workers' latest heartbeats describe it.</summary>
public sealed class FleetQueries(IWorkerRegistry registry, IOptions<FleetOptions> options, TimeProvider clock)
{
    public async Task<IReadOnlyList<WorkerView>> WorkersAsync(CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var fleet = options.Value;
        var workers = new List<WorkerView>();
        foreach (var worker in await registry.ListAsync(now - fleet.ForgetAfter, cancellationToken))
        {
            var last = worker.LastHeartbeat;
            // A worker that said goodbye is gone, not lost; one that went silent is lost.
            if (worker.Stopping && now - last > fleet.LostAfter)
                continue;
            workers.Add(new WorkerView(worker.Id, worker.Host, worker.Agents, worker.Running.Count > 0, worker.Running.Count, worker.Capacity,
                worker.Running.Select(r => r.TaskId).Distinct().ToList(), last, worker.Stopping, now - last > fleet.LostAfter)
            {
                Accounts = worker.Accounts,
            });
        }

        return workers;
    }

    /// <summary>For each given attempt that a worker's latest heartbeat reports running: that worker and heartbeat.</summary>
    public async Task<IReadOnlyDictionary<Guid, AttemptHeartbeat>> HeartbeatsAsync(IReadOnlyCollection<Guid> attempts, CancellationToken cancellationToken)
    {
        var found = new Dictionary<Guid, AttemptHeartbeat>();
        if (attempts.Count == 0)
            return found;
        var running = await registry.RunningAsync(attempts, cancellationToken);
        var now = clock.GetUtcNow().UtcDateTime;
        foreach (var r in running)
            found[r.AttemptId] = new AttemptHeartbeat(r.Worker, r.LastHeartbeat, r.LastOutputAt, now - r.LastHeartbeat > options.Value.LostAfter);
        return found;
    }
}

public sealed record AttemptHeartbeat(string Worker, DateTime At, DateTime? LastOutputAt, bool Lost);
