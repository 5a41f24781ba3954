using System.Globalization;
using Supervisor.Contracts;

namespace Supervisor.Rules.Interpretation;

/// <summary>
/// Whether an attempt has spent more than its task's budget left it (<see cref="AttemptBudget"/>, from the saga's start
/// check): more tokens than <see cref="AttemptBudget.Tokens"/> or a higher cost than <see cref="AttemptBudget.CostUsd"/>.
/// Spending exactly what was left is not an overrun. A bound the budget does not set, or usage the output has not
/// reported, is never exceeded.
/// </summary>
public static class BudgetOverrun
{
    /// <summary>Thousands grouped with spaces ("12 345"), the same in every culture.</summary>
    static readonly NumberFormatInfo Numbers = new() { NumberGroupSeparator = " ", NumberDecimalSeparator = "." };

    /// <summary>Whether <paramref name="budget"/> bounds anything at all.</summary>
    public static bool Bounds(AttemptBudget? budget) => budget is { CostUsd: not null } or { Tokens: not null };

    /// <summary>Why the attempt is over its budget ("budget: the attempt used …"), or null while it is not.</summary>
    public static string? Of(AttemptBudget budget, long? tokens, decimal? costUsd)
    {
        ArgumentNullException.ThrowIfNull(budget);
        // Cost first: it is what a budget in money is about, and the only bound when both are passed at once.
        if (budget.CostUsd is { } leftUsd && costUsd is { } cost && cost > leftUsd)
            return $"budget: the attempt cost ${Usd(cost)}, more than the ${Usd(leftUsd)} left of the task's maxCostUsd";
        if (budget.Tokens is { } leftTokens && tokens is { } used && used > leftTokens)
            return $"budget: the attempt used {Count(used)} tokens, more than the {Count(leftTokens)} left of the task's maxTokens";
        return null;
    }

    /// <summary>A token count as the messages write it ("12 345").</summary>
    public static string Count(long tokens) => tokens.ToString("#,0", Numbers);

    /// <summary>A cost as the messages write it: cents, and up to four places where they matter ("0.50", "0.1738").</summary>
    public static string Usd(decimal usd) => usd.ToString("#,0.00##", Numbers);
}
