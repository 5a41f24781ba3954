namespace Supervisor.Service.Storage;

/// <summary>
/// The concurrency keys as the saga sees them when a task starts: inside the task's transaction, the key's row is locked,
/// so that the starts of one key are decided one at a time across service instances. A payload of each message the saga
/// handles, on the saga's own connection.
/// </summary>
public interface IKeyBook
{
    /// <summary>
    /// Locks <paramref name="key"/> and reads, at that moment, the tasks of the key under way (started and not ended),
    /// oldest first, and how many tasks of the key queued before <paramref name="task"/> (created before
    /// <paramref name="createdAt"/>) are still waiting; <paramref name="task"/> itself counts in neither.
    /// </summary>
    Task<KeyOccupancy> LockAsync(string key, Guid task, DateTime createdAt, DateTime now, CancellationToken cancellationToken);
}

/// <summary>The tasks of a key under way, oldest first, and the tasks queued on it ahead of the asking one.</summary>
public sealed record KeyOccupancy(IReadOnlyList<Guid> UnderWay, int QueuedAhead);

/// <summary>The tasks queued on their concurrency key, as the release step sees them.</summary>
public interface IKeyWaiters
{
    /// <summary>
    /// The queued tasks whose key has room for them now (under way plus queued ahead below their limit) and whose start
    /// time (<c>runAt</c>) is not after <paramref name="now"/>, oldest first.
    /// </summary>
    Task<IReadOnlyList<Guid>> StartableAsync(DateTime now, CancellationToken cancellationToken);
}
