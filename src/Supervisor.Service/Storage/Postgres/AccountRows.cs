using System.Data.Common;
using Dapper;
using Supervisor.Rules.Limits;

namespace Supervisor.Service.Storage.Postgres;

/// <summary>How an account's block status is read from and written to <c>accounts</c>, by every writer alike.</summary>
static class AccountRows
{
    /// <summary>Writes the status columns of <c>@id</c> (parameters from <see cref="StatusParameters"/>).</summary>
    public const string UpdateStatus = """
        UPDATE accounts SET state = @state, kind = @kind, blocked_until = @until, block_since = @since, probe_task = @probeTask,
            probe_since = @probeSince, updated_at = @now
        WHERE id = @id
        """;

    public static DynamicParameters StatusParameters(string account, AccountStatus status, DateTime now)
    {
        var parameters = new DynamicParameters();
        parameters.AddDynamicParams(new
        {
            id = account,
            state = LimitNames.Of(status.State),
            kind = status.Kind is { } kind ? LimitNames.Of(kind) : null,
            until = Pg.TimestampTz(status.BlockedUntil),
            since = Pg.TimestampTz(status.BlockSince),
            probeTask = Pg.Uuid(status.ProbeTask),
            probeSince = Pg.TimestampTz(status.ProbeSince),
            now = Pg.TimestampTz(now),
        });
        return parameters;
    }

    /// <summary>
    /// Locks <paramref name="account"/>'s row, then reads it with the attempts running on it and the released waiters
    /// still holding a slot (released after <paramref name="reservedSince"/>), <paramref name="askingTask"/>'s own not
    /// counted. The lock is a statement of its own: in one statement with the counts, they would come from the snapshot
    /// taken before the lock was granted, missing what the transaction that held it had just committed.
    /// </summary>
    public static async Task<Status> LockAndReadAsync(DbConnection connection, DbTransaction? transaction, string account, Guid askingTask,
        DateTime reservedSince, CancellationToken cancellationToken)
    {
        await connection.ExecuteAsync(new CommandDefinition("SELECT 1 FROM accounts WHERE id = @account FOR UPDATE", new { account }, transaction,
            cancellationToken: cancellationToken));
        return await connection.QuerySingleAsync<Status>(new CommandDefinition($"""
            SELECT {Status.Columns},
                   (SELECT count(*) FROM tasks t WHERE t.lease_account = a.id AND t.lease_id IS NOT NULL AND t.id <> @task)::int AS Running,
                   (SELECT count(*) FROM account_waiters w
                    WHERE w.account = a.id AND w.released_at > @reservedSince AND w.task_id <> @task)::int AS Reserved
            FROM accounts a WHERE a.id = @account
            """, new { account, task = askingTask, reservedSince = Pg.TimestampTz(reservedSince) }, transaction, cancellationToken: cancellationToken));
    }

    public static DateTime? Utc(DateTime? at) => at is { } value ? DateTime.SpecifyKind(value, DateTimeKind.Utc) : null;

    /// <summary>An account's status columns (<see cref="Columns"/>, on alias <c>a</c>), with what is running and reserved on it when read for a decision.</summary>
    public class Status
    {
        public const string Columns = """
            a.id AS Id, a.agent AS Agent, a.state AS State, a.kind AS Kind, a.blocked_until AS BlockedUntil, a.block_since AS BlockSince,
            a.probe_task AS ProbeTask, a.probe_since AS ProbeSince
            """;

        public string Id { get; set; } = "";

        public string Agent { get; set; } = "";

        public string State { get; set; } = "ok";

        public string? Kind { get; set; }

        public DateTime? BlockedUntil { get; set; }

        public DateTime? BlockSince { get; set; }

        public Guid? ProbeTask { get; set; }

        public DateTime? ProbeSince { get; set; }

        public int Running { get; set; }

        public int Reserved { get; set; }

        public AccountStatus ToStatus() =>
            new(LimitNames.State(State), Kind is null ? null : LimitNames.Kind(Kind), Utc(BlockedUntil), Utc(BlockSince), ProbeTask, Utc(ProbeSince));

        public AccountSnapshot Snapshot(DateTime now) => new() { Id = Id, Status = ToStatus(), Running = Running, Reserved = Reserved, Now = now };
    }
}
