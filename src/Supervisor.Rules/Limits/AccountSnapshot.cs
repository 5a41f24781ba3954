namespace Supervisor.Rules.Limits;

/// <summary>
/// Where an account is in its block cycle: <c>Ok</c> → <c>Cooling</c> (a rate limit) or <c>Blocked</c> (a usage window,
/// quota or billing) until a time → <c>Probing</c> (one attempt tests the account) → <c>Ok</c>. A reached budget is no
/// state: it is derived from the spend at each decision.
/// </summary>
public enum AccountState
{
    /// <summary>Attempts start (within the cap and the budget).</summary>
    Ok,

    /// <summary>A rate-limit cool-down: no attempt starts until it ends.</summary>
    Cooling,

    /// <summary>A usage window, an exhausted quota or a billing problem: no attempt starts until it ends.</summary>
    Blocked,

    /// <summary>The block has ended and one probe attempt tests the account; every other start waits for its outcome.</summary>
    Probing,
}

/// <summary>
/// The block state of an account as it is stored: the state, the kind and times of the current episode (a block from its
/// first signal to the probe that ends it, however often a later signal extends it), and the probe.
/// </summary>
/// <param name="State">The account's state.</param>
/// <param name="Kind">The kind of the current episode's signal (kept while probing, for the record); null when <c>Ok</c>.</param>
/// <param name="BlockedUntil">When the block ends (kept, past, while probing); null when <c>Ok</c>.</param>
/// <param name="BlockSince">When the episode began: it tells one window from the next; null when <c>Ok</c>.</param>
/// <param name="ProbeTask">The task chosen to probe, while probing; null before one is chosen (the first start probes).</param>
/// <param name="ProbeSince">When <paramref name="ProbeTask"/> was chosen: its start is awaited for <see cref="AccountLimits.ProbeHold"/>.</param>
public sealed record AccountStatus(
    AccountState State, LimitKind? Kind, DateTime? BlockedUntil, DateTime? BlockSince, Guid? ProbeTask, DateTime? ProbeSince)
{
    /// <summary>An account without a block.</summary>
    public static AccountStatus Ok { get; } = new(AccountState.Ok, null, null, null, null, null);

    /// <summary>Whether a cool-down or block is in force at <paramref name="now"/>: one whose end has passed no longer holds anything back.</summary>
    public bool InForceAt(DateTime now) => State is AccountState.Cooling or AccountState.Blocked && BlockedUntil > now;
}

/// <summary>
/// What the planner reads of an account, under the account's row lock, at <see cref="Now"/> (the service's clock, UTC).
/// </summary>
public sealed record AccountSnapshot
{
    /// <summary>The account (<c>claude/3fa9c2d1e0b4</c>), named in messages.</summary>
    public required string Id { get; init; }

    /// <summary>Its block state.</summary>
    public required AccountStatus Status { get; init; }

    /// <summary>Attempts holding a lease on the account, the asking task's own not counted.</summary>
    public required int Running { get; init; }

    /// <summary>
    /// Released waiters not started yet, whose slots are held for them (each for the reservation hold); at a start check,
    /// the asking task's own reservation not counted.
    /// </summary>
    public required int Reserved { get; init; }

    /// <summary>Dollars spent in the current budget day (<see cref="AccountLimits.BudgetTimeZone"/>).</summary>
    public decimal SpentToday { get; init; }

    /// <summary>Dollars spent in the current budget month.</summary>
    public decimal SpentMonth { get; init; }

    /// <summary>
    /// The daily budget an operator set on the account; it wins over <see cref="AccountLimits.DailyBudgetUsd"/> (the
    /// configured one). Null: the configured one applies.
    /// </summary>
    public decimal? DailyBudgetUsd { get; init; }

    /// <summary>The monthly budget an operator set, like <see cref="DailyBudgetUsd"/>.</summary>
    public decimal? MonthlyBudgetUsd { get; init; }

    /// <summary>The service's clock (UTC): every decision is taken at this time.</summary>
    public required DateTime Now { get; init; }
}

/// <summary>
/// A task parked on the account and not released yet, waiting since <paramref name="Since"/> (the FIFO order).
/// <paramref name="LeavesOnBlock"/>: it waits for a slot under the cap, and would rather fall back to the next agent of its
/// chain than wait out a block (<c>onLimit: fallback</c>): when the account is blocked it is released at once, so that its
/// start check sends it on instead of leaving it queued behind the block.
/// </summary>
public sealed record AccountWaiter(Guid TaskId, DateTime Since, bool LeavesOnBlock = false);

/// <summary>What the probe's task has done, as the caller reads it from the task and its attempts.</summary>
public enum ProbeOutcome
{
    /// <summary>Chosen (released), no attempt started yet: awaited until <see cref="AccountLimits.ProbeHold"/> has passed.</summary>
    Pending,

    /// <summary>Its attempt runs: its end decides.</summary>
    Running,

    /// <summary>
    /// Its attempt ended without a limit signal: the account answers again, whether the task succeeded or failed for its own
    /// reasons. (A probe that ends with a signal is recorded through <see cref="LimitPlanner.OnSignal"/> first, which leaves
    /// the account blocked again; the release step then no longer sees it probing.)
    /// </summary>
    EndedWithoutSignal,

    /// <summary>
    /// The probe proved nothing: its task left (cancelled, fell back, ended) before its attempt ended, or the attempt was
    /// lost (worker gone, container crash). The next waiter probes.
    /// </summary>
    Lost,
}
