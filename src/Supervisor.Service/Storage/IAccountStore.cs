using Supervisor.Rules.Limits;

namespace Supervisor.Service.Storage;

/// <summary>The block state of the provider accounts, and their block episodes.</summary>
public interface IAccountStore
{
    /// <summary>
    /// Applies <paramref name="signal"/> to its account under the account's row lock (creating the account on its first
    /// signal), as <see cref="LimitPlanner.OnSignal"/> decides with <paramref name="limits"/> at <paramref name="now"/>, and
    /// records a new episode or the later end of the current one.
    /// </summary>
    Task<SignalOutcome> RecordSignalAsync(AccountSignal signal, AccountLimits limits, DateTime now, CancellationToken cancellationToken);

    /// <summary>Every account on record (one that started an attempt or had a signal), by id, with its spend at <paramref name="now"/>.</summary>
    Task<IReadOnlyList<AccountRecord>> ListAsync(DateTime now, CancellationToken cancellationToken);

    /// <summary>One account as <see cref="ListAsync"/> reads it, with the tasks parked on it; null when none has that id.</summary>
    Task<(AccountRecord Account, IReadOnlyList<AccountWaiting> Waiting)?> GetAsync(string account, DateTime now, CancellationToken cancellationToken);

    /// <summary>
    /// Sets or clears the operator's budgets of <paramref name="account"/> (creating its row, ok, for <paramref name="agent"/>
    /// if it has none yet): a window whose change is null is left as it is.
    /// </summary>
    Task SetBudgetAsync(string account, string agent, BudgetChange? daily, BudgetChange? monthly, DateTime now, CancellationToken cancellationToken);

    /// <summary>The accounts the release step has work on: not ok, or with tasks parked on them and not released.</summary>
    Task<IReadOnlyList<string>> PendingReleaseAsync(CancellationToken cancellationToken);

    /// <summary>
    /// One release step of <paramref name="account"/> under its row lock: reads it, its waiters and its probe's outcome at
    /// <paramref name="now"/>, writes what <paramref name="plan"/> decides (its status, the waiters it releases, the end of
    /// the block's episode) and returns the plan. Released waiters not started within <paramref name="reservationHold"/>
    /// hold no slot any more.
    /// </summary>
    Task<ReleasePlan> ReleaseAsync(string account, Func<AccountToRelease, ReleasePlan> plan, TimeSpan reservationHold, DateTime now,
        CancellationToken cancellationToken);

    /// <summary>
    /// The released waiters whose time has come and whose task is still parked on the account, not sent in the last
    /// <paramref name="resendAfter"/>: marked sent now, for a <c>LimitReleased</c> each. Waiter rows of tasks no longer parked
    /// (ended, moved on) and reservations older than <paramref name="reservationHold"/> are deleted.
    /// </summary>
    Task<IReadOnlyList<DueRelease>> TakeDueReleasesAsync(DateTime now, TimeSpan resendAfter, TimeSpan reservationHold, CancellationToken cancellationToken);
}

/// <summary>What the release step reads of an account under its lock: its agent, its state, its waiters and its probe's outcome.</summary>
public sealed record AccountToRelease(string Agent, AccountSnapshot Snapshot, IReadOnlyList<WaitingTask> Waiters, ProbeOutcome? Probe);

/// <summary>
/// A task parked on the account: since when, its own <c>onLimit</c> (null: its agent's), and whether it waits for a slot
/// under the cap with another agent after this one in its chain.
/// </summary>
public sealed record WaitingTask(Guid TaskId, DateTime Since, string? OnLimit, bool CappedWithNextAgent);

/// <summary>A parked task to let go now.</summary>
public sealed record DueRelease(Guid TaskId, string Account, bool Probe);

/// <summary>A limit signal for an account, as a worker reported it (its clock read <see cref="ObservedAt"/>).</summary>
public sealed record AccountSignal(
    string Account, string Agent, LimitSignal Signal, DateTime ObservedAt, Guid? TaskId, Guid? AttemptId, string? Worker);

/// <summary>
/// An account's stored block state, its last signal's evidence, how many block episodes it has had, the attempts running
/// on it, the tasks parked on it, and the attempts that started on it while it was blocked (the gate lets none: must be 0).
/// </summary>
public sealed record AccountRecord(
    string Id, string Agent, AccountStatus Status, string? LastEvidence, DateTime? LastSignalAt, int Blocks, DateTime UpdatedAt,
    int Running = 0, int Waiting = 0, int StartedWhileBlocked = 0, AccountSpend? Spend = null);

/// <summary>An account's spend in the current budget day and month, and the budgets an operator set on it (null: configured).</summary>
public sealed record AccountSpend(decimal SpentToday, decimal SpentMonth, decimal? DailyBudgetUsd, decimal? MonthlyBudgetUsd)
{
    /// <summary>Nothing spent, no operator budget.</summary>
    public static AccountSpend None { get; } = new(0, 0, null, null);
}

/// <summary>An operator's new budget of one window: <see cref="Usd"/>, or null to go back to the configured one.</summary>
public sealed record BudgetChange(decimal? Usd);

/// <summary>A task parked on an account since <paramref name="Since"/>; <paramref name="Released"/> once the release step let it go.</summary>
public sealed record AccountWaiting(Guid TaskId, DateTime Since, bool Released);
