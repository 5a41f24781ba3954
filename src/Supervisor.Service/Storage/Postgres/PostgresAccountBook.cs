using System.Data.Common;
using Dapper;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Supervisor.Rules.Limits;

namespace Supervisor.Service.Storage.Postgres;

/// <summary>
/// <see cref="IAccountBook"/> on the saga's <see cref="SupervisorDbContext"/>: its connection and its transaction. Spend is
/// summed over the budget days and months of <paramref name="budgetTimeZone"/>.
/// </summary>
sealed class PostgresAccountBook(SupervisorDbContext db, TimeZoneInfo budgetTimeZone) : IAccountBook
{
    public TimeZoneInfo BudgetTimeZone => budgetTimeZone;

    DbConnection Connection => db.Database.GetDbConnection();

    DbTransaction? Transaction => db.Database.CurrentTransaction?.GetDbTransaction();

    public async Task<AccountSnapshot> LockAsync(string account, string agent, Guid askingTask, TimeSpan reservationHold, DateTime now,
        CancellationToken cancellationToken)
    {
        await Connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO accounts (id, agent, state, updated_at) VALUES (@account, @agent, 'ok', @now) ON CONFLICT (id) DO NOTHING
            """, new { account, agent, now = Pg.TimestampTz(now) }, Transaction, cancellationToken: cancellationToken));
        var row = await AccountRows.LockAndReadAsync(Connection, Transaction, account, askingTask, now - reservationHold,
            SpendWindows.At(now, budgetTimeZone), cancellationToken);
        return row.Snapshot(now);
    }

    public Task SaveStatusAsync(string account, AccountStatus status, DateTime now, CancellationToken cancellationToken) =>
        Connection.ExecuteAsync(new CommandDefinition(AccountRows.UpdateStatus, AccountRows.StatusParameters(account, status, now), Transaction,
            cancellationToken: cancellationToken));

    public Task ParkAsync(string account, Guid task, DateTime since, string reason, CancellationToken cancellationToken) =>
        Connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO metric_deltas SELECT 'supervisor_limit_waits_total', @account, @reason, 1
            WHERE NOT EXISTS (SELECT 1 FROM account_waiters WHERE account = @account AND task_id = @task AND released_at IS NULL);
            DELETE FROM account_waiters WHERE task_id = @task AND account <> @account;
            INSERT INTO account_waiters (account, task_id, since) VALUES (@account, @task, @since)
            ON CONFLICT (account, task_id) DO UPDATE SET since = least(account_waiters.since, excluded.since), released_at = NULL,
                release_at = NULL, probe = false, sent_at = NULL
            """, new { account, task, since = Pg.TimestampTz(since), reason }, Transaction, cancellationToken: cancellationToken));

    public Task LeaveAsync(Guid task, CancellationToken cancellationToken) =>
        Connection.ExecuteAsync(new CommandDefinition("DELETE FROM account_waiters WHERE task_id = @task", new { task }, Transaction,
            cancellationToken: cancellationToken));
}
