using Dapper;
using Npgsql;
using NpgsqlTypes;
using Supervisor.Contracts;

namespace Supervisor.Service.Storage.Postgres;

/// <summary>
/// Output chunks in <c>task_logs</c>. An append raises a <c>task_logs</c> notification per task; followers are woken by
/// the instance's one listener (<see cref="PostgresLogAppends"/>), with a slow timer as a safety net (see the log follower, which reads through a pool of its own).
/// </summary>
sealed class PostgresLogStore(NpgsqlDataSource dataSource, PostgresLogAppends appends) : ILogStore
{
    const string Channel = PostgresLogAppends.Channel;

    /// <summary>One batch, one round trip: a redelivered chunk is a no-op (its key already exists).</summary>
    public async Task AppendAsync(IReadOnlyList<AgentLogChunk> chunks, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var batch = new NpgsqlBatch(connection);
        foreach (var chunk in chunks)
        {
            var command = new NpgsqlBatchCommand(
                "INSERT INTO task_logs (task_id, attempt_id, attempt, seq, stream, text, at) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING");
            command.Parameters.Add(new NpgsqlParameter { Value = chunk.TaskId, NpgsqlDbType = NpgsqlDbType.Uuid });
            command.Parameters.Add(new NpgsqlParameter { Value = chunk.AttemptId, NpgsqlDbType = NpgsqlDbType.Uuid });
            command.Parameters.Add(new NpgsqlParameter { Value = chunk.Attempt, NpgsqlDbType = NpgsqlDbType.Integer });
            command.Parameters.Add(new NpgsqlParameter { Value = chunk.Sequence, NpgsqlDbType = NpgsqlDbType.Bigint });
            command.Parameters.Add(new NpgsqlParameter { Value = chunk.Stream, NpgsqlDbType = NpgsqlDbType.Text });
            // PostgreSQL text cannot hold NUL; an agent printing binary must not poison the batch.
            command.Parameters.Add(new NpgsqlParameter { Value = chunk.Text.Replace("\0", "", StringComparison.Ordinal), NpgsqlDbType = NpgsqlDbType.Text });
            command.Parameters.Add(new NpgsqlParameter { Value = chunk.At, NpgsqlDbType = NpgsqlDbType.TimestampTz });
            batch.BatchCommands.Add(command);
        }

        // Wakes whoever follows these tasks' logs (GET /api/tasks/{id}/logs?follow=true).
        foreach (var taskId in chunks.Select(c => c.TaskId).Distinct())
        {
            var notify = new NpgsqlBatchCommand($"SELECT pg_notify('{Channel}', $1)");
            notify.Parameters.Add(new NpgsqlParameter { Value = taskId.ToString(), NpgsqlDbType = NpgsqlDbType.Text });
            batch.BatchCommands.Add(notify);
        }

        await batch.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<IReadOnlyList<StoredLogChunk>> ReadAsync(Guid taskId, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<ChunkRow>(new CommandDefinition("""
            SELECT attempt_id AS AttemptId, attempt AS Attempt, seq AS Sequence, stream AS Stream, text AS Text, at AS At
            FROM task_logs WHERE task_id = @taskId ORDER BY attempt, attempt_id, seq
            """, new { taskId }, cancellationToken: cancellationToken));
        return rows.Select(r => r.ToChunk()).ToList();
    }

    public async Task<IReadOnlyList<StoredLogChunk>> ReadAfterAsync(Guid taskId, IReadOnlyDictionary<Guid, long> lastByAttempt,
        CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<ChunkRow>(new CommandDefinition("""
            SELECT t.attempt_id AS AttemptId, t.attempt AS Attempt, t.seq AS Sequence, t.stream AS Stream, t.text AS Text, t.at AS At
            FROM task_logs t LEFT JOIN unnest(@attempts::uuid[], @lasts::bigint[]) AS c(attempt_id, last) ON c.attempt_id = t.attempt_id
            WHERE t.task_id = @taskId AND t.seq > coalesce(c.last, 0)
            ORDER BY t.attempt, t.attempt_id, t.seq
            """, new { taskId, attempts = lastByAttempt.Keys.ToArray(), lasts = lastByAttempt.Values.ToArray() },
            cancellationToken: cancellationToken));
        return rows.Select(r => r.ToChunk()).ToList();
    }

    public Task<ILogAppends> ListenAsync(CancellationToken cancellationToken) => Task.FromResult(appends.Subscribe());

    sealed class ChunkRow
    {
        public Guid AttemptId { get; set; }

        public int Attempt { get; set; }

        public long Sequence { get; set; }

        public string Stream { get; set; } = "";

        public string Text { get; set; } = "";

        public DateTime At { get; set; }

        public StoredLogChunk ToChunk() => new(AttemptId, Attempt, Sequence, Stream, Text, DateTime.SpecifyKind(At, DateTimeKind.Utc));
    }
}
