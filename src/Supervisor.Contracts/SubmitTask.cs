namespace Supervisor.Contracts;

/// <summary>
/// Asks the supervisor to run a task. Idempotent on <see cref="TaskId"/>: a second submit with the same id is ignored.
/// Any MassTransit application may publish it; the service resolves and validates the agent chain. With
/// <see cref="RunAt"/> (UTC) in the future the task waits, in state <c>Submitted</c>, until then.
/// <see cref="Agents"/> named are the whole chain, also when there is one; <see cref="FollowFallback"/> true makes a single
/// named agent bring its configured <c>Fallback</c> chain along. No agent named: the default agent with its chain (or
/// alone, when <see cref="FollowFallback"/> is false). <see cref="Model"/> is the model the chain's first agent is asked to
/// use instead of its profile's default; the agents after it use their own. <see cref="OnLimit"/> (<c>wait</c> or
/// <c>fallback</c>), <see cref="MaxWait"/> and <see cref="MaxWindows"/> say what the task does while its agent's account is
/// blocked by a limit; unset, each agent's <c>Limits</c> defaults apply. <see cref="ConcurrencyKey"/> (a repository, say)
/// lets at most <see cref="ConcurrencyLimit"/> (default 1) tasks of that key be under way at once; a task over it does
/// what <see cref="ConcurrencyStrategy"/> says (<see cref="ConcurrencyStrategies"/>; default <c>queue</c>).
/// <see cref="MaxCostUsd"/> and <see cref="MaxTokens"/> bound what the task's attempts may spend, summed over all of them;
/// reaching one does what <see cref="OnBudget"/> says (<see cref="BudgetPolicies"/>; default <c>stop</c>).
/// </summary>
public sealed record SubmitTask(
    Guid TaskId,
    string Prompt,
    IReadOnlyList<string>? Agents,
    RepositorySpec? Repository,
    string? Risk,
    int? TimeoutSeconds,
    string? Verify,
    bool ExpectChanges,
    IReadOnlyDictionary<string, string>? Labels,
    string? SubmittedBy,
    DateTime? RunAt = null,
    bool? FollowFallback = null,
    string? Model = null,
    string? OnLimit = null,
    TimeSpan? MaxWait = null,
    int? MaxWindows = null,
    string? ConcurrencyKey = null,
    int? ConcurrencyLimit = null,
    string? ConcurrencyStrategy = null,
    decimal? MaxCostUsd = null,
    long? MaxTokens = null,
    string? OnBudget = null);
