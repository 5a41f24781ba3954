using Supervisor.Rules.Limits;
using static Supervisor.Tests.Rules.Limits.Accounts;

namespace Supervisor.Tests.Rules.Limits;

/// <summary>
/// The budgets in force on an account: an operator's budget on the snapshot wins over the configured one, in the start
/// check and the release step alike; without one, the configured budget applies.
/// </summary>
public sealed class AccountBudgetsSpecs
{
    static readonly StartRequest Waits = new(ThisTask, new TaskLimitPolicy(OnLimit.Wait, TimeSpan.FromDays(2), null), false, null);

    [Fact]
    public void Without_an_operators_budget_the_configured_one_applies_with_the_spend()
    {
        var standing = AccountBudgets.Daily(Ok() with { SpentToday = 4m }, Shipped with { DailyBudgetUsd = 5m });

        Assert.Equal(new BudgetStanding(5m, BudgetSource.Config, 4m), standing);
        Assert.False(standing.Reached);
    }

    [Fact]
    public void An_operators_budget_wins_over_the_configured_one()
    {
        var account = Ok() with { SpentMonth = 30m, MonthlyBudgetUsd = 25m };

        var standing = AccountBudgets.Monthly(account, Shipped with { MonthlyBudgetUsd = 100m });

        Assert.Equal(new BudgetStanding(25m, BudgetSource.Operator, 30m), standing);
        Assert.True(standing.Reached);
    }

    [Fact]
    public void No_budget_is_never_reached()
    {
        Assert.False(AccountBudgets.Daily(Ok() with { SpentToday = 1_000m }, Shipped).Reached);
    }

    [Fact]
    public void A_spend_equal_to_the_budget_has_reached_it()
    {
        Assert.True(AccountBudgets.Daily(Ok() with { SpentToday = 1.8m, DailyBudgetUsd = 1.8m }, Shipped).Reached);
    }

    [Fact]
    public void A_start_parks_on_an_operators_budget_below_the_configured_one_until_the_next_day()
    {
        var account = Ok() with { SpentToday = 3m, DailyBudgetUsd = 2m };

        var decision = LimitPlanner.DecideStart(account, Waits, Shipped with { DailyBudgetUsd = 10m });

        Assert.Equal((StartAction.Park, WaitReason.Budget, At("1.00:00:00")), (decision.Action, decision.Reason, decision.Until));
        Assert.StartsWith("claude/3fa9c2d1e0b4 reached its daily budget of $2.00 ($3.00 spent)", decision.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_start_is_granted_once_an_operator_raised_the_budget_above_the_spend()
    {
        var account = Ok() with { SpentToday = 3m, DailyBudgetUsd = 20m };

        var decision = LimitPlanner.DecideStart(account, Waits, Shipped with { DailyBudgetUsd = 2m });

        Assert.Equal(StartAction.Grant, decision.Action);
    }

    [Fact]
    public void A_raised_budget_lets_the_release_step_release_the_waiters()
    {
        var limits = Shipped with { DailyBudgetUsd = 1.2m };
        AccountWaiter[] waiters = [new(ThisTask, At("13:00:00")), new(OtherTask, At("13:10:00"))];
        var spent = Ok() with { SpentToday = 1.2m };

        var held = LimitPlanner.PlanRelease(spent, waiters, limits, null);
        var raised = LimitPlanner.PlanRelease(spent with { DailyBudgetUsd = 5m }, waiters, limits, null);

        Assert.Equal((0, At("1.00:00:00")), (held.Releases.Count, held.NextWakeAt!.Value));
        Assert.Equal([ThisTask, OtherTask], raised.Releases.Select(r => r.TaskId));
    }

    [Fact]
    public void An_operators_monthly_budget_renews_at_the_next_month_in_the_budget_zone()
    {
        var berlin = TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin");
        var account = Ok() with { SpentMonth = 9m, MonthlyBudgetUsd = 9m };

        var decision = LimitPlanner.DecideStart(account, Waits with { Policy = Waits.Policy with { MaxWait = null } }, Shipped with { BudgetTimeZone = berlin });

        Assert.Equal((WaitReason.Budget, DateTime.SpecifyKind(new DateTime(2025, 6, 30, 22, 0, 0), DateTimeKind.Utc)), (decision.Reason, decision.Until));
    }
}
