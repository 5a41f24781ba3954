using Dapper;
using Npgsql;
using Supervisor.Contracts;

namespace Supervisor.Service.Storage.Postgres;

/// <summary>Claims in <c>attempt_claims</c>, one row per task and attempt number, read against the claimant's heartbeat in <c>workers</c>.</summary>
sealed class PostgresAttemptClaims(NpgsqlDataSource dataSource) : IAttemptClaims
{
    /// <summary>One round trip for the usual case: the task's state, and the claim taken when the task wants this job.</summary>
    public async Task<ClaimCheck?> CheckAndClaimAsync(AttemptStartRequest request, bool claim, IReadOnlyCollection<string> activeStates, DateTime now,
        CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<CheckRow>(new CommandDefinition("""
            WITH task AS (SELECT state, pass FROM tasks WHERE id = @task),
            claim AS (
                INSERT INTO attempt_claims (task_id, attempt, pass, worker, claimed_at, claim)
                SELECT @task, @attempt, @pass, @worker, @now, @claim FROM task WHERE @claims AND task.state = ANY(@active) AND task.pass = @pass
                ON CONFLICT (task_id, attempt) DO NOTHING
                RETURNING 1)
            SELECT task.state AS State, task.pass AS Pass, EXISTS (SELECT 1 FROM claim) AS Claimed FROM task
            """, ClaimParameters(request, now, new { claims = claim, active = activeStates.ToArray() }), cancellationToken: cancellationToken));
        return row is null ? null : new ClaimCheck(row.State, row.Pass, row.Claimed);
    }

    /// <summary>The holder's own record of the attempt (the saga writes it from the holder's events) and its latest heartbeat.</summary>
    public async Task<ClaimHolder?> HolderAsync(AttemptStartRequest request, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<HolderRow>(new CommandDefinition("""
            SELECT c.worker AS Worker, a.finished_at IS NOT NULL AS Finished, w.last_heartbeat AS LastHeartbeat,
                   coalesce(w.running @> jsonb_build_array(jsonb_build_object('taskId', c.task_id, 'attempt', c.attempt)), false) AS Running,
                   coalesce(c.claim = @claim, false) AS SameClaim
            FROM attempt_claims c
            LEFT JOIN LATERAL (SELECT finished_at FROM task_attempts
                               WHERE task_id = c.task_id AND number = c.attempt AND worker = c.worker
                               ORDER BY started_at DESC NULLS LAST LIMIT 1) a ON true
            LEFT JOIN workers w ON w.id = c.worker
            WHERE c.task_id = @task AND c.attempt = @attempt
            """, new { task = request.TaskId, attempt = request.Attempt, claim = Pg.Uuid(request.Claim) }, cancellationToken: cancellationToken));
        return row is null ? null : new ClaimHolder(row.Worker, row.Finished, row.LastHeartbeat, row.Running, row.SameClaim);
    }

    public async Task<bool> TakeOverAsync(AttemptStartRequest request, string holder, DateTime now, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE attempt_claims SET worker = @worker, claimed_at = @now, claim = @claim, pass = @pass WHERE task_id = @task AND attempt = @attempt AND worker = @holder",
            ClaimParameters(request, now, new { holder }), cancellationToken: cancellationToken)) == 1;
    }

    /// <summary>Never frees another delivery's claim, even of the same worker.</summary>
    public async Task<bool> ReleaseAsync(ReleaseAttemptClaim release, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM attempt_claims WHERE task_id = @task AND attempt = @attempt AND claim = @claim",
            new { task = release.TaskId, attempt = release.Attempt, claim = release.Claim }, cancellationToken: cancellationToken)) == 1;
    }

    /// <summary>@task, @attempt, @pass, @worker, @now and @claim (NULL from a worker that names no claim id), and the statement's own.</summary>
    static DynamicParameters ClaimParameters(AttemptStartRequest request, DateTime now, object more)
    {
        var parameters = new DynamicParameters(more);
        parameters.AddDynamicParams(new
        {
            task = request.TaskId,
            attempt = request.Attempt,
            pass = request.Pass,
            worker = request.Worker ?? "",
            now = Pg.TimestampTz(now),
            claim = Pg.Uuid(request.Claim),
        });
        return parameters;
    }

    sealed class CheckRow
    {
        public string State { get; set; } = "";

        public int Pass { get; set; }

        public bool Claimed { get; set; }
    }

    sealed class HolderRow
    {
        public string Worker { get; set; } = "";

        public bool Finished { get; set; }

        public DateTime? LastHeartbeat { get; set; }

        public bool Running { get; set; }

        public bool SameClaim { get; set; }
    }
}
