namespace Supervisor.Service.Storage;

/// <summary>
/// What the reconciler looks for: tasks whose lease expired, active tasks whose expected job never started, and delayed
/// tasks still waiting after their time.
/// </summary>
public interface ITaskReconciliation
{
    /// <summary>
    /// Tasks whose lease expired before <paramref name="now"/>; tasks with no lease that have waited for a job to start
    /// since before <paramref name="startExpectedBefore"/>; and active tasks with neither a lease nor a job expected,
    /// unchanged since then (a state nothing leads to on purpose); delayed tasks still Submitted whose time came before then;
    /// at most <paramref name="limit"/> of each, oldest first.
    /// </summary>
    Task<IReadOnlyList<StuckTask>> FindStuckAsync(DateTime now, DateTime startExpectedBefore, int limit, CancellationToken cancellationToken);
}

/// <summary>
/// A task as the reconciler saw it: its lease (with its worker and expiry) when one expired, else when its job was
/// expected to start, and the agent whose queue the job is on; for a delayed task that still waits, its time.
/// </summary>
public sealed record StuckTask(
    Guid Id, string State, string? Agent, Guid? Lease, string? LeaseWorker, DateTime? LeaseExpiresAt, DateTime? StartAllowedAt, DateTime? RunAt = null);
