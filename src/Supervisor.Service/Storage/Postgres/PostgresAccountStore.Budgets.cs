using Dapper;

namespace Supervisor.Service.Storage.Postgres;

/// <summary>One account read for its own view, and the budgets an operator sets on it (Migrations/0015_budgets.sql).</summary>
sealed partial class PostgresAccountStore
{
    public async Task<(AccountRecord Account, IReadOnlyList<AccountWaiting> Waiting)?> GetAsync(string account, DateTime now,
        CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var parameters = AccountRows.SpendParameters(Windows(now));
        parameters.AddDynamicParams(new { account });
        var row = await connection.QuerySingleOrDefaultAsync<AccountRow>(new CommandDefinition($"""
            SELECT {AccountRow.Columns}, {AccountRows.Spend} FROM accounts a WHERE a.id = @account
            """, parameters, cancellationToken: cancellationToken));
        if (row is null)
            return null;
        // The tasks parked on it now (their hold names it), oldest first: the order the release step lets them go in.
        var waiting = await connection.QueryAsync<(Guid TaskId, DateTime Since, bool Released)>(new CommandDefinition("""
            SELECT w.task_id, w.since, w.released_at IS NOT NULL FROM account_waiters w JOIN tasks t ON t.id = w.task_id AND t.hold_account = w.account
            WHERE w.account = @account ORDER BY w.since, w.task_id
            """, new { account }, cancellationToken: cancellationToken));
        return (row.ToRecord(), waiting.Select(w => new AccountWaiting(w.TaskId, DateTime.SpecifyKind(w.Since, DateTimeKind.Utc), w.Released)).ToList());
    }

    public async Task SetBudgetAsync(string account, string agent, BudgetChange? daily, BudgetChange? monthly, DateTime now,
        CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO accounts (id, agent, state, updated_at) VALUES (@account, @agent, 'ok', @now) ON CONFLICT (id) DO NOTHING;
            UPDATE accounts SET daily_budget_usd = CASE WHEN @setDaily THEN @daily ELSE daily_budget_usd END,
                                monthly_budget_usd = CASE WHEN @setMonthly THEN @monthly ELSE monthly_budget_usd END
            WHERE id = @account
            """, new
        {
            account,
            agent,
            now = Pg.TimestampTz(now),
            setDaily = daily is not null,
            daily = daily?.Usd,
            setMonthly = monthly is not null,
            monthly = monthly?.Usd,
        }, cancellationToken: cancellationToken));
    }
}
