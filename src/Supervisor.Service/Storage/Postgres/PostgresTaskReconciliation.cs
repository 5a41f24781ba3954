using Dapper;
using Npgsql;

namespace Supervisor.Service.Storage.Postgres;

/// <summary>
/// Each search runs on a partial index that holds only leased tasks, only tasks waiting for a job to start, or only
/// active tasks with neither and no hold on an account (which should not exist: something lost both the attempt and the
/// job; a task parked on an account is the release step's), or only delayed
/// tasks that wait for their time.
/// </summary>
sealed class PostgresTaskReconciliation(NpgsqlDataSource dataSource) : ITaskReconciliation
{
    public async Task<IReadOnlyList<StuckTask>> FindStuckAsync(DateTime now, DateTime startExpectedBefore, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<Row>(new CommandDefinition("""
            (SELECT t.id AS Id, t.state AS State, t.agents[t.chain_index + 1] AS Agent, t.lease_id AS Lease, a.worker AS LeaseWorker,
                    t.lease_expires_at AS LeaseExpiresAt, t.start_allowed_at AS StartAllowedAt, NULL::timestamptz AS RunAt
             FROM tasks t LEFT JOIN task_attempts a ON a.id = t.lease_id
             WHERE t.lease_id IS NOT NULL AND t.lease_expires_at < @now
             ORDER BY t.lease_expires_at LIMIT @limit)
            UNION ALL
            (SELECT t.id, t.state, t.agents[t.chain_index + 1], NULL, NULL, NULL, t.start_allowed_at, NULL
             FROM tasks t
             WHERE t.lease_id IS NULL AND t.start_allowed_at < @before AND t.state IN ('Dispatched', 'Running', 'RetryScheduled')
             ORDER BY t.start_allowed_at LIMIT @limit)
            UNION ALL
            (SELECT t.id, t.state, t.agents[t.chain_index + 1], NULL, NULL, NULL, NULL, NULL
             FROM tasks t
             WHERE t.lease_id IS NULL AND t.start_allowed_at IS NULL AND t.state IN ('Dispatched', 'Running', 'RetryScheduled')
               AND t.hold_account IS NULL AND t.updated_at < @before
             ORDER BY t.updated_at LIMIT @limit)
            UNION ALL
            (SELECT t.id, t.state, NULL, NULL, NULL, NULL, NULL, t.run_at
             FROM tasks t
             WHERE t.state = 'Submitted' AND t.run_at < @before
             ORDER BY t.run_at LIMIT @limit)
            """, new { now = Pg.TimestampTz(now), before = Pg.TimestampTz(startExpectedBefore), limit }, cancellationToken: cancellationToken));
        return rows.Select(r => new StuckTask(r.Id, r.State, r.Agent, r.Lease, r.LeaseWorker, Utc(r.LeaseExpiresAt), Utc(r.StartAllowedAt), Utc(r.RunAt)))
            .ToList();
    }

    static DateTime? Utc(DateTime? at) => at is { } value ? DateTime.SpecifyKind(value, DateTimeKind.Utc) : null;

    sealed class Row
    {
        public Guid Id { get; set; }

        public string State { get; set; } = "";

        public string? Agent { get; set; }

        public Guid? Lease { get; set; }

        public string? LeaseWorker { get; set; }

        public DateTime? LeaseExpiresAt { get; set; }

        public DateTime? StartAllowedAt { get; set; }

        public DateTime? RunAt { get; set; }
    }
}
