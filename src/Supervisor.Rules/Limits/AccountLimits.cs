namespace Supervisor.Rules.Limits;

/// <summary>
/// An account's limit policy as plain data: its concurrency cap, how long a signal blocks it, how waiting tasks are
/// released after a block, and its budgets. The defaults are the shipped configuration (design §9); the options classes
/// bind over them. <see cref="BudgetTimeZone"/> and <see cref="ProbeHold"/> are service-wide settings the caller copies in,
/// so that the planner reads one record.
/// </summary>
public sealed record AccountLimits
{
    /// <summary>Attempts running on the account at once, across the fleet; null for no cap.</summary>
    public int? MaxConcurrent { get; init; }

    /// <summary>The shortest block: a reset in the past or a few milliseconds ahead still blocks this long.</summary>
    public TimeSpan MinBlock { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>The longest block: a weekly window, or a wrong reset, is probed again after this.</summary>
    public TimeSpan MaxBlock { get; init; } = TimeSpan.FromHours(6);

    /// <summary>How long a signal that names no reset blocks, by its kind.</summary>
    public BlockDefaults DefaultBlock { get; init; } = BlockDefaults.Shipped;

    /// <summary>The interval over which the waiters released after a block start, so that they do not all call at once.</summary>
    public TimeSpan ReleaseSpread { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Dollars the account may spend per day (in <see cref="BudgetTimeZone"/>); null for no daily budget.</summary>
    public decimal? DailyBudgetUsd { get; init; }

    /// <summary>Dollars the account may spend per calendar month (in <see cref="BudgetTimeZone"/>); null for no monthly budget.</summary>
    public decimal? MonthlyBudgetUsd { get; init; }

    /// <summary>The zone whose midnights start the budget days and months (<c>Supervisor:Limits:BudgetTimeZone</c>).</summary>
    public TimeZoneInfo BudgetTimeZone { get; init; } = TimeZoneInfo.Utc;

    /// <summary>
    /// How long a released probe may take to start before it counts as lost and the next waiter probes instead
    /// (<c>Supervisor:Limits:ReservationHold</c>, the hold of every released waiter).
    /// </summary>
    public TimeSpan ProbeHold { get; init; } = TimeSpan.FromMinutes(2);
}

/// <summary>How long a signal without a reset blocks its account, per <see cref="LimitKind"/>.</summary>
public sealed record BlockDefaults(TimeSpan RateLimit, TimeSpan UsageWindow, TimeSpan Quota, TimeSpan Billing)
{
    /// <summary>The shipped defaults: a minute for a rate limit, an hour for the others (then a probe tells whether it is over).</summary>
    public static BlockDefaults Shipped { get; } = new(TimeSpan.FromSeconds(60), TimeSpan.FromHours(1), TimeSpan.FromHours(1), TimeSpan.FromHours(1));

    /// <summary>The default block of <paramref name="kind"/>.</summary>
    public TimeSpan For(LimitKind kind) => kind switch
    {
        LimitKind.RateLimit => RateLimit,
        LimitKind.UsageWindow => UsageWindow,
        LimitKind.Quota => Quota,
        LimitKind.Billing => Billing,
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "not a limit kind"),
    };
}

/// <summary>What a task does when its agent's account is blocked or out of budget.</summary>
public enum OnLimit
{
    /// <summary>Wait for the account, within the task's bounds; fall back (or fail) beyond them.</summary>
    Wait,

    /// <summary>Go to the next agent of the chain now; wait, within the bounds, when there is none.</summary>
    Fallback,
}

/// <summary>
/// A task's limit policy for its current agent, already merged with the agent's defaults by the caller.
/// <paramref name="MaxWait"/> bounds the whole wait of this agent's turn, from the task's first park in it (null: no
/// time bound; zero: never wait). <paramref name="MaxWindows"/> bounds how many blocks of the account (usage windows,
/// quotas, billing: not rate-limit cool-downs) the task waits through in this turn (null: no count bound).
/// Both apply when both are set.
/// </summary>
public sealed record TaskLimitPolicy(OnLimit OnLimit, TimeSpan? MaxWait, int? MaxWindows);
