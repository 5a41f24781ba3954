namespace Supervisor.Contracts;

/// <summary>
/// What a task does when it has spent its <see cref="SubmitTask.MaxCostUsd"/> or <see cref="SubmitTask.MaxTokens"/>
/// (<see cref="SubmitTask.OnBudget"/>).
/// </summary>
public static class BudgetPolicies
{
    /// <summary>The task fails, naming the budget (the default). Raising the budget restarts it.</summary>
    public const string Stop = "stop";

    /// <summary>The task is paused by its budget; raising the budget resumes it.</summary>
    public const string Park = "park";

    public static readonly IReadOnlyList<string> All = [Stop, Park];

    /// <summary>The largest budget a task may set: dollars and tokens.</summary>
    public const decimal MaxCostUsd = 100_000m;

    public const long MaxTokens = 10_000_000_000L;
}
