using Supervisor.Contracts;

namespace Supervisor.Service.Storage;

/// <summary>The agents' output, stored per attempt in sequence order; appending wakes whoever follows the task.</summary>
public interface ILogStore
{
    /// <summary>Stores chunks (a chunk stored already is skipped) and wakes the followers of their tasks.</summary>
    Task AppendAsync(IReadOnlyList<AgentLogChunk> chunks, CancellationToken cancellationToken);

    /// <summary>All stored chunks of a task, in attempt then sequence order.</summary>
    Task<IReadOnlyList<StoredLogChunk>> ReadAsync(Guid taskId, CancellationToken cancellationToken);

    /// <summary>The chunks of a task after the last one given for each attempt (all of an attempt not given), in attempt then sequence order.</summary>
    Task<IReadOnlyList<StoredLogChunk>> ReadAfterAsync(Guid taskId, IReadOnlyDictionary<Guid, long> lastByAttempt, CancellationToken cancellationToken);

    /// <summary>Starts listening for appends; dispose the result to stop.</summary>
    Task<ILogAppends> ListenAsync(CancellationToken cancellationToken);
}

/// <summary>Appends to the log store, as they happen, while it is not disposed.</summary>
public interface ILogAppends : IAsyncDisposable
{
    /// <summary>Returns when chunks of some task were appended, or after the timeout.</summary>
    Task WaitAsync(TimeSpan timeout, CancellationToken cancellationToken);
}

/// <summary>A stored output chunk.</summary>
public sealed record StoredLogChunk(Guid AttemptId, int Attempt, long Sequence, string Stream, string Text, DateTime At);
