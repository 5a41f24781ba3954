namespace Supervisor.Service.Storage;

/// <summary>
/// Recurring schedules and the log of their fires. Every decision about a schedule's fires is taken in
/// <see cref="DecideAsync{T}"/>, under the schedule's row lock, so that the decisions of one schedule are serial across
/// service instances; a fire's primary key (schedule, occurrence, kind) and its task id keep each decided once.
/// </summary>
public interface IScheduleStore
{
    /// <summary>Stores a new schedule; when its id or name is taken, nothing is stored and the outcome says by what.</summary>
    Task<ScheduleCreation> CreateAsync(ScheduleRecord schedule, CancellationToken cancellationToken);

    Task<ScheduleRecord?> GetAsync(Guid id, CancellationToken cancellationToken);

    /// <summary>The newest schedules first, each with how many of its tasks are open.</summary>
    Task<IReadOnlyList<(ScheduleRecord Schedule, int OpenTasks)>> ListAsync(int limit, CancellationToken cancellationToken);

    /// <summary>Deletes the schedule and its fires (the tasks it made stay); false when there was none.</summary>
    Task<bool> DeleteAsync(Guid id, CancellationToken cancellationToken);

    /// <summary>The schedule's latest fires, newest first, each with the state of its task when it exists.</summary>
    Task<IReadOnlyList<FireRecord>> RecentFiresAsync(Guid id, int limit, CancellationToken cancellationToken);

    /// <summary>The fire that made (or would make) the task <paramref name="taskId"/>, if one was decided.</summary>
    Task<StoredFire?> FindFireAsync(Guid taskId, CancellationToken cancellationToken);

    /// <summary>The tasks the schedule's fires made, newest first.</summary>
    Task<IReadOnlyList<TaskSummary>> TasksAsync(Guid id, int limit, CancellationToken cancellationToken);

    /// <summary>
    /// Locks the schedule's row, reads it with its open tasks (its submitted fires whose task is missing or not ended)
    /// and its buffered fire, lets <paramref name="decide"/> decide, and writes the decision, all in one transaction.
    /// Returns what <paramref name="decide"/> returned, or default when there is no such schedule.
    /// </summary>
    Task<T?> DecideAsync<T>(Guid id, Func<LockedSchedule, (ScheduleChanges Changes, T Result)> decide, CancellationToken cancellationToken);

    /// <summary>
    /// What the sweep acts on: schedules not paused whose next fire is before <paramref name="overdueBefore"/> (their
    /// wake-up lost) or that have a buffered fire, and submitted fires decided before <paramref name="unseenBefore"/>
    /// whose task does not exist (their submit lost); at most <paramref name="limit"/> of each.
    /// </summary>
    Task<ScheduleSweepFindings> FindForSweepAsync(DateTime overdueBefore, DateTime unseenBefore, int limit, CancellationToken cancellationToken);

    /// <summary>Forgets fires decided before <paramref name="before"/>, except one buffered or still open; returns how many.</summary>
    Task<int> PruneFiresAsync(DateTime before, CancellationToken cancellationToken);
}

/// <summary>A schedule as stored. <see cref="Template"/> is the task template's JSON; policies are their API names.</summary>
public sealed record ScheduleRecord(
    Guid Id, string? Name, string? Cron, TimeSpan? Every, string TimeZone, string Template, string Overlap, TimeSpan CatchUpWindow,
    string CatchUp, DateTime? StartAt, DateTime? EndAt, bool Paused, string? PausedBy, string? PauseReason, DateTime EvaluatedUntil,
    DateTime? LastFireAt, DateTime? NextFireAt, long MissedCatchUp, long Coalesced, long OverlapSkipped, string? CreatedBy,
    DateTime CreatedAt, DateTime UpdatedAt);

/// <summary>The outcome of a create: stored, or what stands in the way (the schedule of the same id, or a name taken).</summary>
public sealed record ScheduleCreation(bool Created, ScheduleRecord? SameId, bool NameTaken);

/// <summary>A decided fire: its occurrence, kind (scheduled, catchUp, manual), outcome (submitted, buffered, skipped) and task.</summary>
public sealed record StoredFire(DateTime OccurrenceAt, string Kind, string Outcome, Guid TaskId, string? Reason);

/// <summary>A fire as shown: when it was decided, and its task's state if the task exists.</summary>
public sealed record FireRecord(StoredFire Fire, DateTime DecidedAt, string? TaskState);

/// <summary>A schedule under its row lock, with its open tasks and its buffered fire.</summary>
public sealed record LockedSchedule(ScheduleRecord Schedule, IReadOnlyList<Guid> OpenTasks, StoredFire? Buffered);

/// <summary>
/// What one decision writes: new fires, the buffered fire released (it becomes submitted) or superseded (skipped, with
/// a reason), the counters' increments, and the schedule's new times and pause state.
/// </summary>
public sealed record ScheduleChanges(
    IReadOnlyList<StoredFire> NewFires, Guid? Released, (Guid TaskId, string Reason)? Superseded, DateTime EvaluatedUntil,
    DateTime? LastFireAt, DateTime? NextFireAt, long MissedCatchUp, long Coalesced, long OverlapSkipped, bool Paused, string? PausedBy,
    string? PauseReason)
{
    /// <summary>Changes that decide no fire: only the schedule's times or pause state.</summary>
    public static ScheduleChanges Only(ScheduleRecord schedule, DateTime evaluatedUntil, DateTime? nextFireAt, bool paused, string? by, string? reason) =>
        new([], null, null, evaluatedUntil, schedule.LastFireAt, nextFireAt, 0, 0, 0, paused, by, reason);
}

/// <summary>What the sweep found: schedules to evaluate again, and submitted fires whose task never appeared.</summary>
public sealed record ScheduleSweepFindings(IReadOnlyList<Guid> Schedules, IReadOnlyList<(Guid ScheduleId, StoredFire Fire)> Unseen);
