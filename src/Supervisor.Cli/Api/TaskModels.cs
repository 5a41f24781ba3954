using System.Text.Json;
using Supervisor.Contracts;

namespace Supervisor.Cli.Api;

// The JSON shapes of the HTTP API's task resources. Collections are nullable because a field the service leaves out
// must not crash the CLI; rendering treats null as empty. RunAt is when a delayed task starts (null: it ran at once, or
// a service from before delayed tasks). Limits is the task's own limit policy (its maxWait TimeSpan text, "00:15:00");
// Waiting is set while the task is parked on a blocked provider account or queued on its full concurrency key;
// Concurrency is the task's key (null: it has none).

/// <summary><c>202</c> answer of submit and of the task verbs.</summary>
sealed record TaskAccepted(Guid Id, string State, bool? Stopped = null);

/// <summary>An item of <c>GET /api/tasks</c>.</summary>
sealed record TaskSummary(
    Guid Id,
    string State,
    IReadOnlyList<string>? Agents,
    string? CurrentAgent,
    string? Prompt,
    DateTimeOffset CreatedAt,
    DateTimeOffset? UpdatedAt,
    DateTimeOffset? FinishedAt,
    IReadOnlyDictionary<string, string>? Labels,
    DateTimeOffset? RunAt,
    TaskLimits? Limits = null,
    TaskWaiting? Waiting = null,
    TaskConcurrency? Concurrency = null);

/// <summary><c>GET /api/tasks/{id}</c>.</summary>
sealed record TaskDetail(
    Guid Id,
    string State,
    string? Prompt,
    IReadOnlyList<string>? Agents,
    string? CurrentAgent,
    string? Risk,
    IReadOnlyDictionary<string, string>? Labels,
    RepositorySpec? Repository,
    int? TimeoutSeconds,
    string? Verify,
    bool ExpectChanges,
    string? SubmittedBy,
    DateTimeOffset CreatedAt,
    DateTimeOffset? RunAt,
    DateTimeOffset? UpdatedAt,
    DateTimeOffset? FinishedAt,
    string? Error,
    IReadOnlyList<AttemptView>? Attempts,
    IReadOnlyList<TransitionView>? Transitions,
    TaskResult? Result,
    JsonElement? Usage,
    string? Model = null,
    TaskLimits? Limits = null,
    TaskWaiting? Waiting = null,
    TaskConcurrency? Concurrency = null,
    TaskBudget? Budget = null);

/// <summary>
/// A task's budget: its bounds (null: none of that kind), what it does on reaching one, what its attempts spent, and why it may
/// not spend more (null while it may).
/// </summary>
sealed record TaskBudget(decimal? MaxCostUsd, long? MaxTokens, string? OnBudget, decimal SpentUsd, long SpentTokens, string? Reached);

/// <summary><c>202</c> answer of <c>POST /api/tasks/{id}/budget</c>: the task's state and budget.</summary>
sealed record TaskBudgetAccepted(Guid Id, string State, TaskBudget? Budget);

/// <summary>Body of <c>POST /api/tasks/{id}/budget</c>; null members are left out (unchanged).</summary>
sealed record TaskBudgetRequest(decimal? MaxCostUsd, long? MaxTokens, string? Reason);

/// <summary>What the task chose to do when its agent's account is blocked; each null where it left that to the agent.</summary>
sealed record TaskLimits(string? OnLimit, string? MaxWait, int? MaxWindows);

/// <summary>A task's concurrency key: at most <c>Limit</c> tasks of <c>Key</c> under way at once, and what it does when the key is full.</summary>
sealed record TaskConcurrency(string? Key, int? Limit, string? Strategy);

/// <summary>
/// A task parked on a blocked account: why (<c>limit</c>, <c>cap</c>, <c>budget</c>), until when (null: not known), when it
/// gives up (null: no time bound), since when, and what stands in the way. Or a task queued on its full concurrency key:
/// reason <see cref="ConcurrencyReason"/>, the <c>Key</c>, no account.
/// </summary>
sealed record TaskWaiting(
    string? Reason,
    string? Account,
    DateTimeOffset? Until,
    DateTimeOffset? Deadline,
    DateTimeOffset? Since,
    string? Message,
    string? Key = null)
{
    /// <summary>The reason of a task queued on its full concurrency key.</summary>
    public const string ConcurrencyReason = "concurrency";

    /// <summary>Whether the task waits for its concurrency key (not for an account).</summary>
    public bool OnKey => Reason == ConcurrencyReason;
}

sealed record AttemptView(
    int Number,
    int Pass,
    string? Agent,
    string? Worker,
    string? Host,
    int Redelivery,
    DateTimeOffset? StartedAt,
    DateTimeOffset? FinishedAt,
    int? ExitCode,
    string? ErrorClass,
    string? Message,
    DateTimeOffset? NextRetryAt,
    string? Branch,
    string? Model = null,
    string? Account = null);

sealed record TransitionView(string? From, string To, string? Event, DateTimeOffset At, string? By = null, string? Reason = null);

/// <summary>An item of <c>GET /api/tasks/{id}/logs</c>, or the data of an SSE <c>chunk</c> event.</summary>
sealed record LogChunkView(int Attempt, long Sequence, string? Stream, string? Text, DateTimeOffset At);
