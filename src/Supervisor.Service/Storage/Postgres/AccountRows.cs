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
    /// Locks <paramref name="account"/>'s row, then reads it with the attempts running on it, the released waiters still
    /// holding a slot (released after <paramref name="reservedSince"/>), <paramref name="askingTask"/>'s own not counted, and
    /// its spend in the budget windows of <paramref name="windows"/>. The lock is a statement of its own: in one statement
    /// with the counts, they would come from the snapshot taken before the lock was granted, missing what the transaction
    /// that held it had just committed.
    /// </summary>
    public static async Task<Status> LockAndReadAsync(DbConnection connection, DbTransaction? transaction, string account, Guid askingTask,
        DateTime reservedSince, SpendWindows windows, CancellationToken cancellationToken)
    {
        await connection.ExecuteAsync(new CommandDefinition("SELECT 1 FROM accounts WHERE id = @account FOR UPDATE", new { account }, transaction,
            cancellationToken: cancellationToken));
        var parameters = SpendParameters(windows);
        parameters.AddDynamicParams(new { account, task = askingTask, reservedSince = Pg.TimestampTz(reservedSince) });
        return await connection.QuerySingleAsync<Status>(new CommandDefinition($"""
            SELECT {Status.Columns}, {Spend},
                   (SELECT count(*) FROM tasks t WHERE t.lease_account = a.id AND t.lease_id IS NOT NULL AND t.id <> @task)::int AS Running,
                   (SELECT count(*) FROM account_waiters w
                    WHERE w.account = a.id AND w.released_at > @reservedSince AND w.task_id <> @task)::int AS Reserved
            FROM accounts a WHERE a.id = @account
            """, parameters, transaction, cancellationToken: cancellationToken));
    }

    /// <summary>
    /// The account's spend (on alias <c>a</c>, parameters from <see cref="SpendParameters"/>): the cost of the attempts that
    /// finished on it since the day's and the month's start. A running attempt counts once it has ended, so it may take the
    /// spend past the budget by its own cost.
    /// </summary>
    public const string Spend = """
        (SELECT coalesce(sum(x.cost_usd), 0) FROM task_attempts x WHERE x.account = a.id AND x.finished_at >= @dayStart) AS SpentToday,
        (SELECT coalesce(sum(x.cost_usd), 0) FROM task_attempts x WHERE x.account = a.id AND x.finished_at >= @monthStart) AS SpentMonth
        """;

    public static DynamicParameters SpendParameters(SpendWindows windows)
    {
        var parameters = new DynamicParameters();
        parameters.AddDynamicParams(new { dayStart = Pg.TimestampTz(windows.DayStart), monthStart = Pg.TimestampTz(windows.MonthStart) });
        return parameters;
    }

    public static DateTime? Utc(DateTime? at) => at is { } value ? DateTime.SpecifyKind(value, DateTimeKind.Utc) : null;

    /// <summary>An account's status columns (<see cref="Columns"/>, on alias <c>a</c>), with what is running and reserved on it when read for a decision.</summary>
    public class Status
    {
        public const string Columns = """
            a.id AS Id, a.agent AS Agent, a.state AS State, a.kind AS Kind, a.blocked_until AS BlockedUntil, a.block_since AS BlockSince,
            a.probe_task AS ProbeTask, a.probe_since AS ProbeSince, a.daily_budget_usd AS DailyBudgetUsd, a.monthly_budget_usd AS MonthlyBudgetUsd
            """;

        public string Id { get; set; } = "";

        public string Agent { get; set; } = "";

        public string State { get; set; } = "ok";

        public string? Kind { get; set; }

        public DateTime? BlockedUntil { get; set; }

        public DateTime? BlockSince { get; set; }

        public Guid? ProbeTask { get; set; }

        public DateTime? ProbeSince { get; set; }

        /// <summary>The daily budget an operator set (null: the configured one).</summary>
        public decimal? DailyBudgetUsd { get; set; }

        public decimal? MonthlyBudgetUsd { get; set; }

        /// <summary>Read only where <see cref="Spend"/> is selected.</summary>
        public decimal SpentToday { get; set; }

        public decimal SpentMonth { get; set; }

        public int Running { get; set; }

        public int Reserved { get; set; }

        public AccountStatus ToStatus() =>
            new(LimitNames.State(State), Kind is null ? null : LimitNames.Kind(Kind), Utc(BlockedUntil), Utc(BlockSince), ProbeTask, Utc(ProbeSince));

        public AccountSnapshot Snapshot(DateTime now) => new()
        {
            Id = Id,
            Status = ToStatus(),
            Running = Running,
            Reserved = Reserved,
            SpentToday = SpentToday,
            SpentMonth = SpentMonth,
            DailyBudgetUsd = DailyBudgetUsd,
            MonthlyBudgetUsd = MonthlyBudgetUsd,
            Now = now,
        };
    }
}
