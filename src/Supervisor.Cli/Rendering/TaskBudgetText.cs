using System.Globalization;
using Supervisor.Cli.Api;

namespace Supervisor.Cli.Rendering;

/// <summary>A task's budget as <c>show</c>, <c>budget</c> and <c>schedule show</c> say it.</summary>
static class TaskBudgetText
{
    /// <summary><c>$1.00, 50 000 tokens, then park</c>: the bounds and the policy (plain text); null without a bound.</summary>
    public static string? Bounds(decimal? maxCostUsd, long? maxTokens, string? onBudget)
    {
        if (maxCostUsd is null && maxTokens is null)
        {
            return null;
        }

        var parts = new List<string>();
        if (maxCostUsd is { } cost)
        {
            parts.Add(Usd(cost));
        }

        if (maxTokens is { } tokens)
        {
            parts.Add($"{Tokens(tokens)} tokens");
        }

        return $"{string.Join(", ", parts)}, then {onBudget ?? "stop"}";
    }

    /// <summary>The bounds, what was spent, and in red why the task may not spend more.</summary>
    public static string Markup(TaskBudget budget)
    {
        var text = Spectre.Console.Markup.Escape(Bounds(budget.MaxCostUsd, budget.MaxTokens, budget.OnBudget) ?? "none");
        text += Spectre.Console.Markup.Escape($"; spent {Usd(budget.SpentUsd)}, {Tokens(budget.SpentTokens)} tokens");
        return budget.Reached is { } reached ? $"{text} [red]({Spectre.Console.Markup.Escape(reached)})[/]" : text;
    }

    static string Usd(decimal amount) => "$" + amount.ToString("0.00##", CultureInfo.InvariantCulture);

    static string Tokens(long count) => count.ToString("#,0", CultureInfo.InvariantCulture).Replace(',', ' ');
}
