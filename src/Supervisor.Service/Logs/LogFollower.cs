using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using Supervisor.Contracts;
using Supervisor.Service.Storage;

namespace Supervisor.Service.Logs;

/// <summary>
/// A task's output as server-sent events (written by ASP.NET Core's <c>TypedResults.ServerSentEvents</c>) as it is stored:
/// a <c>chunk</c> event per chunk, in order per attempt (a chunk is sent only after its predecessor), and an <c>end</c>
/// event once the task has ended and every chunk its attempts reported has been sent. Wakes when the log store appends
/// chunks, with a slow timer as a safety net.
/// </summary>
public sealed class LogFollower(ILogStore logs, ITaskReads tasks, ILogger<LogFollower> logger)
{
    int _following;

    /// <summary>Streams being served now.</summary>
    public int Following => Volatile.Read(ref _following);

    public const string ChunkEvent = "chunk";

    public const string EndEvent = "end";

    static readonly TimeSpan EndGrace = TimeSpan.FromSeconds(5);

    /// <summary>
    /// The events of <paramref name="taskId"/>'s stream. Enumerated by the result once it has set the content type, so the
    /// first step sends the headers at once: a client waiting for them (the CLI gives up after 30 s) does not have to wait
    /// for the task's first output.
    /// </summary>
    public async IAsyncEnumerable<SseItem<object>> StreamAsync(Guid taskId, HttpResponse response, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        // The result has set the content type and turned caching off; this tells a proxy in front (nginx) not to buffer.
        response.Headers["X-Accel-Buffering"] = "no";
        await response.Body.FlushAsync(cancellationToken);

        Interlocked.Increment(ref _following);
        try
        {
            await foreach (var item in FollowAsync(taskId, cancellationToken))
                yield return item;
        }
        finally
        {
            Interlocked.Decrement(ref _following);
        }
    }

    async IAsyncEnumerable<SseItem<object>> FollowAsync(Guid taskId, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var appends = await logs.ListenAsync(cancellationToken);
        var sent = new Dictionary<Guid, long>();
        DateTime? endedSeen = null;
        while (!cancellationToken.IsCancellationRequested)
        {
            // Read the task's state before the chunks: when it has ended, every chunk stored by now is final.
            var task = await tasks.GetAsync(taskId, cancellationToken);
            foreach (var (attemptId, chunk) in await NewChunksAsync(taskId, sent, cancellationToken))
            {
                yield return new SseItem<object>(chunk, ChunkEvent);
                sent[attemptId] = chunk.Sequence;
            }

            if (task is null || TaskStates.Terminal.Contains(task.State, StringComparer.Ordinal))
            {
                endedSeen ??= DateTime.UtcNow;
                var complete = task is null || task.Attempts.All(a => a.FinishedAt is not null && a.OutputChunks is not null)
                    && task.Attempts.Sum(a => a.OutputChunks ?? 0) <= sent.Values.Sum();
                if (complete || DateTime.UtcNow - endedSeen > EndGrace)
                {
                    yield return new SseItem<object>(new LogStreamEnd(task?.State), EndEvent);
                    yield break;
                }
            }

            if (!await WaitAsync(appends, taskId, cancellationToken))
                yield break;
        }
    }

    /// <summary>Until chunks are appended (or a second passes); false when the client has gone.</summary>
    async Task<bool> WaitAsync(ILogAppends appends, Guid taskId, CancellationToken cancellationToken)
    {
        try
        {
            await appends.WaitAsync(TimeSpan.FromSeconds(1), cancellationToken);
            return true;
        }
        catch (OperationCanceledException)
        {
            if (logger.IsEnabled(LogLevel.Debug))
                logger.LogDebug("Log follower of {TaskId} left", taskId);
            return false;
        }
    }

    /// <summary>Chunks after the last one sent of each attempt, stopping at a gap (a chunk not stored yet).</summary>
    async Task<List<(Guid AttemptId, LogChunkView Chunk)>> NewChunksAsync(Guid taskId, IReadOnlyDictionary<Guid, long> sent, CancellationToken cancellationToken)
    {
        var chunks = new List<(Guid, LogChunkView)>();
        var next = new Dictionary<Guid, long>(sent);
        foreach (var chunk in await logs.ReadAfterAsync(taskId, sent, cancellationToken))
        {
            if (chunk.Sequence != next.GetValueOrDefault(chunk.AttemptId) + 1)
                continue;
            next[chunk.AttemptId] = chunk.Sequence;
            chunks.Add((chunk.AttemptId, new LogChunkView(chunk.Attempt, chunk.Sequence, chunk.Stream, chunk.Text, chunk.At)));
        }

        return chunks;
    }
}
