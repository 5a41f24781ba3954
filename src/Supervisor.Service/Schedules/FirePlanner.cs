namespace Supervisor.Service.Schedules;

/// <summary>
/// Decides a schedule's fires at one evaluation: which due occurrences are on time, caught up, coalesced or missed
/// (the catch-up window), and what each does against the schedule's open tasks (the overlap policy). Pure: the caller
/// reads the snapshot and writes the plan under the schedule's row lock, so the decisions of one schedule are serial.
/// </summary>
/// <remarks>
/// A fire started and a fire that supersedes it in the same evaluation (<see cref="OverlapPolicy.CancelOther"/>) never
/// both reach the saga: the earlier one is skipped instead, so no <c>CancelTask</c> can overtake its own task's
/// <c>SubmitTask</c>. While the schedule is paused nothing fires by the clock, nothing buffered starts, and the due
/// occurrences are passed over, never caught up; a manual trigger still fires.
/// </remarks>
public static class FirePlanner
{
    /// <summary>The plan at <paramref name="now"/>, with <paramref name="manual"/>'s fire (at <paramref name="now"/>) last when one is given.</summary>
    public static FirePlan Plan(FireSnapshot snapshot, DateTime now, ManualTrigger? manual = null)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        Check(snapshot, now);
        var decision = new FireDecision(snapshot);
        long missed = 0, coalesced = 0;
        if (!snapshot.Paused)
        {
            decision.ReleaseWhenNothingIsOpen();
            foreach (var (at, kind) in Due(snapshot, now, ref missed, ref coalesced))
                decision.Fire(at, kind, FireIds.TaskId(snapshot.ScheduleId, at), snapshot.Overlap);
        }

        if (manual is not null)
            decision.Fire(now, FireKind.Manual, FireIds.ManualTaskId(snapshot.ScheduleId, manual.RequestId), manual.Overlap ?? snapshot.Overlap);

        var fires = decision.Fires;
        var lastFireAt = fires.Count == 0 ? snapshot.LastFireAt : Latest(snapshot.LastFireAt, fires.Max(f => f.OccurrenceAt));
        return new FirePlan(
            fires, decision.Released, decision.Superseded, decision.Cancels,
            new FireCounts(missed, coalesced, decision.OverlapSkipped),
            Latest(snapshot.EvaluatedUntil, now), lastFireAt);
    }

    /// <summary>
    /// The due occurrences that become fires, earliest first: each on-time one (within the grace), and of the missed ones
    /// inside the window the latest <see cref="FireSnapshot.MaxCatchUpFires"/> (<see cref="CatchUpPolicy.Each"/>), or only
    /// the latest of all (<see cref="CatchUpPolicy.Latest"/>, the others coalesced into it). The rest count as missed.
    /// </summary>
    static List<(DateTime At, FireKind Kind)> Due(FireSnapshot snapshot, DateTime now, ref long missed, ref long coalesced)
    {
        var due = new List<(DateTime At, FireKind Kind)>();
        missed += snapshot.Due.Earlier;
        foreach (var at in snapshot.Due.Listed)
        {
            var late = now - at;
            if (late <= snapshot.OnTimeGrace)
                due.Add((at, FireKind.Scheduled));
            else if (late <= snapshot.CatchUpWindow)
                due.Add((at, FireKind.CatchUp));
            else
                missed++;
        }

        // Listed earliest first, so the catch-up fires beyond the cap are the oldest ones, at the front.
        var beyondCap = Math.Max(0, due.Count(d => d.Kind == FireKind.CatchUp) - snapshot.MaxCatchUpFires);
        missed += beyondCap;
        due.RemoveRange(0, beyondCap);

        if (snapshot.CatchUp == CatchUpPolicy.Latest && due.Count > 1)
        {
            coalesced += due.Count - 1;
            due.RemoveRange(0, due.Count - 1);
        }

        return due;
    }

    static void Check(FireSnapshot snapshot, DateTime now)
    {
        if (now.Kind != DateTimeKind.Utc)
            throw new ArgumentException($"must be a UTC time (its Kind is {now.Kind}).", nameof(now));
        var previous = snapshot.EvaluatedUntil;
        foreach (var at in snapshot.Due.Listed)
        {
            if (at <= previous || at > now)
            {
                throw new ArgumentException(
                    $"due occurrences must lie in (evaluatedUntil, now] in ascending order; {ScheduleSpec.Iso(at)} does not.", nameof(snapshot));
            }

            previous = at;
        }
    }

    static DateTime Latest(DateTime a, DateTime b) => a > b ? a : b;

    static DateTime? Latest(DateTime? a, DateTime b) => a > b ? a : b;
}

/// <summary>The working state of one plan: the fires decided so far and what they left open or waiting.</summary>
sealed class FireDecision
{
    /// <summary>An open task: a snapshot's (<see cref="FireIndex"/> -1), the released buffered fire's (-2), or one of this plan's fires.</summary>
    sealed record Open(Guid TaskId, int FireIndex);

    const int Existing = -1;
    const int ReleasedFire = -2;

    readonly List<PlannedFire> _fires = [];
    readonly List<PlannedCancel> _cancels = [];
    readonly List<Open> _open;
    BufferedFire? _waiting;
    int? _waitingIndex;

    public FireDecision(FireSnapshot snapshot)
    {
        _open = [.. snapshot.OpenTasks.Distinct().Select(id => new Open(id, Existing))];
        _waiting = snapshot.Buffered;
    }

    public IReadOnlyList<PlannedFire> Fires => _fires;

    public IReadOnlyList<PlannedCancel> Cancels => _cancels;

    public BufferedFire? Released { get; private set; }

    public SupersededFire? Superseded { get; private set; }

    public long OverlapSkipped { get; private set; }

    /// <summary>The snapshot's buffered fire starts once nothing of the schedule is open.</summary>
    public void ReleaseWhenNothingIsOpen()
    {
        if (_open.Count > 0 || _waiting is null)
            return;
        Released = _waiting;
        _waiting = null;
        _open.Add(new Open(Released.TaskId, ReleasedFire));
    }

    public void Fire(DateTime at, FireKind kind, Guid taskId, OverlapPolicy policy)
    {
        if (policy == OverlapPolicy.CancelOther && _open.Count > 0)
            Supersede(at);

        if (_open.Count == 0 || policy == OverlapPolicy.Allow)
        {
            _open.Add(new Open(taskId, _fires.Count));
            _fires.Add(new PlannedFire(at, kind, FireOutcome.Submitted, taskId, null));
        }
        else if (policy == OverlapPolicy.Skip || (policy == OverlapPolicy.BufferOne && IsWaiting))
        {
            var reason = policy == OverlapPolicy.Skip ? OpenReason() : $"the fire at {ScheduleSpec.Iso(WaitingAt)} is already waiting; {OpenReason()}";
            _fires.Add(new PlannedFire(at, kind, FireOutcome.Skipped, taskId, reason));
            OverlapSkipped++;
        }
        else
        {
            _waitingIndex = _fires.Count;
            _fires.Add(new PlannedFire(at, kind, FireOutcome.Buffered, taskId, null));
        }
    }

    bool IsWaiting => _waiting is not null || _waitingIndex is not null;

    DateTime WaitingAt => _waitingIndex is { } index ? _fires[index].OccurrenceAt : _waiting!.OccurrenceAt;

    /// <summary>
    /// cancelOther: the fire at <paramref name="at"/> supersedes every open task and the waiting fire. Tasks that exist are
    /// cancelled (and stay open until they end); fires of this plan that have not reached the saga are skipped instead.
    /// </summary>
    void Supersede(DateTime at)
    {
        var reason = $"superseded by the fire at {ScheduleSpec.Iso(at)}";
        foreach (var open in _open.ToList())
        {
            if (open.FireIndex == Existing)
            {
                if (!_cancels.Exists(c => c.TaskId == open.TaskId))
                    _cancels.Add(new PlannedCancel(open.TaskId, "cancelOther: " + reason));
                continue;
            }

            _open.Remove(open);
            if (open.FireIndex == ReleasedFire)
                SupersedeSnapshotFire(Released!, reason);
            else
                Skip(open.FireIndex, reason);
        }

        if (_waitingIndex is { } index)
            Skip(index, reason);
        else if (_waiting is { } waiting)
            SupersedeSnapshotFire(waiting, reason);
    }

    void Skip(int index, string reason)
    {
        _fires[index] = _fires[index] with { Outcome = FireOutcome.Skipped, Reason = reason };
        if (_waitingIndex == index)
            _waitingIndex = null;
        OverlapSkipped++;
    }

    void SupersedeSnapshotFire(BufferedFire fire, string reason)
    {
        Superseded = new SupersededFire(fire, reason);
        Released = null;
        _waiting = null;
        OverlapSkipped++;
    }

    string OpenReason()
    {
        var more = _open.Count > 1 ? $" (and {_open.Count - 1} more)" : "";
        return $"task {_open[0].TaskId} is still open{more}";
    }
}
