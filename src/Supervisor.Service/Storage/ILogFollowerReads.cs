namespace Supervisor.Service.Storage;

/// <summary>
/// What log followers read, through a pool of their own (<c>Supervisor:Api:LogFollowerConnections</c>): however many
/// follow, the saga's connections are not theirs to take.
/// </summary>
public interface ILogFollowerReads
{
    /// <summary>Where a task's output stands, or null when there is no such task.</summary>
    Task<TaskOutputProgress?> ProgressAsync(Guid taskId, CancellationToken cancellationToken);

    /// <summary>As <see cref="ILogStore.ReadAfterAsync"/>.</summary>
    Task<IReadOnlyList<StoredLogChunk>> ReadAfterAsync(Guid taskId, IReadOnlyDictionary<Guid, long> lastByAttempt, CancellationToken cancellationToken);
}

/// <summary>
/// A task's state, and the chunks its attempts reported: <see cref="AllReported"/> when every attempt has finished and said
/// how many chunks it published, <see cref="ReportedChunks"/> their sum.
/// </summary>
public sealed record TaskOutputProgress(string State, bool AllReported, long ReportedChunks);
