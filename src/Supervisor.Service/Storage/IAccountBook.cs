using Supervisor.Rules.Limits;

namespace Supervisor.Service.Storage;

/// <summary>
/// The accounts as the saga's start check sees them: inside the transaction that holds the task's row, the account's row
/// is locked too, so that the starts of one account are decided one at a time across service instances (a block, a probe
/// and a cap are then exact). Bound to the saga's own connection; a payload of each message the saga handles.
/// </summary>
public interface IAccountBook
{
    /// <summary>The zone whose days and months the spend on a snapshot is summed over (<c>Supervisor:Limits:BudgetTimeZone</c>).</summary>
    TimeZoneInfo BudgetTimeZone { get; }

    /// <summary>
    /// Locks <paramref name="account"/> (creating it, ok, on its first start) and reads it at <paramref name="now"/>:
    /// attempts running on it and released waiters not started yet, <paramref name="askingTask"/>'s own not counted, its
    /// spend in the current budget day and month, and the budgets an operator set on it.
    /// </summary>
    Task<AccountSnapshot> LockAsync(string account, string agent, Guid askingTask, TimeSpan reservationHold, DateTime now, CancellationToken cancellationToken);

    /// <summary>Writes the account's new block status (a start taken as its probe).</summary>
    Task SaveStatusAsync(string account, AccountStatus status, DateTime now, CancellationToken cancellationToken);

    /// <summary>
    /// Parks <paramref name="task"/> on <paramref name="account"/>, in the queue from <paramref name="since"/> (its first park in
    /// this agent's turn, so a task parked again keeps its place); a release it had is forgotten. A park that is not one
    /// already counts as a wait for <paramref name="reason"/> (<c>limit</c>, <c>cap</c>, <c>budget</c>) in <c>/metrics</c>.
    /// </summary>
    Task ParkAsync(string account, Guid task, DateTime since, string reason, CancellationToken cancellationToken);

    /// <summary>The task waits on no account any more (it starts, falls back or fails): its waiter rows go, reservations included.</summary>
    Task LeaveAsync(Guid task, CancellationToken cancellationToken);
}
