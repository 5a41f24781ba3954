namespace Supervisor.Service.Schedules;

/// <summary>Why a fire happened: its time came (<c>scheduled</c>), it was missed and is caught up, or someone triggered it.</summary>
public enum FireKind
{
    Scheduled,
    CatchUp,
    Manual,
}

/// <summary>What a fire did: started a task, waits for the schedule's open tasks to end, or was skipped (with a reason).</summary>
public enum FireOutcome
{
    Submitted,
    Buffered,
    Skipped,
}

/// <summary>A fire decided earlier that waits for nothing of its schedule to be open; its task id is derived, not yet published.</summary>
public sealed record BufferedFire(DateTime OccurrenceAt, FireKind Kind, Guid TaskId);

/// <summary>A trigger by hand: one fire now, under <paramref name="Overlap"/> or else the schedule's policy; <paramref name="RequestId"/> names its task.</summary>
public sealed record ManualTrigger(Guid RequestId, OverlapPolicy? Overlap = null);

/// <summary>
/// The due occurrences of <c>(evaluatedUntil, now]</c> as the planner needs them: the latest ones listed, earliest first;
/// of the earlier ones, which can only count as missed, just how many (at most <see cref="MaxCounted"/>).
/// </summary>
public sealed record DueOccurrences(IReadOnlyList<DateTime> Listed, long Earlier)
{
    /// <summary>Missed occurrences counted per evaluation at most: a schedule of every second down for a year is not walked through.</summary>
    public const int MaxCounted = 10_000;

    public static DueOccurrences None { get; } = new([], 0);

    /// <summary>
    /// Lists those of <paramref name="spec"/> within <paramref name="onTimeGrace"/> of <paramref name="now"/> and the
    /// <paramref name="maxCatchUpFires"/> before them, walking back from now; counts the rest.
    /// </summary>
    public static DueOccurrences Of(ScheduleSpec spec, DateTime evaluatedUntil, DateTime now, TimeSpan onTimeGrace, int maxCatchUpFires)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var listed = new List<DateTime>();
        var late = 0;
        var more = false;
        foreach (var at in spec.OccurrencesDescending(evaluatedUntil, now))
        {
            if (now - at > onTimeGrace && late++ == maxCatchUpFires)
            {
                more = true;
                break;
            }

            listed.Add(at);
        }

        listed.Reverse();
        var earlier = more ? spec.Occurrences(evaluatedUntil, listed.Count > 0 ? listed[0].AddTicks(-1) : now).Take(MaxCounted).LongCount() : 0;
        return new DueOccurrences(listed, earlier);
    }
}

/// <summary>What the planner reads of a schedule, under its row lock, and the limits of <see cref="ScheduleOptions"/>.</summary>
public sealed record FireSnapshot
{
    public required Guid ScheduleId { get; init; }

    public required OverlapPolicy Overlap { get; init; }

    public required TimeSpan CatchUpWindow { get; init; }

    public required CatchUpPolicy CatchUp { get; init; }

    public required bool Paused { get; init; }

    /// <summary>Every occurrence up to this has been decided.</summary>
    public required DateTime EvaluatedUntil { get; init; }

    public required DateTime? LastFireAt { get; init; }

    /// <summary>The occurrences in <c>(<see cref="EvaluatedUntil"/>, now]</c> (<see cref="DueOccurrences.Of"/>).</summary>
    public required DueOccurrences Due { get; init; }

    /// <summary>The schedule's tasks that are not terminal, and those of its fires submitted but not yet seen as tasks.</summary>
    public required IReadOnlyList<Guid> OpenTasks { get; init; }

    /// <summary>The schedule's one fire waiting for nothing to be open, if any.</summary>
    public required BufferedFire? Buffered { get; init; }

    /// <summary><see cref="ScheduleOptions.OnTimeGrace"/>.</summary>
    public required TimeSpan OnTimeGrace { get; init; }

    /// <summary><see cref="ScheduleOptions.MaxCatchUpFires"/>.</summary>
    public required int MaxCatchUpFires { get; init; }
}

/// <summary>A new fire; its task id is derived (<see cref="FireIds"/>) whatever the outcome, and a task of it exists only once submitted.</summary>
public sealed record PlannedFire(DateTime OccurrenceAt, FireKind Kind, FireOutcome Outcome, Guid TaskId, string? Reason);

/// <summary>An open task to cancel (cancelOther).</summary>
public sealed record PlannedCancel(Guid TaskId, string Reason);

/// <summary>The snapshot's buffered fire, skipped: a newer fire took its place (cancelOther).</summary>
public sealed record SupersededFire(BufferedFire Fire, string Reason);

/// <summary>How much each of the schedule's counters grows.</summary>
public sealed record FireCounts(long MissedCatchUpWindow, long Coalesced, long OverlapSkipped);

/// <summary>
/// One evaluation's decisions: the new fires in time order (to insert; publish the submitted ones), the snapshot's
/// buffered fire that starts now (<paramref name="Released"/>: it becomes submitted) or is skipped
/// (<paramref name="Superseded"/>), the tasks to cancel, the counters' increments, and the schedule's new
/// <paramref name="EvaluatedUntil"/> and <paramref name="LastFireAt"/>.
/// </summary>
public sealed record FirePlan(
    IReadOnlyList<PlannedFire> Fires,
    BufferedFire? Released,
    SupersededFire? Superseded,
    IReadOnlyList<PlannedCancel> Cancels,
    FireCounts Counts,
    DateTime EvaluatedUntil,
    DateTime? LastFireAt);
