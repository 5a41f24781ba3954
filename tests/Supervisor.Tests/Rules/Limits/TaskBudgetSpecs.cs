using Supervisor.Rules.Limits;

namespace Supervisor.Tests.Rules.Limits;

/// <summary>A task's budget over what its attempts spent: reached at or past a bound, and what the next attempt may spend.</summary>
public sealed class TaskBudgetSpecs
{
    [Fact]
    public void A_budget_is_reached_at_its_bound_not_before()
    {
        var budget = new TaskBudget(1.00m, null);

        Assert.Null(budget.Reached(new TaskSpend(0.99m, 1_000_000)));
        Assert.Equal("budget: maxCostUsd $1.00 reached ($1.00 spent)", budget.Reached(new TaskSpend(1.00m, 0)));
    }

    [Fact]
    public void The_cost_bound_is_named_before_the_token_bound_when_both_are_reached()
    {
        var budget = new TaskBudget(0.50m, 10_000);

        Assert.Equal("budget: maxCostUsd $0.50 reached ($0.53 spent)", budget.Reached(new TaskSpend(0.53m, 12_345)));
        Assert.Equal("budget: maxTokens 10 000 reached (12 345 used)", budget.Reached(new TaskSpend(0.10m, 12_345)));
    }

    [Fact]
    public void What_is_left_never_goes_below_zero_and_is_null_for_a_kind_without_a_bound()
    {
        Assert.Equal((0.25m, (long?)null), new TaskBudget(1.00m, null).Left(new TaskSpend(0.75m, 500)));
        Assert.Equal(((decimal?)null, 0L), new TaskBudget(null, 300).Left(new TaskSpend(2m, 400)));
    }

    [Fact]
    public void A_budget_without_bounds_is_not_set_and_never_reached()
    {
        var none = new TaskBudget(null, null);

        Assert.False(none.IsSet);
        Assert.Null(none.Reached(new TaskSpend(1_000m, long.MaxValue)));
    }
}
