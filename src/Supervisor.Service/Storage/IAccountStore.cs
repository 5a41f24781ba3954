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

    /// <summary>Every account with a recorded signal, by id.</summary>
    Task<IReadOnlyList<AccountRecord>> ListAsync(CancellationToken cancellationToken);

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
    int Running = 0, int Waiting = 0, int StartedWhileBlocked = 0);
