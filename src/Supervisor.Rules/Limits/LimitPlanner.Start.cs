namespace Supervisor.Rules.Limits;

public static partial class LimitPlanner
{
    /// <summary>What stands in the way of a start: why, until when (null: unknown), the block it counts as a window in, and a description.</summary>
    sealed record Obstacle(WaitReason Reason, DateTime? Until, DateTime? Window, string Text);

    /// <summary>
    /// Whether <paramref name="request"/>'s attempt may start on the account now, and if not, whether the task parks, falls
    /// back or fails.
    /// </summary>
    /// <remarks>
    /// <para>
    /// In the way: a block in force (cooling, blocked), a probe of another task, a spent budget (until the next budget day or
    /// month), and the cap (<c>running + reserved ≥ MaxConcurrent</c>). Of a block and a budget the one that ends later
    /// decides; the cap only when neither is in the way.
    /// </para>
    /// <para>
    /// A block or a budget applies the task's <see cref="OnLimit"/>: <c>fallback</c> with a next agent falls back now;
    /// otherwise the task parks if the wait fits its bounds — the end is known and no later than its deadline
    /// (<c>since + maxWait</c>), and the blocks it waited in, this one included, are no more than <c>maxWindows</c>. A probe's end is
    /// unknown: the wait fits while the deadline has not passed. A cap parks whatever <see cref="OnLimit"/> says (a slot
    /// frees within one run; falling back because the account is busy would move the fleet's work elsewhere), bounded by
    /// the deadline alone. A wait that does not fit falls back, or fails when there is no next agent, naming the bound.
    /// </para>
    /// <para>
    /// With nothing in the way, the first start after a block's end (before the release step has run, or when the release
    /// chose no probe) and the start of the chosen probe are the probe; every other start is an ordinary grant.
    /// </para>
    /// </remarks>
    public static StartDecision DecideStart(AccountSnapshot snapshot, StartRequest request, AccountLimits limits)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(limits);
        Check(snapshot);
        if (request.Waited is { } waited)
            RequireUtc(waited.Since, nameof(request));

        var status = snapshot.Status;
        var (limit, probe) = status.State switch
        {
            AccountState.Cooling or AccountState.Blocked when status.InForceAt(snapshot.Now) => (Block(snapshot), false),
            AccountState.Cooling or AccountState.Blocked => (null, true),
            AccountState.Probing when status.ProbeTask is null || status.ProbeTask == request.TaskId => (null, true),
            AccountState.Probing => (Probing(snapshot), false),
            _ => ((Obstacle?)null, false),
        };

        if (Later(limit, SpentBudget(snapshot, limits)) is { } obstacle)
            return Apply(obstacle, snapshot, request, followOnLimit: true);
        if (limits.MaxConcurrent is { } cap && snapshot.Running + snapshot.Reserved >= cap)
            return Apply(Cap(snapshot, cap), snapshot, request, followOnLimit: false);
        if (!probe)
            return StartDecision.Grant;
        return StartDecision.Probe(status.ProbeTask == request.TaskId
            ? status
            : status with { State = AccountState.Probing, ProbeTask = request.TaskId, ProbeSince = snapshot.Now });
    }

    static StartDecision Apply(Obstacle obstacle, AccountSnapshot snapshot, StartRequest request, bool followOnLimit)
    {
        var policy = request.Policy;
        if (followOnLimit && policy.OnLimit == OnLimit.Fallback && request.HasNextAgent)
            return StartDecision.FallBack(obstacle.Reason, obstacle.Text);

        var now = snapshot.Now;
        var wait = request.Waited ?? new TaskWait(now, 0, null);
        if (obstacle.Window is { } window && window != wait.WindowSince)
            wait = wait with { Windows = wait.Windows + 1, WindowSince = window };
        DateTime? deadline = policy.MaxWait is { } maxWait ? wait.Since + maxWait : null;

        var bound = BoundExceeded(obstacle, wait, deadline, policy, now);
        if (bound is null)
            return StartDecision.Park(obstacle.Reason, obstacle.Until, deadline, wait, obstacle.Text);
        var message = $"{obstacle.Text}; {bound}";
        return request.HasNextAgent
            ? StartDecision.FallBack(obstacle.Reason, message)
            : StartDecision.Fail(obstacle.Reason, message + "; no agent left to fall back to");
    }

    /// <summary>Which of the task's bounds the wait would break, said for a person; null when it fits.</summary>
    static string? BoundExceeded(Obstacle obstacle, TaskWait wait, DateTime? deadline, TaskLimitPolicy policy, DateTime now)
    {
        if (policy.MaxWindows is { } maxWindows && wait.Windows > maxWindows)
            return $"maxWindows {maxWindows}: this would be window {wait.Windows}";
        if (deadline is not { } end)
            return null;
        var bound = $"maxWait {LimitText.Duration(policy.MaxWait!.Value)} from {LimitText.Time(wait.Since, now)}";
        if (obstacle.Until is { } until)
            return until > end ? $"{bound} ends before that" : null;
        return now >= end ? $"{bound} ended at {LimitText.Time(end, now)}" : null;
    }

    static Obstacle Block(AccountSnapshot snapshot)
    {
        var status = snapshot.Status;
        var until = status.BlockedUntil!.Value;
        var what = status.State == AccountState.Cooling ? "cooling down" : "blocked";
        var text = $"{snapshot.Id} {what} until {LimitText.Time(until, snapshot.Now)} ({LimitText.Kind(status.Kind!.Value)})";
        // Only blocks count as windows for maxWindows; a rate-limit cool-down of seconds is not one.
        return new Obstacle(WaitReason.Limit, until, status.State == AccountState.Blocked ? status.BlockSince : null, text);
    }

    static Obstacle Probing(AccountSnapshot snapshot) =>
        new(WaitReason.Limit, null, null,
            $"{snapshot.Id} is probing after its {LimitText.Kind(snapshot.Status.Kind!.Value)} block; the probe's outcome decides");

    static Obstacle Cap(AccountSnapshot snapshot, int cap) =>
        new(WaitReason.Cap, null, null, $"{snapshot.Id} is at MaxConcurrent {cap}: {snapshot.Running} running, {snapshot.Reserved} reserved");

    /// <summary>
    /// The spent budget that renews last, if any: its window's end is the obstacle's until. An operator's budget on the
    /// snapshot wins over the configured one.
    /// </summary>
    static Obstacle? SpentBudget(AccountSnapshot snapshot, AccountLimits limits)
    {
        Obstacle? daily = null, monthly = null;
        if (AccountBudgets.Daily(snapshot, limits) is { Reached: true, Usd: { } day } today)
            daily = Budget(snapshot, "daily", day, today.Spent, BudgetWindows.NextDayStart(snapshot.Now, limits.BudgetTimeZone));
        if (AccountBudgets.Monthly(snapshot, limits) is { Reached: true, Usd: { } month } thisMonth)
            monthly = Budget(snapshot, "monthly", month, thisMonth.Spent, BudgetWindows.NextMonthStart(snapshot.Now, limits.BudgetTimeZone));
        return Later(daily, monthly);
    }

    static Obstacle Budget(AccountSnapshot snapshot, string window, decimal budget, decimal spent, DateTime until) =>
        new(WaitReason.Budget, until, null,
            $"{snapshot.Id} reached its {window} budget of {LimitText.Usd(budget)} ({LimitText.Usd(spent)} spent) until {LimitText.Time(until, snapshot.Now)}");

    /// <summary>The obstacle that ends later; an unknown end (a probe) gives way to a known one, and a tie keeps the first.</summary>
    static Obstacle? Later(Obstacle? first, Obstacle? second) => (first, second) switch
    {
        (null, _) => second,
        (_, null) => first,
        ({ Until: null }, _) => second,
        (_, { Until: null }) => first,
        _ => second.Until > first.Until ? second : first,
    };
}
