namespace Supervisor.Rules.Limits;

/// <summary>Where an account's budget comes from: its agent's <c>Limits</c> configuration, or an operator's setting.</summary>
public enum BudgetSource
{
    /// <summary><c>Limits:DailyBudgetUsd</c> / <c>Limits:MonthlyBudgetUsd</c> (or none configured).</summary>
    Config,

    /// <summary>Set at run time (<c>POST /api/accounts/{id}/budget</c>); it replaces the configured one until cleared.</summary>
    Operator,
}

/// <summary>
/// One budget window of an account as it stands: the budget in force (null: none), where it comes from, and the dollars
/// spent in the current window.
/// </summary>
public sealed record BudgetStanding(decimal? Usd, BudgetSource Source, decimal Spent)
{
    /// <summary>The spend has reached the budget: no attempt starts on the account until the window renews or the budget is raised.</summary>
    public bool Reached => Usd is { } usd && Spent >= usd;
}

/// <summary>The budgets in force on an account: an operator's, where one is set, win over the configured ones.</summary>
public static class AccountBudgets
{
    /// <summary>The daily budget of <paramref name="snapshot"/>'s account under <paramref name="limits"/>, with today's spend.</summary>
    public static BudgetStanding Daily(AccountSnapshot snapshot, AccountLimits limits)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        ArgumentNullException.ThrowIfNull(limits);
        return Of(snapshot.DailyBudgetUsd, limits.DailyBudgetUsd, snapshot.SpentToday);
    }

    /// <summary>The monthly budget of <paramref name="snapshot"/>'s account under <paramref name="limits"/>, with this month's spend.</summary>
    public static BudgetStanding Monthly(AccountSnapshot snapshot, AccountLimits limits)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        ArgumentNullException.ThrowIfNull(limits);
        return Of(snapshot.MonthlyBudgetUsd, limits.MonthlyBudgetUsd, snapshot.SpentMonth);
    }

    /// <summary>The budget an operator <paramref name="set"/>, or else the <paramref name="configured"/> one, with <paramref name="spent"/>.</summary>
    public static BudgetStanding Of(decimal? set, decimal? configured, decimal spent) =>
        set is { } usd ? new BudgetStanding(usd, BudgetSource.Operator, spent) : new BudgetStanding(configured, BudgetSource.Config, spent);
}
