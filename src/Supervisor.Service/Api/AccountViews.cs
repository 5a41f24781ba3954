using Supervisor.Agents;
using Supervisor.Rules.Limits;
using Supervisor.Service.Storage;

namespace Supervisor.Service.Api;

/// <summary>
/// A provider account as <c>GET /api/agents</c> shows it: <see cref="State"/> is <c>ok</c>, <c>cooling</c> (a rate limit)
/// or <c>blocked</c> (a usage window, quota or billing) until <see cref="Until"/>, since <see cref="Since"/>, or
/// <c>probing</c> after a block's end: one start (<see cref="ProbeTask"/> once chosen) tests the account and the others wait
/// for its outcome; <c>budgetReached</c> when nothing else holds it back but its spend has reached its daily or monthly
/// budget (derived from the spend, not stored). <see cref="Kind"/> is the limit's kind; <see cref="LastSignal"/> the
/// evidence of the last limit reported, at <see cref="LastSignalAt"/>; <see cref="Blocks"/> how many block episodes it
/// has had. <see cref="Running"/>: attempts running on it, against <see cref="MaxConcurrent"/> (null: no cap);
/// <see cref="Waiting"/>: tasks parked on it. <see cref="Workers"/>: the live workers whose heartbeats name the account.
/// <see cref="Budgets"/>: its daily and monthly budgets with their spend. <see cref="Billing"/>: <c>subscription</c> or
/// <c>metered</c> (its agent's <c>Limits:Billing</c>); <see cref="SpillOnly"/>: its agent takes only the overflow of the one
/// before it in a chain.
/// </summary>
public sealed record AccountView(
    string Id, string State, string? Kind, DateTime? Until, DateTime? Since, string? LastSignal, DateTime? LastSignalAt, int Blocks, int Workers,
    Guid? ProbeTask = null, int Running = 0, int? MaxConcurrent = null, int Waiting = 0, AccountBudgetsView? Budgets = null,
    string Billing = "subscription", bool SpillOnly = false)
{
    /// <summary>The state of an account whose spend has reached one of its budgets, nothing else holding it back.</summary>
    public const string BudgetReached = "budgetReached";

    /// <summary>
    /// The account as stored, read at <paramref name="now"/> under its agent's <paramref name="limits"/>: a cool-down or
    /// block whose time has passed is over.
    /// </summary>
    public static AccountView Of(string id, AccountRecord? record, int workers, LimitOptions limits, TimeZoneInfo zone, DateTime now)
    {
        ArgumentNullException.ThrowIfNull(limits);
        var budgets = AccountBudgetsView.Of(record?.Spend ?? AccountSpend.None, limits, zone, now);
        var billing = limits.Billing == Agents.Billing.Metered ? "metered" : "subscription";
        if (record is null)
        {
            return new AccountView(id, budgets.Reached ? BudgetReached : "ok", null, null, null, null, null, 0, workers, MaxConcurrent: limits.MaxConcurrent,
                Budgets: budgets, Billing: billing, SpillOnly: limits.SpillOnly);
        }

        var status = record.Status;
        var view = new AccountView(id, "ok", null, null, null, record.LastEvidence, record.LastSignalAt, record.Blocks, workers, null,
            record.Running, limits.MaxConcurrent, record.Waiting, budgets, billing, limits.SpillOnly);
        if (status.InForceAt(now))
            return view with { State = LimitNames.Of(status.State), Kind = LimitNames.Of(status.Kind!.Value), Until = status.BlockedUntil, Since = status.BlockSince };
        if (status.State != AccountState.Ok)
            return view with { State = LimitNames.Of(AccountState.Probing), Kind = LimitNames.Of(status.Kind!.Value), Since = status.BlockSince, ProbeTask = status.ProbeTask };
        return budgets.Reached ? view with { State = BudgetReached } : view;
    }
}

/// <summary>An account's daily and monthly budgets (<c>Daily</c>, <c>Monthly</c>), each with its spend.</summary>
public sealed record AccountBudgetsView(BudgetView Daily, BudgetView Monthly)
{
    /// <summary>Either budget is reached: no attempt starts on the account until it renews or is raised.</summary>
    public bool Reached => Daily.Reached || Monthly.Reached;

    public static AccountBudgetsView Of(AccountSpend spend, LimitOptions limits, TimeZoneInfo zone, DateTime now)
    {
        ArgumentNullException.ThrowIfNull(spend);
        ArgumentNullException.ThrowIfNull(limits);
        return new(
            BudgetView.Of(AccountBudgets.Of(spend.DailyBudgetUsd, limits.DailyBudgetUsd, spend.SpentToday), BudgetWindows.NextDayStart(now, zone)),
            BudgetView.Of(AccountBudgets.Of(spend.MonthlyBudgetUsd, limits.MonthlyBudgetUsd, spend.SpentMonth), BudgetWindows.NextMonthStart(now, zone)));
    }
}

/// <summary>
/// One budget window: <see cref="Usd"/> the budget (null: none), <see cref="Source"/> <c>config</c> (the agent's
/// <c>Limits</c>) or <c>operator</c> (set at run time), <see cref="SpentUsd"/> the cost of the attempts that finished on
/// the account in the window, <see cref="Reached"/> whether the spend is at or over the budget, and <see cref="RenewsAt"/>
/// when the window ends and its spend starts again from zero.
/// </summary>
public sealed record BudgetView(decimal? Usd, string Source, decimal SpentUsd, bool Reached, DateTime RenewsAt)
{
    public static BudgetView Of(BudgetStanding standing, DateTime renewsAt)
    {
        ArgumentNullException.ThrowIfNull(standing);
        return new(standing.Usd, standing.Source == BudgetSource.Operator ? "operator" : "config", standing.Spent, standing.Reached, renewsAt);
    }
}

/// <summary>
/// One account as <c>GET /api/accounts/{id}</c> shows it: its view (<see cref="Account"/>, as in <c>GET /api/agents</c>),
/// the agent it was first used by, and the tasks parked on it, oldest first.
/// </summary>
public sealed record AccountDetail(string Agent, AccountView Account, IReadOnlyList<AccountWaiterView> WaitingTasks);

/// <summary>A task parked on the account since <see cref="Since"/>; <see cref="Released"/> once let go, until it starts.</summary>
public sealed record AccountWaiterView(Guid TaskId, DateTime Since, bool Released);
