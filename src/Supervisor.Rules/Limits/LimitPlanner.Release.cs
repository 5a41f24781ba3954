namespace Supervisor.Rules.Limits;

public static partial class LimitPlanner
{
    /// <summary>
    /// What the release step does now: called on the account's wake-up, after an attempt on it ends, when its budget is
    /// raised, and by the sweep. <paramref name="waiters"/> are the tasks parked on it and not released, in any order (the
    /// plan takes them oldest first, ties in the given order); <paramref name="probe"/> is what the probe's task has done,
    /// given exactly when the account is probing with a probe chosen.
    /// </summary>
    /// <remarks>
    /// <list type="bullet">
    /// <item>A block in force: nothing but the waiters that leave on a block (parked for the cap, falling back on a limit),
    /// released now for their start checks to send them on; and a wake at its end.</item>
    /// <item>A block past its end: the account probes, the oldest waiter released alone as the probe (none waiting, or the
    /// cap still full: the first start probes).</item>
    /// <item>Probing: a pending probe is awaited for <see cref="AccountLimits.ProbeHold"/> from its choice, then counts as
    /// lost; a running one is awaited (its end calls this again); a lost one makes the next waiter the probe (not the lost
    /// task again). A probe that ended without a signal ends the episode: the account is ok and waiters are released.
    /// (A probe that ended with a signal went through <see cref="OnSignal"/>, which blocked the account again.)</item>
    /// <item>Ok: the oldest <c>n = min(waiters, MaxConcurrent − running − reserved)</c> waiters (all without a cap) are
    /// released, the i-th of them (from 0) at <c>now + ReleaseSpread·i/n</c>, so a crowd released after a block spreads
    /// out and a single freed slot is taken at once. When some were released and others are left (held by the cap), a wake
    /// at the end of the spread looks again: a net should an attempt's end go unreported, without waking an account that
    /// released nothing over and over.</item>
    /// <item>A spent budget holds every release, the probe's too, until the budget's window renews (a wake then).</item>
    /// </list>
    /// </remarks>
    public static ReleasePlan PlanRelease(AccountSnapshot snapshot, IReadOnlyList<AccountWaiter> waiters, AccountLimits limits, ProbeOutcome? probe)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        ArgumentNullException.ThrowIfNull(waiters);
        ArgumentNullException.ThrowIfNull(limits);
        Check(snapshot);
        var status = snapshot.Status;
        if ((status.State == AccountState.Probing && status.ProbeTask is not null) != probe.HasValue)
            throw new ArgumentException($"a probe outcome is given exactly when a probe is chosen ({status.State}, probe {status.ProbeTask}).", nameof(probe));

        var now = snapshot.Now;
        var queue = waiters.OrderBy(w => w.Since).ToList();
        var budgetUntil = SpentBudget(snapshot, limits)?.Until;
        switch (status.State)
        {
            case AccountState.Cooling or AccountState.Blocked when status.InForceAt(now):
                return new ReleasePlan(status, [.. queue.Where(w => w.LeavesOnBlock).Select(w => new PlannedRelease(w.TaskId, now, Probe: false))], false,
                    status.BlockedUntil);
            case AccountState.Cooling or AccountState.Blocked:
                return ChooseProbe(status with { State = AccountState.Probing }, queue, except: null, snapshot, limits, budgetUntil);
            case AccountState.Probing when probe == ProbeOutcome.EndedWithoutSignal:
                return Release(AccountStatus.Ok, episodeEnded: true, queue, snapshot, limits, budgetUntil);
            case AccountState.Probing when probe == ProbeOutcome.Lost
                || (probe == ProbeOutcome.Pending && now >= status.ProbeSince + limits.ProbeHold):
                return ChooseProbe(status, queue, except: status.ProbeTask, snapshot, limits, budgetUntil);
            case AccountState.Probing when probe == ProbeOutcome.Pending:
                return new ReleasePlan(status, [], false, status.ProbeSince + limits.ProbeHold);
            case AccountState.Probing when probe == ProbeOutcome.Running:
                return new ReleasePlan(status, [], false, null);
            case AccountState.Probing:
                // No probe chosen: the first waiter, if one parked meanwhile (on a budget, say), or the first start.
                return ChooseProbe(status, queue, except: null, snapshot, limits, budgetUntil);
            default:
                return Release(status, episodeEnded: false, queue, snapshot, limits, budgetUntil);
        }
    }

    /// <summary>
    /// The oldest waiter but <paramref name="except"/> probes, alone and now. No one else waiting, a full cap (runs from
    /// before the block still going) or a spent budget: no probe is chosen, and the first start after probes (or this step,
    /// called again by a run's end or at the budget's renewal, chooses one).
    /// </summary>
    static ReleasePlan ChooseProbe(AccountStatus probing, List<AccountWaiter> queue, Guid? except, AccountSnapshot snapshot, AccountLimits limits,
        DateTime? budgetUntil)
    {
        var now = snapshot.Now;
        var next = queue.Find(w => w.TaskId != except);
        if (budgetUntil is not null || next is null || Room(snapshot, limits) == 0)
            return new ReleasePlan(probing with { ProbeTask = null, ProbeSince = null }, [], false, budgetUntil);
        return new ReleasePlan(
            probing with { ProbeTask = next.TaskId, ProbeSince = now },
            [new PlannedRelease(next.TaskId, now, Probe: true)], false, now + limits.ProbeHold);
    }

    static ReleasePlan Release(AccountStatus status, bool episodeEnded, List<AccountWaiter> queue, AccountSnapshot snapshot, AccountLimits limits,
        DateTime? budgetUntil)
    {
        if (budgetUntil is not null)
            return new ReleasePlan(status, [], episodeEnded, budgetUntil);
        var releases = Spread(queue.Take(Room(snapshot, limits)).Select(w => w.TaskId).ToList(), snapshot.Now, limits.ReleaseSpread);
        var leftOver = queue.Count > releases.Count;
        return new ReleasePlan(status, releases, episodeEnded, leftOver && releases.Count > 0 ? snapshot.Now + limits.ReleaseSpread : null);
    }

    /// <summary>Slots free under the cap, reservations counted as taken; without a cap, as many as anyone could ask for.</summary>
    static int Room(AccountSnapshot snapshot, AccountLimits limits) =>
        limits.MaxConcurrent is { } cap ? Math.Max(0, cap - snapshot.Running - snapshot.Reserved) : int.MaxValue;

    /// <summary>The i-th of n tasks (from 0) at <c>now + spread·i/n</c>: the first at once, the last a share of the spread before its end.</summary>
    static List<PlannedRelease> Spread(List<Guid> tasks, DateTime now, TimeSpan spread)
    {
        var n = tasks.Count;
        // Whole ticks, so the plan is the same on every machine: no floating point in the times.
        return [.. tasks.Select((task, i) => new PlannedRelease(task, now.AddTicks(spread.Ticks * i / n), Probe: false))];
    }
}
