using System.ComponentModel;

namespace Supervisor.Service.Api;

/// <summary>Body of <c>POST /api/tasks</c>.</summary>
public sealed record SubmitTaskRequest(
    Guid? Id,
    string? Prompt,
    string[]? Agents,
    string? Agent,
    RepositoryRequest? Repository,
    string? Risk,
    int? TimeoutSeconds,
    string? Verify,
    bool? ExpectChanges,
    Dictionary<string, string>? Labels,
    [property: Description("When the task starts: an ISO 8601 time with an offset (2026-12-05T10:00:00Z). Until then it waits in Submitted, "
        + "and can be cancelled. Omitted: at once.")]
    string? RunAt = null,
    [property: Description("With 'agent' (or one of 'agents'): true runs that agent's configured Fallback chain after it; false or omitted "
        + "runs the named agent only. With no agent: false runs the default agent alone; omitted brings its chain.")]
    bool? Fallback = null,
    [property: Description("The model the first agent is asked to use instead of its profile's Model (its {model} placeholder); "
        + "one of the profile's Models when it lists them. The agents after it use their own.")]
    string? Model = null,
    [property: Description("What the task does when its agent's account is blocked by a limit: 'wait' for the account (within maxWait "
        + "and maxWindows, then fall back or fail) or 'fallback' to the next agent of the chain at once. Omitted: the agent's Limits:OnLimit.")]
    string? OnLimit = null,
    [property: Description("The longest the task waits on one agent's blocked account: a duration (15m, 1h30m, 00:15:00), 0s (never "
        + "wait) to 7d; kept to the second, rounded up. Omitted: the agent's Limits:MaxWait.")]
    string? MaxWait = null,
    [property: Description("How many blocks of one agent's account (usage windows, quotas, billing stops; not rate-limit cool-downs) "
        + "the task waits through, 1 to 100. Omitted: the agent's Limits:MaxWindows.")]
    int? MaxWindows = null,
    [property: Description("A key (1-200 characters; a repository, say) of which at most concurrencyLimit tasks are under way at once; "
        + "a task over it does what concurrencyStrategy says. Omitted: the task has no key.")]
    string? ConcurrencyKey = null,
    [property: Description("How many tasks of concurrencyKey may be under way at once, 1 to 100 (default 1). Needs concurrencyKey.")]
    int? ConcurrencyLimit = null,
    [property: Description("What the task does when its key already has concurrencyLimit tasks under way: 'queue' (wait in Submitted, "
        + "in order; the default), 'cancelRunning' (cancel the oldest under way, then start) or 'dropNewest' (cancel this one). "
        + "Needs concurrencyKey.")]
    string? ConcurrencyStrategy = null,
    [property: Description("The most dollars the task's attempts may spend, summed over all of them (above 0, at most 100000), as their agents "
        + "report cost. A worker whose agent reports usage as it runs ends an attempt that goes past what is left. Omitted: no bound.")]
    decimal? MaxCostUsd = null,
    [property: Description("The most tokens (input and output) the task's attempts may use, summed (1 to 10000000000). Omitted: no bound.")]
    long? MaxTokens = null,
    [property: Description("What the task does when it reaches maxCostUsd or maxTokens: 'stop' (it fails; the default) or 'park' (it is paused "
        + "until the budget is raised). Either way, raising the budget (POST /api/tasks/{id}/budget) lets it go on.")]
    string? OnBudget = null);

public sealed record RepositoryRequest(
    [property: Description("A local clone on the workers' machine (an absolute path under Supervisor:Api:AllowedRepositoryRoots). Give path or url.")]
    string? Path,
    [property: Description("A remote repository: https://, ssh://, user@host:path, git:// or file:///; its host must be in Supervisor:Git:AllowedHosts. "
        + "No credentials in it: the workers hold them, per host. Each attempt works in a fresh worktree of the worker's mirror of it.")]
    string? Url,
    [property: Description("Branch, tag or commit to start from. Omitted: the repository's HEAD (a remote's default branch).")]
    string? BaseRef,
    [property: Description("With url: the branch the result is pushed to (a fast-forward). Omitted: the attempt's own branch, supervisor/<task>/<attempt>.")]
    string? PushTo = null,
    [property: Description("With url: true opens a pull request of the pushed branch into the base branch (the baseRef's, else the remote's "
        + "default), through the forge API the workers have configured for the host (Supervisor:Worker:Git:Hosts:<host>:ApiUrl).")]
    bool? OpenPullRequest = null,
    [property: Description("The pull request's title (at most 256 characters). Omitted: the first line of the agent's summary.")]
    string? PullRequestTitle = null,
    [property: Description("The pull request's description (at most 65536 characters). Omitted: the agent's summary.")]
    string? PullRequestBody = null);
