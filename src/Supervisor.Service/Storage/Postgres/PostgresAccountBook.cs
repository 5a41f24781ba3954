using System.Data.Common;
using Dapper;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Supervisor.Rules.Limits;

namespace Supervisor.Service.Storage.Postgres;

/// <summary><see cref="IAccountBook"/> on the saga's <see cref="SupervisorDbContext"/>: its connection and its transaction.</summary>
sealed class PostgresAccountBook(SupervisorDbContext db) : IAccountBook
{
    DbConnection Connection => db.Database.GetDbConnection();

    DbTransaction? Transaction => db.Database.CurrentTransaction?.GetDbTransaction();

    public async Task<AccountSnapshot> LockAsync(string account, string agent, Guid askingTask, TimeSpan reservationHold, DateTime now,
        CancellationToken cancellationToken)
    {
        await Connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO accounts (id, agent, state, updated_at) VALUES (@account, @agent, 'ok', @now) ON CONFLICT (id) DO NOTHING
            """, new { account, agent, now = Pg.TimestampTz(now) }, Transaction, cancellationToken: cancellationToken));
        var row = await Connection.QuerySingleAsync<AccountRows.Status>(new CommandDefinition($"""
            SELECT {AccountRows.Status.Columns},
                   (SELECT count(*) FROM tasks t WHERE t.lease_account = a.id AND t.lease_id IS NOT NULL AND t.id <> @task)::int AS Running,
                   (SELECT count(*) FROM account_waiters w
                    WHERE w.account = a.id AND w.released_at > @reservedSince AND w.task_id <> @task)::int AS Reserved
            FROM accounts a WHERE a.id = @account FOR UPDATE OF a
            """, new { account, task = askingTask, reservedSince = Pg.TimestampTz(now - reservationHold) }, Transaction,
            cancellationToken: cancellationToken));
        return row.Snapshot(now);
    }

    public Task SaveStatusAsync(string account, AccountStatus status, DateTime now, CancellationToken cancellationToken) =>
        Connection.ExecuteAsync(new CommandDefinition(AccountRows.UpdateStatus, AccountRows.StatusParameters(account, status, now), Transaction,
            cancellationToken: cancellationToken));

    public Task ParkAsync(string account, Guid task, DateTime since, CancellationToken cancellationToken) =>
        Connection.ExecuteAsync(new CommandDefinition("""
            DELETE FROM account_waiters WHERE task_id = @task AND account <> @account;
            INSERT INTO account_waiters (account, task_id, since) VALUES (@account, @task, @since)
            ON CONFLICT (account, task_id) DO UPDATE SET since = least(account_waiters.since, excluded.since), released_at = NULL,
                release_at = NULL, probe = false, sent_at = NULL
            """, new { account, task, since = Pg.TimestampTz(since) }, Transaction, cancellationToken: cancellationToken));

    public Task LeaveAsync(Guid task, CancellationToken cancellationToken) =>
        Connection.ExecuteAsync(new CommandDefinition("DELETE FROM account_waiters WHERE task_id = @task", new { task }, Transaction,
            cancellationToken: cancellationToken));
}
