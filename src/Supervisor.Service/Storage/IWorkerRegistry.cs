using Supervisor.Contracts;

namespace Supervisor.Service.Storage;

/// <summary>The latest heartbeat of each worker.</summary>
public interface IWorkerRegistry
{
    /// <summary>
    /// Keeps the heartbeat unless a newer one of the same worker is stored already, and renews until
    /// <paramref name="leasesUntil"/> (the service's clock) the leases of the attempts it lists.
    /// </summary>
    Task RecordAsync(WorkerHeartbeat heartbeat, DateTime leasesUntil, CancellationToken cancellationToken);

    /// <summary>The workers heard from after a time, ordered by id.</summary>
    Task<IReadOnlyList<WorkerRecord>> ListAsync(DateTime heardSince, CancellationToken cancellationToken);

    /// <summary>For each given attempt that a worker's latest heartbeat reports running: that worker and its heartbeat.</summary>
    Task<IReadOnlyList<RunningAttemptRecord>> RunningAsync(IReadOnlyCollection<Guid> attemptIds, CancellationToken cancellationToken);
}

/// <summary>A worker as its latest heartbeat describes it; <see cref="Accounts"/>: the provider account of each agent that has one.</summary>
public sealed record WorkerRecord(
    string Id, string Host, IReadOnlyList<string> Agents, IReadOnlyList<RunningAttempt> Running, int Capacity, bool Stopping, DateTime LastHeartbeat,
    IReadOnlyDictionary<string, string> Accounts);

/// <summary>An attempt a worker's latest heartbeat reports running.</summary>
public sealed record RunningAttemptRecord(Guid AttemptId, string Worker, DateTime LastHeartbeat, DateTime? LastOutputAt);
