using System.Text.Json;
using Supervisor.Contracts;
using Supervisor.Service.Storage;

namespace Supervisor.Service.Logs;

/// <summary>
/// Streams a task's output as server-sent events as it is stored, in order per attempt (a chunk is sent only after
/// its predecessor), and ends when the task has ended and every chunk its attempts reported has been sent.
/// Wakes when the log store appends chunks, with a slow timer as a safety net.
/// </summary>
public sealed class LogFollower(ILogStore logs, ITaskReads tasks, ILogger<LogFollower> logger)
{
    static readonly TimeSpan EndGrace = TimeSpan.FromSeconds(5);

    public async Task StreamAsync(Guid taskId, HttpResponse response, CancellationToken cancellationToken)
    {
        response.Headers.ContentType = "text/event-stream";
        response.Headers.CacheControl = "no-cache";
        response.Headers["X-Accel-Buffering"] = "no";
        await response.Body.FlushAsync(cancellationToken);

        await using var appends = await logs.ListenAsync(cancellationToken);
        var sent = new Dictionary<Guid, long>();
        DateTime? endedSeen = null;
        while (!cancellationToken.IsCancellationRequested)
        {
            // Read the task's state before the chunks: when it has ended, every chunk stored by now is final.
            var task = await tasks.GetAsync(taskId, cancellationToken);
            foreach (var (attemptId, chunk) in await NewChunksAsync(taskId, sent, cancellationToken))
            {
                await response.WriteAsync($"event: chunk\ndata: {JsonSerializer.Serialize(chunk, JsonSerializerOptions.Web)}\n\n", cancellationToken);
                sent[attemptId] = chunk.Sequence;
            }

            await response.Body.FlushAsync(cancellationToken);
            if (task is null || TaskStates.Terminal.Contains(task.State, StringComparer.Ordinal))
            {
                endedSeen ??= DateTime.UtcNow;
                var complete = task is null || task.Attempts.All(a => a.FinishedAt is not null && a.OutputChunks is not null)
                    && task.Attempts.Sum(a => a.OutputChunks ?? 0) <= sent.Values.Sum();
                if (complete || DateTime.UtcNow - endedSeen > EndGrace)
                {
                    await response.WriteAsync($"event: end\ndata: {JsonSerializer.Serialize(new { state = task?.State }, JsonSerializerOptions.Web)}\n\n",
                        cancellationToken);
                    await response.Body.FlushAsync(cancellationToken);
                    return;
                }
            }

            try
            {
                await appends.WaitAsync(TimeSpan.FromSeconds(1), cancellationToken);
            }
            catch (OperationCanceledException)
            {
                if (logger.IsEnabled(LogLevel.Debug))
                    logger.LogDebug("Log follower of {TaskId} left", taskId);
                return;
            }
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
