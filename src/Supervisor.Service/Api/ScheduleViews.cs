namespace Supervisor.Service.Api;

/// <summary>One line of the schedule list.</summary>
public sealed record ScheduleSummaryView(
    Guid Id, string? Name, string? Cron, TimeSpan? Every, string TimeZone, string Overlap, bool Paused, DateTime? LastFireAt, DateTime? NextFireAt,
    int OpenTasks);

/// <summary>A schedule: its definition, its state, its counters and its latest fires (newest first).</summary>
public sealed record ScheduleView(
    Guid Id, string? Name, string? Cron, TimeSpan? Every, string TimeZone, Schedules.TaskTemplate Template, string Overlap, TimeSpan CatchUpWindow,
    string CatchUp, DateTime? StartAt, DateTime? EndAt, bool Paused, string? PausedBy, string? PauseReason, string? CreatedBy, DateTime CreatedAt,
    DateTime? LastFireAt, DateTime? NextFireAt, ScheduleCountsView Counts, IReadOnlyList<FireView> RecentFires);

/// <summary>
/// Fires not run: missed beyond the catch-up window, coalesced into a later one (<c>catchUp: latest</c>), and skipped
/// or superseded because a task of the schedule was open.
/// </summary>
public sealed record ScheduleCountsView(long MissedCatchUpWindow, long Coalesced, long OverlapSkipped);

/// <summary>One fire: the occurrence it was for, why it fired, what it did, and its task's state once the task exists.</summary>
public sealed record FireView(DateTime ScheduledFor, string Kind, string Outcome, Guid TaskId, string? TaskState, string? Reason, DateTime DecidedAt);

/// <summary>What a manual trigger did.</summary>
public sealed record TriggerAccepted(Guid ScheduleId, string Outcome, Guid TaskId, string? Reason);
