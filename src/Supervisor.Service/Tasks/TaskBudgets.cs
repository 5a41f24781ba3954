using Supervisor.Contracts;
using Supervisor.Rules.Limits;

namespace Supervisor.Service.Tasks;

/// <summary>
/// A task's budget over its record: what its attempts spent, what the next one may spend, and how reaching it stops or
/// pauses the task. Every method runs on the locked task and is idempotent.
/// </summary>
static class TaskBudgets
{
    /// <summary>Said by and for a task its budget paused.</summary>
    public const string By = "budget";

    public static TaskBudget Budget(this TaskState task) => new(task.MaxCostUsd, task.MaxTokens);

    /// <summary>Dollars and tokens over all the task's attempts, as their agents reported them.</summary>
    public static TaskSpend Spent(this TaskState task) => TaskSpend.Of(task.Attempts.Select(a => (a.InputTokens, a.OutputTokens, a.CostUsd)));

    /// <summary>Why the task may not start another attempt, or null when its budget (if any) has room.</summary>
    public static string? OverBudget(this TaskState task) => task.Budget() is { IsSet: true } budget ? budget.Reached(task.Spent()) : null;

    /// <summary>What a granted attempt may spend, for its worker to watch; null when the task has no budget.</summary>
    public static AttemptBudget? BudgetLeft(this TaskState task)
    {
        if (task.Budget() is not { IsSet: true } budget)
            return null;
        var (cost, tokens) = budget.Left(task.Spent());
        return new AttemptBudget(cost, tokens);
    }

    /// <summary>
    /// Whether the holder's failure ends the current agent's work on the budget: the worker ended the attempt for spending
    /// past it, or a retry would come while nothing is left.
    /// </summary>
    public static bool StoppedByBudget(this TaskState task, AgentAttemptFailed failure) =>
        failure.ErrorClass == ErrorClasses.BudgetExceeded || (failure.NextRetryAt is not null && task.OverBudget() is not null);

    /// <summary>Whether the task parks (is paused) rather than stops when its budget is reached.</summary>
    public static bool ParksOnBudget(this TaskState task) => task.OnBudget == BudgetPolicies.Park;

    /// <summary>The budget stops the task: it fails, saying which budget; raising it starts the task again.</summary>
    public static void StopForBudget(this TaskState task, string reason, DateTime now)
    {
        task.Error = $"{task.CurrentAgent}: {reason}";
        task.BudgetHeld = true;
        task.Fail(now);
    }

    /// <summary>The budget pauses the task: nothing starts until the budget is raised (or the task resumed), then the current agent runs again.</summary>
    public static void ParkForBudget(this TaskState task, string reason, DateTime now)
    {
        task.Pause(By, reason);
        task.BudgetHeld = true;
        task.DispatchOnResume = true;
        task.StartAllowedAt = null;
        task.UpdatedAt = now;
    }

    /// <summary>The task's budget as <paramref name="change"/> sets it, on the audit trail.</summary>
    public static void ChangeBudget(this TaskState task, ChangeTaskBudget change, DateTime now)
    {
        task.MaxCostUsd = change.MaxCostUsd ?? task.MaxCostUsd;
        task.MaxTokens = change.MaxTokens ?? task.MaxTokens;
        task.UpdatedAt = now;
        var spent = task.Spent();
        task.Transitions.Add(new TaskTransition
        {
            TaskId = task.CorrelationId,
            From = task.CurrentState,
            To = task.CurrentState,
            Event = "BudgetChanged",
            At = now,
            By = change.By ?? "someone",
            Reason = $"maxCostUsd {Usd(task.MaxCostUsd)}, maxTokens {Tokens(task.MaxTokens)}" + (string.IsNullOrWhiteSpace(change.Reason) ? "" : $": {change.Reason}")
                + $" ({LimitText.Usd(spent.CostUsd)} and {TaskBudget.Tokens(spent.Tokens)} tokens spent)",
        });
    }

    /// <summary>Whether a raised budget lets a task its budget held go on.</summary>
    public static bool ReleasedByBudget(this TaskState task) => task.BudgetHeld && task.OverBudget() is null;

    /// <summary>A task its budget stopped goes on, on the agent it stopped on, as a new pass.</summary>
    public static void ContinueAfterBudget(this TaskState task, ChangeTaskBudget change)
    {
        task.Decision = (change.By, change.Reason ?? "budget raised");
        task.BudgetHeld = false;
        task.DispatchOnResume = false;
        task.Error = null;
        task.FinishedAt = null;
    }

    static string Usd(decimal? amount) => amount is { } value ? LimitText.Usd(value) : "none";

    static string Tokens(long? count) => count is { } value ? TaskBudget.Tokens(value) : "none";
}
