namespace Supervisor.Service.Api;

/// <summary>
/// A command's answer: the state the task is in. <see cref="Stopped"/> (cancel only): true once the task is Cancelled and
/// no attempt of it holds the lease — its worker confirmed that its agent is stopped or never started, and none will
/// start; false when that was not confirmed within the wait (a worker that is lost confirms when its lease expires).
/// </summary>
public sealed record TaskAccepted(Guid Id, string State, bool? Stopped = null);

/// <summary>
/// One line of a task list; <see cref="RunAt"/>: when a delayed task starts (it waits in Submitted until then);
/// <see cref="Limits"/>: its own limit policy; <see cref="Concurrency"/>: its concurrency key, null without one;
/// <see cref="Waiting"/>: where it waits (a blocked account or its full key), null unless it does; <see cref="Risk"/>: as submitted.
/// </summary>
public sealed record TaskSummaryView(
    Guid Id, string State, IReadOnlyList<string> Agents, string? CurrentAgent, string Prompt,
    DateTime CreatedAt, DateTime UpdatedAt, DateTime? FinishedAt, IReadOnlyDictionary<string, string> Labels, DateTime? RunAt,
    LimitsView Limits, ConcurrencyView? Concurrency, WaitingView? Waiting, string? Risk = null)
{
    public static TaskSummaryView Of(Storage.TaskSummary t) =>
        new(t.Id, t.State, t.Agents, t.CurrentAgent, t.Prompt, t.CreatedAt, t.UpdatedAt, t.FinishedAt, t.Labels, t.RunAt,
            LimitsView.Of(t.Limits), ConcurrencyView.Of(t.Concurrency), WaitingView.Of(t.Hold), t.Risk);
}

/// <summary>
/// A task, whole; <see cref="RunAt"/>: when a delayed task starts (it waits in Submitted until then); <see cref="Limits"/>:
/// its own limit policy; <see cref="Concurrency"/>: its concurrency key, null without one; <see cref="Waiting"/>: where it
/// waits (a blocked account or its full key), null unless it does; <see cref="Model"/>: the model its first agent was asked
/// for instead of its profile's default.
/// </summary>
public sealed record TaskView(
    Guid Id, string State, string Prompt, IReadOnlyList<string> Agents, string? CurrentAgent, string? Risk,
    IReadOnlyDictionary<string, string> Labels, RepositoryView? Repository, int? TimeoutSeconds, string? Verify, bool ExpectChanges,
    string? SubmittedBy, DateTime CreatedAt, DateTime? RunAt, DateTime UpdatedAt, DateTime? FinishedAt, string? Error,
    IReadOnlyList<AttemptView> Attempts, IReadOnlyList<TransitionView> Transitions, ResultView? Result, UsageView? Usage,
    LimitsView Limits, ConcurrencyView? Concurrency, WaitingView? Waiting, string? Model = null, TaskBudgetView? Budget = null);

/// <summary>
/// A task's budget: the bounds (null: none of that kind), what it does on reaching one (<c>stop</c> or <c>park</c>), what
/// its attempts spent, summed, and <see cref="Reached"/>: why it may not spend more, null while it may.
/// </summary>
public sealed record TaskBudgetView(decimal? MaxCostUsd, long? MaxTokens, string OnBudget, decimal SpentUsd, long SpentTokens, string? Reached)
{
    public static TaskBudgetView? Of(Storage.TaskBudgetChoices? budget, IReadOnlyList<Storage.AttemptRecord> attempts)
    {
        if (budget is null)
            return null;
        var spent = Rules.Limits.TaskSpend.Of(attempts.Select(a => (a.InputTokens, a.OutputTokens, a.CostUsd)));
        var bounds = new Rules.Limits.TaskBudget(budget.MaxCostUsd, budget.MaxTokens);
        return new(budget.MaxCostUsd, budget.MaxTokens, budget.OnBudget ?? Contracts.BudgetPolicies.Stop, spent.CostUsd, spent.Tokens,
            bounds.IsSet ? bounds.Reached(spent) : null);
    }
}

/// <summary>
/// What the task itself chose to do when its agent's account is blocked: <c>onLimit</c> (<c>wait</c> or <c>fallback</c>),
/// <c>maxWait</c> and <c>maxWindows</c>; each null where the task left it to its agent's <c>Limits</c>.
/// </summary>
public sealed record LimitsView(string? OnLimit, TimeSpan? MaxWait, int? MaxWindows)
{
    public static LimitsView Of(Storage.TaskLimitChoices limits) =>
        new(limits.OnLimit, limits.MaxWaitSeconds is { } seconds ? TimeSpan.FromSeconds(seconds) : null, limits.MaxWindows);
}

/// <summary>
/// A task's concurrency key: at most <see cref="Limit"/> tasks of <see cref="Key"/> under way at once, and what the task does
/// when the key is full (<see cref="Strategy"/>: <c>queue</c>, <c>cancelRunning</c> or <c>dropNewest</c>). The defaults the
/// task left (limit 1, queue) are shown as they apply.
/// </summary>
public sealed record ConcurrencyView(string Key, int Limit, string Strategy)
{
    public static ConcurrencyView? Of(Storage.TaskConcurrency? concurrency) =>
        concurrency is null ? null
        : new(concurrency.Key, concurrency.Limit ?? 1, concurrency.Strategy ?? Contracts.ConcurrencyStrategies.Queue);
}

/// <summary>
/// Where a task waits. Parked on a blocked account (its state stays RetryScheduled): <see cref="Reason"/> <c>limit</c>,
/// <c>cap</c> or <c>budget</c>; <see cref="Until"/> when the wait should end (null: not known, as for a cap);
/// <see cref="Deadline"/> when the task stops waiting and falls back or fails (null: no time bound); <see cref="Since"/> when
/// it first parked in this agent's turn. Queued on its full concurrency key (it stays Submitted): <see cref="Reason"/>
/// <c>concurrency</c>, <see cref="Key"/> the key, no account, no until or deadline; <see cref="Since"/> when it queued.
/// <see cref="Message"/>: what stands in the way, for people.
/// </summary>
public sealed record WaitingView(
    string? Reason, string? Account, string? Key, DateTime? Until, DateTime? Deadline, DateTime? Since, string? Message)
{
    public static WaitingView? Of(Storage.TaskHold? hold) =>
        hold is null ? null : new(hold.Reason, hold.Account, hold.Key, hold.Until, hold.Deadline, hold.Since, hold.Message);
}

public sealed record RepositoryView(
    string? Path, string? Url, string? BaseRef, string? PushTo = null, bool OpenPullRequest = false, string? PullRequestTitle = null, string? PullRequestBody = null);

public sealed record AttemptView(
    int Number, int Pass, string Agent, string? Worker, string? Host, int Redelivery, DateTime? StartedAt, DateTime? FinishedAt,
    int? ExitCode, string? ErrorClass, string? Message, DateTime? NextRetryAt, string? Branch, long? OutputChunks, UsageView? Usage,
    DateTime? LastHeartbeat = null, DateTime? LastOutputAt = null, bool? WorkerLost = null, string? Model = null, string? Account = null);

public sealed record UsageView(long? InputTokens, long? OutputTokens, decimal? CostUsd)
{
    public static UsageView? Of(long? inputTokens, long? outputTokens, decimal? costUsd) =>
        inputTokens is null && outputTokens is null && costUsd is null ? null : new(inputTokens, outputTokens, costUsd);
}

public sealed record TransitionView(string From, string To, string Event, DateTime At, string? By, string? Reason);

/// <summary>
/// A task's result; for a remote repository also <see cref="Remote"/>, where the branch was pushed, <see cref="Link"/>, the
/// forge's compare page, and <see cref="PullRequest"/>, the page of the pull request opened for it.
/// </summary>
public sealed record ResultView(
    string Agent, string? Branch, string? Commit, string? DiffStat, string? Summary, string? Remote = null, string? Link = null, string? PullRequest = null);

/// <summary>A configured agent: its queue, the workers that serve it, and the provider accounts they use (<see cref="AccountView"/>).</summary>
public sealed record AgentView(
    string Name, string? Command, string Isolation, string? Fallback, int Concurrency, int TimeoutSeconds, long? QueueDepth,
    IReadOnlyList<Fleet.WorkerView> Workers, IReadOnlyList<AccountView> Accounts);

/// <summary>Body of a task's or a schedule's command: why. <c>by</c> is accepted from older clients and ignored.</summary>
public sealed record TaskCommandRequest(
    string? Reason,
    [property: System.ComponentModel.Description("Ignored: the change is recorded as made by the token's name.")]
    string? By);
