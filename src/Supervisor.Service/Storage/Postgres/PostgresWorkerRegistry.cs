using System.Text.Json;
using Dapper;
using Npgsql;
using Supervisor.Contracts;

namespace Supervisor.Service.Storage.Postgres;

/// <summary>The latest heartbeat of each worker in <c>workers</c>, its running attempts as <c>jsonb</c>.</summary>
sealed class PostgresWorkerRegistry(NpgsqlDataSource dataSource) : IWorkerRegistry
{
    /// <summary>An older heartbeat arriving late never overwrites a newer one.</summary>
    public async Task RecordAsync(WorkerHeartbeat heartbeat, DateTime leasesUntil, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        // The leases of the attempts it lists, on the service's clock; an attempt whose lease was taken over matches nothing.
        if (heartbeat.Running.Count > 0)
        {
            await connection.ExecuteAsync(new CommandDefinition("""
                UPDATE tasks SET lease_expires_at = greatest(lease_expires_at, @until) WHERE lease_id = ANY(@attempts)
                """, new { until = Pg.TimestampTz(leasesUntil), attempts = heartbeat.Running.Select(r => r.AttemptId).ToArray() },
                cancellationToken: cancellationToken));
        }

        await connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO workers (id, host, agents, running, capacity, stopping, last_heartbeat, accounts)
            VALUES (@id, @host, @agents, @running, @capacity, @stopping, @at, @accounts)
            ON CONFLICT (id) DO UPDATE SET host = EXCLUDED.host, agents = EXCLUDED.agents, running = EXCLUDED.running,
                capacity = EXCLUDED.capacity, stopping = EXCLUDED.stopping, last_heartbeat = EXCLUDED.last_heartbeat,
                accounts = EXCLUDED.accounts
            WHERE workers.last_heartbeat <= EXCLUDED.last_heartbeat
            """,
            new
            {
                id = heartbeat.WorkerId,
                host = heartbeat.Host,
                agents = heartbeat.Agents.ToArray(),
                running = Pg.Jsonb(JsonSerializer.Serialize(heartbeat.Running, JsonSerializerOptions.Web)),
                capacity = heartbeat.Capacity,
                stopping = heartbeat.Stopping,
                at = Pg.TimestampTz(heartbeat.At),
                accounts = Pg.Jsonb(JsonSerializer.Serialize(heartbeat.Accounts ?? new Dictionary<string, string>(StringComparer.Ordinal), JsonSerializerOptions.Web)),
            },
            cancellationToken: cancellationToken));
    }

    public async Task<IReadOnlyList<WorkerRecord>> ListAsync(DateTime heardSince, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<WorkerRow>(new CommandDefinition("""
            SELECT id AS Id, host AS Host, agents AS Agents, running AS Running, capacity AS Capacity, stopping AS Stopping,
                   last_heartbeat AS LastHeartbeat, coalesce(accounts, '{}'::jsonb)::text AS Accounts
            FROM workers WHERE last_heartbeat > @heardSince ORDER BY id
            """, new { heardSince = Pg.TimestampTz(heardSince) }, cancellationToken: cancellationToken));
        return rows.Select(r => new WorkerRecord(r.Id, r.Host, r.Agents,
                JsonSerializer.Deserialize<List<RunningAttempt>>(r.Running, JsonSerializerOptions.Web) ?? [], r.Capacity, r.Stopping,
                DateTime.SpecifyKind(r.LastHeartbeat, DateTimeKind.Utc),
                JsonSerializer.Deserialize<Dictionary<string, string>>(r.Accounts, JsonSerializerOptions.Web) ?? []))
            .ToList();
    }

    public async Task<IReadOnlyList<RunningAttemptRecord>> RunningAsync(IReadOnlyCollection<Guid> attemptIds, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<RunningRow>(new CommandDefinition("""
            SELECT (r->>'attemptId')::uuid AS AttemptId, w.id AS Worker, w.last_heartbeat AS LastHeartbeat,
                   (r->>'lastOutputAt')::timestamptz AS LastOutputAt
            FROM workers w, jsonb_array_elements(w.running) r
            WHERE (r->>'attemptId')::uuid = ANY(@attemptIds)
            """, new { attemptIds = attemptIds.ToArray() }, cancellationToken: cancellationToken));
        return rows.Select(r => new RunningAttemptRecord(r.AttemptId, r.Worker, DateTime.SpecifyKind(r.LastHeartbeat, DateTimeKind.Utc),
                r.LastOutputAt is { } output ? DateTime.SpecifyKind(output, DateTimeKind.Utc) : null))
            .ToList();
    }

    sealed class WorkerRow
    {
        public string Id { get; set; } = "";

        public string Host { get; set; } = "";

        public string[] Agents { get; set; } = [];

        public string Running { get; set; } = "[]";

        public string Accounts { get; set; } = "{}";

        public int Capacity { get; set; }

        public bool Stopping { get; set; }

        public DateTime LastHeartbeat { get; set; }
    }

    sealed class RunningRow
    {
        public Guid AttemptId { get; set; }

        public string Worker { get; set; } = "";

        public DateTime LastHeartbeat { get; set; }

        public DateTime? LastOutputAt { get; set; }
    }
}
