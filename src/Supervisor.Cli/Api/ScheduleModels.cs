using Supervisor.Contracts;

namespace Supervisor.Cli.Api;

// The JSON shapes of the HTTP API's schedule resources. Durations (every, catchUpWindow, a template's maxWait) are strings: the service writes
// TimeSpan text ("00:00:02") and reads that or units ("2s", "1h30m"); the views turn them into units. Times are UTC.

/// <summary>
/// What a task is made of, without its id and start time: the body of <c>submit</c> as the command line builds it, and
/// the <c>template</c> of a schedule, sent and read back.
/// </summary>
sealed record TaskTemplate(
    string Prompt,
    string? Agent,
    IReadOnlyList<string>? Agents,
    bool? Fallback,
    string? Model,
    string? OnLimit,
    string? MaxWait,
    int? MaxWindows,
    string? ConcurrencyKey,
    int? ConcurrencyLimit,
    string? ConcurrencyStrategy,
    RepositorySpec? Repository,
    string? Risk,
    int? TimeoutSeconds,
    string? Verify,
    bool? ExpectChanges,
    IReadOnlyDictionary<string, string>? Labels,
    decimal? MaxCostUsd = null,
    long? MaxTokens = null,
    string? OnBudget = null);

/// <summary>Body of <c>POST /api/schedules</c>; exactly one of <see cref="Cron"/> and <see cref="Every"/>.</summary>
sealed record ScheduleRequest(
    Guid? Id,
    string? Name,
    string? Cron,
    string? Every,
    string? TimeZone,
    TaskTemplate Template,
    string? Overlap,
    string? CatchUpWindow,
    string? CatchUp,
    DateTimeOffset? StartAt,
    DateTimeOffset? EndAt,
    bool? Paused);

/// <summary>An item of <c>GET /api/schedules</c>.</summary>
sealed record ScheduleSummary(
    Guid Id,
    string? Name,
    string? Cron,
    string? Every,
    string? TimeZone,
    string? Overlap,
    bool Paused,
    DateTimeOffset? LastFireAt,
    DateTimeOffset? NextFireAt,
    int OpenTasks);

/// <summary><c>GET /api/schedules/{id}</c>, and the answer of create, pause and resume.</summary>
sealed record ScheduleDetail(
    Guid Id,
    string? Name,
    string? Cron,
    string? Every,
    string? TimeZone,
    TaskTemplate? Template,
    string? Overlap,
    string? CatchUpWindow,
    string? CatchUp,
    DateTimeOffset? StartAt,
    DateTimeOffset? EndAt,
    bool Paused,
    string? PausedBy,
    string? PauseReason,
    string? CreatedBy,
    DateTimeOffset CreatedAt,
    DateTimeOffset? LastFireAt,
    DateTimeOffset? NextFireAt,
    FireCounts? Counts,
    IReadOnlyList<FireView>? RecentFires);

/// <summary>The fires that started no task of their own, counted since the schedule was made.</summary>
sealed record FireCounts(long MissedCatchUpWindow, long Coalesced, long OverlapSkipped);

/// <summary>A fire of a schedule: when it was due, how it came (scheduled, catchUp, manual) and what it did.</summary>
sealed record FireView(
    DateTimeOffset ScheduledFor,
    string Kind,
    string Outcome,
    Guid? TaskId,
    string? TaskState,
    string? Reason);

/// <summary>Body of <c>POST /api/schedules/{id}/pause</c> and <c>/resume</c>.</summary>
sealed record ScheduleActionRequest(string? Reason);

/// <summary>Body of <c>POST /api/schedules/{id}/trigger</c>; <see cref="Overlap"/> overrides the schedule's policy once.</summary>
sealed record TriggerRequest(Guid? Id, string? Overlap);

/// <summary><c>202</c> answer of a trigger: <c>submitted</c> or <c>buffered</c> with the task's id, or <c>skipped</c> and why.</summary>
sealed record TriggerOutcome(Guid ScheduleId, string Outcome, Guid? TaskId, string? Reason);
