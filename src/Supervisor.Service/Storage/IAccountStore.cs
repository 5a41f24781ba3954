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
}

/// <summary>A limit signal for an account, as a worker reported it (its clock read <see cref="ObservedAt"/>).</summary>
public sealed record AccountSignal(
    string Account, string Agent, LimitSignal Signal, DateTime ObservedAt, Guid? TaskId, Guid? AttemptId, string? Worker);

/// <summary>An account's stored block state, its last signal's evidence, and how many block episodes it has had.</summary>
public sealed record AccountRecord(
    string Id, string Agent, AccountStatus Status, string? LastEvidence, DateTime? LastSignalAt, int Blocks, DateTime UpdatedAt);
