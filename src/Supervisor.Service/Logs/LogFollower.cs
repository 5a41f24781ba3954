using System.Text.Json;
using Npgsql;
using Supervisor.Contracts;
using Supervisor.Service.Api;

namespace Supervisor.Service.Logs;

/// <summary>
/// Streams a task's output as server-sent events as it is stored, in order per attempt (a chunk is sent only after
/// its predecessor), and ends when the task has ended and every chunk its attempts reported has been sent.
/// Wakes on the <c>task_logs</c> notification the log sink raises, with a slow timer as a safety net.
/// </summary>
public sealed class LogFollower(NpgsqlDataSource dataSource, TaskQueries queries, ILogger<LogFollower> logger)
{
    public const string Channel = "task_logs";
    static readonly TimeSpan EndGrace = TimeSpan.FromSeconds(5);

    public async Task StreamAsync(Guid taskId, HttpResponse response, CancellationToken cancellationToken)
    {
        response.Headers.ContentType = "text/event-stream";
        response.Headers.CacheControl = "no-cache";
        response.Headers["X-Accel-Buffering"] = "no";
        await response.Body.FlushAsync(cancellationToken);

        await using var listener = await dataSource.OpenConnectionAsync(cancellationToken);
        await using (var listen = new NpgsqlCommand($"LISTEN {Channel}", listener))
            await listen.ExecuteNonQueryAsync(cancellationToken);
        try
        {
            var sent = new Dictionary<Guid, long>();
            DateTime? endedSeen = null;
            while (!cancellationToken.IsCancellationRequested)
            {
                // Read the task's state before the chunks: when it has ended, every chunk stored by now is final.
                var task = await queries.GetAsync(taskId, cancellationToken);
                foreach (var (attemptId, chunk) in await NewChunksAsync(taskId, sent, cancellationToken))
                {
                    await response.WriteAsync($"event: chunk\ndata: {JsonSerializer.Serialize(chunk, JsonSerializerOptions.Web)}\n\n", cancellationToken);
                    sent[attemptId] = chunk.Sequence;
                }

                await response.Body.FlushAsync(cancellationToken);
                if (task is null || TaskStates.Terminal.Contains(task.State))
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
                    await listener.WaitAsync(TimeSpan.FromSeconds(1), cancellationToken);
                }
                catch (OperationCanceledException)
                {
                    logger.LogDebug("Log follower of {TaskId} left", taskId);
                    return;
                }
            }
        }
        finally
        {
            // The connection goes back to the pool without a reset (ServiceExtensions.CreateDataSource).
            await StopListeningAsync(listener);
        }
    }

    static async Task StopListeningAsync(NpgsqlConnection listener)
    {
        try
        {
            await using var unlisten = new NpgsqlCommand("UNLISTEN *", listener);
            await unlisten.ExecuteNonQueryAsync(CancellationToken.None);
        }
        catch (Exception e) when (e is NpgsqlException or InvalidOperationException)
        {
            // A broken connection is not reused.
        }
    }

    /// <summary>Chunks after the last one sent of each attempt, stopping at a gap (a chunk not stored yet).</summary>
    async Task<List<(Guid AttemptId, LogChunkView Chunk)>> NewChunksAsync(Guid taskId, IReadOnlyDictionary<Guid, long> sent, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("""
            SELECT t.attempt_id, t.attempt, t.seq, t.stream, t.text, t.at
            FROM task_logs t LEFT JOIN unnest($2::uuid[], $3::bigint[]) AS c(attempt_id, last) ON c.attempt_id = t.attempt_id
            WHERE t.task_id = $1 AND t.seq > coalesce(c.last, 0)
            ORDER BY t.attempt, t.attempt_id, t.seq
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = taskId });
        command.Parameters.Add(new NpgsqlParameter { Value = sent.Keys.ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = sent.Values.ToArray() });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var chunks = new List<(Guid, LogChunkView)>();
        var next = new Dictionary<Guid, long>(sent);
        while (await reader.ReadAsync(cancellationToken))
        {
            var attemptId = reader.GetGuid(0);
            var seq = reader.GetInt64(2);
            if (seq != next.GetValueOrDefault(attemptId) + 1)
                continue;
            next[attemptId] = seq;
            chunks.Add((attemptId, new LogChunkView(reader.GetInt32(1), seq, reader.GetString(3), reader.GetString(4),
                DateTime.SpecifyKind(reader.GetDateTime(5), DateTimeKind.Utc))));
        }

        return chunks;
    }
}
