using Supervisor.Rules.Limits;
using static Supervisor.Tests.Rules.Limits.Accounts;

namespace Supervisor.Tests.Rules.Limits;

/// <summary>
/// The start check's maxWindows (which waits count as windows, each once) and the account's budgets (daily, monthly, both,
/// in a zone; against a block: the later one decides).
/// </summary>
public sealed class LimitPlannerStartWindowsAndBudgetsSpecs
{
    static StartRequest Request(bool hasNext, int? maxWindows, TaskWait? waited = null, TimeSpan? maxWait = null) =>
        new(ThisTask, new TaskLimitPolicy(OnLimit.Wait, maxWait, maxWindows), hasNext, waited);

    [Fact]
    public void A_block_is_a_window_counted_from_the_first_park_in_it()
    {
        var decision = LimitPlanner.DecideStart(Blocked(At("14:05:00")), Request(true, maxWindows: 1), Shipped);

        Assert.Equal((StartAction.Park, new TaskWait(Now, 1, WindowSince)), (decision.Action, decision.Wait));
    }

    [Theory]
    [InlineData(true, StartAction.FallBack)]
    [InlineData(false, StartAction.Fail)]
    public void A_block_beyond_maxWindows_falls_back_or_fails_naming_the_count(bool hasNext, StartAction action)
    {
        var waited = new TaskWait(At("08:00:00"), 1, At("08:00:00"));

        var decision = LimitPlanner.DecideStart(Blocked(At("14:05:00")), Request(hasNext, maxWindows: 1, waited), Shipped);

        Assert.Equal(action, decision.Action);
        Assert.StartsWith("claude/3fa9c2d1e0b4 blocked until 14:05:00Z (usage window); maxWindows 1: this would be window 2", decision.Message,
            StringComparison.Ordinal);
    }

    [Fact]
    public void Parking_again_in_a_window_already_counted_is_not_a_new_window()
    {
        var waited = new TaskWait(At("13:41:00"), 1, WindowSince);

        var decision = LimitPlanner.DecideStart(Blocked(At("14:05:00")), Request(false, maxWindows: 1, waited), Shipped);

        Assert.Equal((StartAction.Park, waited), (decision.Action, decision.Wait));
    }

    [Fact]
    public void A_maxWindows_of_zero_waits_in_no_block()
    {
        var decision = LimitPlanner.DecideStart(Blocked(At("14:05:00")), Request(true, maxWindows: 0), Shipped);

        Assert.Equal(StartAction.FallBack, decision.Action);
        Assert.EndsWith("; maxWindows 0: this would be window 1", decision.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Cool_downs_probes_caps_and_budgets_are_no_windows()
    {
        var limits = Shipped with { MaxConcurrent = 1, DailyBudgetUsd = 1m };
        AccountSnapshot[] accounts = [Cooling(At("13:51:00")), Probing(OtherTask), Ok(running: 1), Ok() with { SpentToday = 1m }];

        var decisions = accounts.Select(account => LimitPlanner.DecideStart(account, Request(false, maxWindows: 0), limits));

        Assert.All(decisions, d => Assert.Equal((StartAction.Park, new TaskWait(Now, 0, null)), (d.Action, d.Wait)));
    }

    [Fact]
    public void Both_bounds_apply_when_both_are_set()
    {
        var decision = LimitPlanner.DecideStart(Blocked(At("14:05:00")), Request(true, maxWindows: 3, maxWait: TimeSpan.FromMinutes(5)), Shipped);

        Assert.Equal(StartAction.FallBack, decision.Action);
        Assert.EndsWith("; maxWait 5m from 13:50:00Z ends before that", decision.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_spent_daily_budget_parks_until_the_next_budget_day()
    {
        var decision = LimitPlanner.DecideStart(Ok() with { SpentToday = 5.20m }, Request(true, null), Shipped with { DailyBudgetUsd = 5m });

        Assert.Equal(
            StartDecision.Park(WaitReason.Budget, At("1.00:00:00"), null, new TaskWait(Now, 0, null),
                "claude/3fa9c2d1e0b4 reached its daily budget of $5.00 ($5.20 spent) until 2025-06-03T00:00:00Z"),
            decision);
    }

    [Theory]
    [InlineData(4.99, StartAction.Grant)]
    [InlineData(5.00, StartAction.Park)]
    [InlineData(7.50, StartAction.Park)]
    public void A_budget_is_reached_once_the_spend_equals_it(double spent, StartAction action)
    {
        var account = Ok() with { SpentToday = (decimal)spent };

        Assert.Equal(action, LimitPlanner.DecideStart(account, Request(true, null), Shipped with { DailyBudgetUsd = 5m }).Action);
    }

    [Fact]
    public void A_spent_monthly_budget_parks_until_the_next_month()
    {
        var decision = LimitPlanner.DecideStart(Ok() with { SpentMonth = 100m }, Request(true, null), Shipped with { MonthlyBudgetUsd = 100m });

        Assert.Equal((WaitReason.Budget, new DateTime(2025, 7, 1, 0, 0, 0, DateTimeKind.Utc)), (decision.Reason!.Value, decision.Until!.Value));
        Assert.Contains("reached its monthly budget of $100.00 ($100.00 spent)", decision.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void With_both_budgets_spent_the_one_that_renews_later_decides()
    {
        var limits = Shipped with { DailyBudgetUsd = 5m, MonthlyBudgetUsd = 100m };

        var decision = LimitPlanner.DecideStart(Ok() with { SpentToday = 6m, SpentMonth = 101m }, Request(true, null), limits);

        Assert.Equal(new DateTime(2025, 7, 1, 0, 0, 0, DateTimeKind.Utc), decision.Until);
    }

    [Fact]
    public void Budget_days_follow_the_budget_time_zone()
    {
        var limits = Shipped with { DailyBudgetUsd = 5m, BudgetTimeZone = TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin") };

        var decision = LimitPlanner.DecideStart(Ok() with { SpentToday = 5m }, Request(true, null), limits);

        Assert.Equal(At("22:00:00"), decision.Until);
        Assert.EndsWith("until 22:00:00Z", decision.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_budget_beyond_maxWait_fails_a_task_with_no_next_agent()
    {
        var request = Request(false, null, maxWait: TimeSpan.FromMinutes(15));

        var decision = LimitPlanner.DecideStart(Ok() with { SpentToday = 5m }, request, Shipped with { DailyBudgetUsd = 5m });

        Assert.Equal(StartAction.Fail, decision.Action);
        Assert.Equal(
            "claude/3fa9c2d1e0b4 reached its daily budget of $5.00 ($5.00 spent) until 2025-06-03T00:00:00Z; maxWait 15m from 13:50:00Z ends before that; "
            + "no agent left to fall back to",
            decision.Message);
    }

    [Theory]
    [InlineData("14:05:00", WaitReason.Budget, "1.00:00:00")]
    [InlineData("1.01:00:00", WaitReason.Limit, "1.01:00:00")]
    public void Of_a_block_and_a_spent_budget_the_one_that_ends_later_decides(string blockedUntil, WaitReason reason, string until)
    {
        var account = Blocked(At(blockedUntil)) with { SpentToday = 5m };

        var decision = LimitPlanner.DecideStart(account, Request(true, null), Shipped with { DailyBudgetUsd = 5m });

        Assert.Equal((StartAction.Park, reason, At(until)), (decision.Action, decision.Reason!.Value, decision.Until!.Value));
    }

    [Fact]
    public void A_spent_budget_outlasts_a_probe_whose_end_is_unknown()
    {
        var decision = LimitPlanner.DecideStart(Probing(OtherTask) with { SpentToday = 5m }, Request(true, null), Shipped with { DailyBudgetUsd = 5m });

        Assert.Equal((WaitReason.Budget, At("1.00:00:00")), (decision.Reason!.Value, decision.Until!.Value));
    }
}
