using Dapper;
using Npgsql;

namespace Supervisor.Service.Storage.Postgres;

/// <summary><see cref="IKeyWaiters"/> over <c>tasks</c> (Migrations/0014_concurrency_keys.sql).</summary>
sealed class PostgresKeyWaiters(NpgsqlDataSource dataSource) : IKeyWaiters
{
    public async Task<IReadOnlyList<Guid>> StartableAsync(DateTime now, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var ids = await connection.QueryAsync<Guid>(new CommandDefinition($"""
            SELECT q.id FROM tasks q
            WHERE q.state = 'Submitted' AND q.hold_reason = 'concurrency' AND (q.run_at IS NULL OR q.run_at <= @now)
              AND (SELECT count(*) FROM tasks t WHERE t.concurrency_key = q.concurrency_key AND t.state IN {PostgresKeyBook.UnderWay})
                + (SELECT count(*) FROM tasks o WHERE o.concurrency_key = q.concurrency_key AND o.state = 'Submitted'
                   AND o.hold_reason = 'concurrency' AND o.created_at < q.created_at)
                < coalesce(q.concurrency_limit, 1)
            ORDER BY q.created_at
            LIMIT 100
            """, new { now }, cancellationToken: cancellationToken));
        return ids.ToList();
    }
}
