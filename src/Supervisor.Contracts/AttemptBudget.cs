namespace Supervisor.Contracts;

/// <summary>
/// What an attempt may still spend of its task's budget (null: no bound of that kind). A worker whose agent reports
/// usage as it runs ends the attempt, as <see cref="ErrorClasses.BudgetExceeded"/>, once it has spent more.
/// </summary>
public sealed record AttemptBudget(decimal? CostUsd, long? Tokens);
