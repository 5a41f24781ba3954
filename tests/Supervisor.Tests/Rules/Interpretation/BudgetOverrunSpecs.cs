using Supervisor.Contracts;
using Supervisor.Rules.Interpretation;

namespace Supervisor.Tests.Rules.Interpretation;

public sealed class BudgetOverrunSpecs
{
    [Fact]
    public void More_tokens_than_were_left_is_an_overrun_that_says_both_counts() =>
        Assert.Equal("budget: the attempt used 12 345 tokens, more than the 10 000 left of the task's maxTokens",
            BudgetOverrun.Of(new AttemptBudget(null, 10_000), 12_345, null));

    [Fact]
    public void A_higher_cost_than_was_left_is_an_overrun_that_says_both_amounts() =>
        Assert.Equal("budget: the attempt cost $0.5312, more than the $0.50 left of the task's maxCostUsd",
            BudgetOverrun.Of(new AttemptBudget(0.5m, 1_000_000), 1_000, 0.5312m));

    [Fact]
    public void Spending_exactly_what_was_left_is_no_overrun() =>
        Assert.Null(BudgetOverrun.Of(new AttemptBudget(0.5m, 10_000), 10_000, 0.5m));

    [Theory]
    [InlineData(null, null)]
    [InlineData(99_999L, null)]
    public void A_bound_the_budget_does_not_set_or_usage_not_reported_is_never_exceeded(long? tokens, double? cost) =>
        Assert.Null(BudgetOverrun.Of(new AttemptBudget(0.01m, null), tokens, (decimal?)cost));

    [Fact]
    public void Only_a_budget_with_a_bound_bounds_anything()
    {
        Assert.False(BudgetOverrun.Bounds(null));
        Assert.False(BudgetOverrun.Bounds(new AttemptBudget(null, null)));
        Assert.True(BudgetOverrun.Bounds(new AttemptBudget(null, 1)));
        Assert.True(BudgetOverrun.Bounds(new AttemptBudget(0m, null)));
    }
}
