using Dapper;
using Npgsql;

namespace Supervisor.Service.Storage.Postgres;

/// <summary>The log followers' reads, on their own small data source (see <see cref="PostgresStorageExtensions.AddPostgresLogFollowerReads"/>).</summary>
sealed class PostgresLogFollowerReads(NpgsqlDataSource dataSource, PostgresLogAppends appends) : ILogFollowerReads, IAsyncDisposable
{
    readonly PostgresLogStore _logs = new(dataSource, appends);

    public async Task<TaskOutputProgress?> ProgressAsync(Guid taskId, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<ProgressRow>(new CommandDefinition("""
            SELECT t.state AS State,
                   coalesce(bool_and(a.finished_at IS NOT NULL AND a.output_chunks IS NOT NULL), true) AS AllReported,
                   coalesce(sum(a.output_chunks), 0)::bigint AS ReportedChunks
            FROM tasks t LEFT JOIN task_attempts a ON a.task_id = t.id
            WHERE t.id = @taskId
            GROUP BY t.state
            """, new { taskId }, cancellationToken: cancellationToken));
        return row is null ? null : new TaskOutputProgress(row.State, row.AllReported, row.ReportedChunks);
    }

    public Task<IReadOnlyList<StoredLogChunk>> ReadAfterAsync(Guid taskId, IReadOnlyDictionary<Guid, long> lastByAttempt, CancellationToken cancellationToken) =>
        _logs.ReadAfterAsync(taskId, lastByAttempt, cancellationToken);

    public ValueTask DisposeAsync() => dataSource.DisposeAsync();

    sealed class ProgressRow
    {
        public string State { get; set; } = "";

        public bool AllReported { get; set; }

        public long ReportedChunks { get; set; }
    }
}
