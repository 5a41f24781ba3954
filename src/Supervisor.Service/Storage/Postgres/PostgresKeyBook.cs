using System.Data.Common;
using Dapper;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;

namespace Supervisor.Service.Storage.Postgres;

/// <summary><see cref="IKeyBook"/> on the saga's <see cref="SupervisorDbContext"/>: its connection and its transaction.</summary>
sealed class PostgresKeyBook(SupervisorDbContext db) : IKeyBook
{
    /// <summary>The states of a task under way: started (past Submitted) and not ended.</summary>
    public const string UnderWay = "('AwaitingApproval', 'Dispatched', 'Running', 'RetryScheduled', 'Paused')";

    public async Task<KeyOccupancy> LockAsync(string key, Guid task, DateTime createdAt, DateTime now, CancellationToken cancellationToken)
    {
        var connection = db.Database.GetDbConnection();
        DbTransaction? transaction = db.Database.CurrentTransaction?.GetDbTransaction();
        // The lock first, then the reads, each with a snapshot taken after it (as PostgresAccountBook.LockAsync).
        await connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO concurrency_keys (key, created_at) VALUES (@key, @now) ON CONFLICT (key) DO NOTHING;
            SELECT 1 FROM concurrency_keys WHERE key = @key FOR UPDATE;
            """, new { key, now = Pg.TimestampTz(now) }, transaction, cancellationToken: cancellationToken));
        var underWay = await connection.QueryAsync<Guid>(new CommandDefinition($"""
            SELECT id FROM tasks WHERE concurrency_key = @key AND id <> @task AND state IN {UnderWay} ORDER BY created_at, id
            """, new { key, task }, transaction, cancellationToken: cancellationToken));
        var ahead = await connection.ExecuteScalarAsync<int>(new CommandDefinition("""
            SELECT count(*)::int FROM tasks
            WHERE concurrency_key = @key AND id <> @task AND state = 'Submitted' AND hold_reason = 'concurrency' AND created_at < @createdAt
            """, new { key, task, createdAt = Pg.TimestampTz(createdAt) }, transaction, cancellationToken: cancellationToken));
        return new KeyOccupancy([.. underWay], ahead);
    }
}
