namespace Supervisor.Service.Storage;

/// <summary>Reads of the tasks the saga keeps, for the API and the log follower; never through the saga.</summary>
public interface ITaskReads
{
    /// <summary>The newest tasks first (by creation, then id) that pass <paramref name="filter"/>, at most <paramref name="limit"/>.</summary>
    Task<IReadOnlyList<TaskSummary>> ListAsync(TaskFilter filter, int limit, CancellationToken cancellationToken);

    /// <summary>How many tasks pass <paramref name="filter"/> in each state (its own state and page ignored); states without any are left out.</summary>
    Task<IReadOnlyDictionary<string, long>> CountByStateAsync(TaskFilter filter, CancellationToken cancellationToken);

    /// <summary>The id of the newest line of any task's audit trail (0 when there is none): it grows with every state change and note.</summary>
    Task<long> LastTransitionAsync(CancellationToken cancellationToken);

    /// <summary>A task with its attempts and its audit trail, or null when there is no such task.</summary>
    Task<TaskRecord?> GetAsync(Guid id, CancellationToken cancellationToken);

    /// <summary>The task's state, or null when there is no such task; asked on every submit that names its id.</summary>
    Task<string?> GetStateAsync(Guid id, CancellationToken cancellationToken);

    /// <summary>
    /// Whether the task is Cancelled and no attempt of it holds its lease (none is running or about to start its agent):
    /// its cancel is confirmed.
    /// </summary>
    Task<bool> CancelConfirmedAsync(Guid id, CancellationToken cancellationToken);
}

/// <summary>
/// Which tasks a list shows; every part optional. <see cref="Waiting"/>: only those parked on a blocked account or queued on
/// their full concurrency key. <see cref="Agent"/>: any agent of the chain. <see cref="Label"/>: <c>key</c> (the task has the
/// label) or <c>key=value</c>. <see cref="Text"/>: a part of the prompt, any case. <see cref="Before"/>: only tasks older than
/// that one (the last of the previous page).
/// </summary>
public sealed record TaskFilter(
    string? State = null, bool Waiting = false, TaskIdRange? Ids = null, string? Agent = null, string? Label = null, string? Text = null,
    Guid? Before = null);

/// <summary>The ids that start with a prefix, as a range of the primary key (ids ordered as their hex text).</summary>
public sealed record TaskIdRange(Guid From, Guid To)
{
    /// <summary>The range of a prefix of 1 to 32 hexadecimal digits (dashes allowed), or null for anything else.</summary>
    public static TaskIdRange? Of(string prefix)
    {
        var hex = prefix.Replace("-", "", StringComparison.Ordinal).ToLowerInvariant();
        if (hex.Length is < 1 or > 32 || !hex.All(char.IsAsciiHexDigit))
            return null;
        return new TaskIdRange(Guid.ParseExact(hex.PadRight(32, '0'), "N"), Guid.ParseExact(hex.PadRight(32, 'f'), "N"));
    }
}

/// <summary>One line of a task list.</summary>
public sealed record TaskSummary(
    Guid Id, string State, IReadOnlyList<string> Agents, string? CurrentAgent, string Prompt,
    DateTime CreatedAt, DateTime UpdatedAt, DateTime? FinishedAt, IReadOnlyDictionary<string, string> Labels, DateTime? RunAt,
    TaskLimitChoices Limits, TaskHold? Hold, TaskConcurrency? Concurrency, string? Risk = null);

/// <summary>
/// A task's concurrency key as submitted (its <c>concurrency_*</c> columns): at most <see cref="Limit"/> tasks of
/// <see cref="Key"/> under way at once, and what the task does when the key is full; null limit and strategy are the defaults.
/// </summary>
public sealed record TaskConcurrency(string Key, int? Limit, string? Strategy)
{
    /// <summary>The concurrency of a task whose columns are these; null when it has no key.</summary>
    public static TaskConcurrency? Of(string? key, int? limit, string? strategy) =>
        key is null ? null : new TaskConcurrency(key, limit, strategy);
}

/// <summary>A task's own limit policy as submitted; each part null where the task left it to its agent's <c>Limits</c>.</summary>
public sealed record TaskLimitChoices(string? OnLimit, int? MaxWaitSeconds, int? MaxWindows);

/// <summary>
/// Where a task waits (its <c>hold_*</c> columns). Parked on a blocked account (its state stays <c>RetryScheduled</c>):
/// the account, why (<c>limit</c>, <c>cap</c>, <c>budget</c>), until when (null: nobody knows), when it gives up (null: no
/// time bound), since when in this agent's turn. Queued on its full concurrency key (it stays <c>Submitted</c>): reason
/// <c>concurrency</c>, the <see cref="Key"/>, no account and no end known. Either way a message for people.
/// </summary>
public sealed record TaskHold(string? Account, string? Reason, string? Key, DateTime? Until, DateTime? Deadline, DateTime? Since, string? Message)
{
    /// <summary>The <c>hold_reason</c> of a task queued on its concurrency key (with no <c>hold_account</c>).</summary>
    public const string ConcurrencyReason = "concurrency";

    /// <summary>
    /// The hold of a task whose columns are these; null when it waits for nothing (no <c>hold_account</c>, and not queued on
    /// its key).
    /// </summary>
    public static TaskHold? Of(
        string? account, string? reason, string? concurrencyKey, DateTime? until, DateTime? deadline, DateTime? since, string? message) =>
        reason == ConcurrencyReason ? new TaskHold(null, reason, concurrencyKey, null, null, since, message)
        : account is null ? null
        : new TaskHold(account, reason, null, until, deadline, since, message);
}

/// <summary>A task as stored: its state, what was submitted, its result, its attempts and its audit trail.</summary>
public sealed record TaskRecord(
    Guid Id, string State, string Prompt, IReadOnlyList<string> Agents, string? CurrentAgent, string? Risk,
    IReadOnlyDictionary<string, string> Labels, string? RepositoryPath, string? RepositoryUrl, string? BaseRef, int? TimeoutSeconds,
    string? Verify, bool ExpectChanges, string? SubmittedBy, DateTime CreatedAt, DateTime UpdatedAt, DateTime? FinishedAt, string? Error,
    string? ResultAgent, string? ResultBranch, string? ResultCommit, string? ResultDiffStat, string? ResultSummary,
    IReadOnlyList<AttemptRecord> Attempts, IReadOnlyList<TransitionRecord> Transitions, DateTime? RunAt, TaskLimitChoices Limits, TaskHold? Hold,
    TaskConcurrency? Concurrency, string? Model = null, TaskBudgetChoices? Budget = null, TaskRemote? Remote = null);

/// <summary>What a task of a remote repository asked for (push branch, pull request) and where its result went.</summary>
public sealed record TaskRemote(string? PushTo, bool OpenPullRequest, string? PullRequestTitle, string? PullRequestBody, string? ResultRemote,
    string? ResultLink, string? ResultPullRequest);

/// <summary>A task's budget as submitted or set since; <see cref="Held"/>: the budget stopped or paused the task.</summary>
public sealed record TaskBudgetChoices(decimal? MaxCostUsd, long? MaxTokens, string? OnBudget, bool Held)
{
    /// <summary>The budget of a task whose columns are these; null when it has none.</summary>
    public static TaskBudgetChoices? Of(decimal? maxCostUsd, long? maxTokens, string? onBudget, bool held) =>
        maxCostUsd is null && maxTokens is null && !held ? null : new(maxCostUsd, maxTokens, onBudget, held);
}

/// <summary>One run of one agent on a task; <see cref="Account"/>: the provider account it ran on (null for an agent without one).</summary>
public sealed record AttemptRecord(
    Guid Id, int Number, int Pass, string Agent, string? Worker, string? Host, int Redelivery, string? Branch, DateTime? StartedAt,
    DateTime? FinishedAt, int? ExitCode, string? ErrorClass, string? Message, DateTime? NextRetryAt, long? OutputChunks,
    long? InputTokens, long? OutputTokens, decimal? CostUsd, string? Account, string? Model = null);

/// <summary>One line of a task's audit trail.</summary>
public sealed record TransitionRecord(string From, string To, string Event, DateTime At, string? By, string? Reason);
