namespace Supervisor.Rules.Limits;

/// <summary>
/// A waiter let go: a <c>LimitReleased</c> for <paramref name="TaskId"/> to deliver at <paramref name="At"/>, its slot
/// reserved from now on. <paramref name="Probe"/> when it goes first, alone, to test the account.
/// </summary>
public sealed record PlannedRelease(Guid TaskId, DateTime At, bool Probe);

/// <summary>
/// What one release step does, under the account's row lock: the account's new status, the waiters it releases (in
/// FIFO order, spread in time), whether the block's episode is over (its record closed at now), and when the account
/// must be looked at again (<c>AccountWake</c>; null when an event will do it: an attempt's end, a probe's end).
/// </summary>
public sealed record ReleasePlan(AccountStatus Status, IReadOnlyList<PlannedRelease> Releases, bool EpisodeEnded, DateTime? NextWakeAt);
