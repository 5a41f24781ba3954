using System.Globalization;

namespace Supervisor.Rules.Limits;

/// <summary>What a task's attempts have spent, summed over all of them: dollars where the agents reported them, and tokens.</summary>
public sealed record TaskSpend(decimal CostUsd, long Tokens)
{
    public static TaskSpend None { get; } = new(0, 0);

    /// <summary>The sum over <paramref name="attempts"/>' reported usage: input and output tokens, and cost where reported.</summary>
    public static TaskSpend Of(IEnumerable<(long? InputTokens, long? OutputTokens, decimal? CostUsd)> attempts)
    {
        ArgumentNullException.ThrowIfNull(attempts);
        var spent = attempts.ToList();
        return new(spent.Sum(a => a.CostUsd ?? 0), spent.Sum(a => (a.InputTokens ?? 0) + (a.OutputTokens ?? 0)));
    }
}

/// <summary>
/// A task's budget (<c>maxCostUsd</c>, <c>maxTokens</c>; null: no bound of that kind), over what all its attempts spend.
/// Reached when the spend is at or past a bound: the next attempt would start with nothing left.
/// </summary>
public sealed record TaskBudget(decimal? MaxCostUsd, long? MaxTokens)
{
    /// <summary>Whether the task has a budget at all.</summary>
    public bool IsSet => MaxCostUsd is not null || MaxTokens is not null;

    /// <summary>Why the task may not spend more, said for a person (<c>budget: maxCostUsd $0.50 reached ($0.53 spent)</c>); null when it may.</summary>
    public string? Reached(TaskSpend spent)
    {
        ArgumentNullException.ThrowIfNull(spent);
        if (MaxCostUsd is { } cost && spent.CostUsd >= cost)
            return $"budget: maxCostUsd {LimitText.Usd(cost)} reached ({LimitText.Usd(spent.CostUsd)} spent)";
        if (MaxTokens is { } tokens && spent.Tokens >= tokens)
            return $"budget: maxTokens {Tokens(tokens)} reached ({Tokens(spent.Tokens)} used)";
        return null;
    }

    /// <summary>What an attempt may still spend (null for a kind without a bound); never below zero.</summary>
    public (decimal? CostUsd, long? Tokens) Left(TaskSpend spent)
    {
        ArgumentNullException.ThrowIfNull(spent);
        return (MaxCostUsd is { } cost ? Math.Max(0, cost - spent.CostUsd) : null, MaxTokens is { } tokens ? Math.Max(0, tokens - spent.Tokens) : null);
    }

    /// <summary>Tokens as a person reads them: <c>12 345</c>.</summary>
    public static string Tokens(long count) => count.ToString("#,0", CultureInfo.InvariantCulture).Replace(',', ' ');
}
