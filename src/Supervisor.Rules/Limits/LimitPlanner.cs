namespace Supervisor.Rules.Limits;

/// <summary>
/// The account limit decisions, pure: what a limit signal does to an account's block (<see cref="OnSignal"/>), whether an
/// attempt may start on it (<see cref="DecideStart"/>), and what the release step does after a block, a probe or a freed
/// slot (<see cref="PlanRelease"/>). The caller reads an <see cref="AccountSnapshot"/> under the account's row lock and
/// writes what the planner decides in the same transaction, so the decisions of one account are serial across instances.
/// Time comes in as parameters: the service's clock is <see cref="AccountSnapshot.Now"/>.
/// </summary>
public static partial class LimitPlanner
{
    /// <summary>
    /// The account's block after <paramref name="signal"/>, reported by a worker whose clock read
    /// <paramref name="observedAt"/> when it sent it, and received at the snapshot's time (the service's clock).
    /// </summary>
    /// <remarks>
    /// The reset, on the service's clock: a <see cref="LimitSignal.ResetIn"/> alone counts from now;
    /// a <see cref="LimitSignal.ResetAt"/> that the worker computed from a delay (both set) is on the worker's clock and is
    /// moved by (now − <paramref name="observedAt"/>), as retry times are; a
    /// <see cref="LimitSignal.ResetAt"/> alone is the provider's own time and taken as given. Then
    /// <c>until = clamp(reset, now + MinBlock, now + MaxBlock)</c>, or <c>now + DefaultBlock[kind]</c> (clamped too) without a
    /// reset. A rate limit cools the account, every other kind blocks it. A block in force is extended by a later until and
    /// never shortened (the later until brings its kind), and left as it is by a signal without a reset; a lapsed block, an
    /// ok account and a probing one (the probe failed, or an attempt that ran beside it) begin a new episode.
    /// </remarks>
    public static SignalOutcome OnSignal(AccountSnapshot snapshot, LimitSignal signal, DateTime observedAt, AccountLimits limits)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        ArgumentNullException.ThrowIfNull(signal);
        ArgumentNullException.ThrowIfNull(limits);
        Check(snapshot);
        RequireUtc(observedAt, nameof(observedAt));

        var serviceNow = snapshot.Now;
        var until = Until(signal, observedAt, serviceNow, limits);
        var state = signal.Kind == LimitKind.RateLimit ? AccountState.Cooling : AccountState.Blocked;
        var status = snapshot.Status;
        var inForce = status.InForceAt(serviceNow);
        if (!inForce)
            return new SignalOutcome(new AccountStatus(state, signal.Kind, until, serviceNow, null, null), SignalEffect.NewEpisode);
        // A signal that names no reset, during a block in force, restates the limit (a CLI's final error after its retry
        // notice said when): the default block would only guess past the reset already known.
        if (until <= status.BlockedUntil || (signal.ResetAt is null && signal.ResetIn is null))
            return new SignalOutcome(status, SignalEffect.Unchanged);
        return new SignalOutcome(status with { State = state, Kind = signal.Kind, BlockedUntil = until }, SignalEffect.Extended);
    }

    static DateTime Until(LimitSignal signal, DateTime observedAt, DateTime serviceNow, AccountLimits limits)
    {
        DateTime? reset = signal switch
        {
            { ResetAt: { } at, ResetIn: not null } => serviceNow + (Utc(at) - observedAt),
            { ResetIn: { } delay } => serviceNow + delay,
            { ResetAt: { } at } => Utc(at),
            _ => null,
        };
        var earliest = serviceNow + limits.MinBlock;
        var latest = serviceNow + limits.MaxBlock;
        var until = reset ?? serviceNow + limits.DefaultBlock.For(signal.Kind);
        return until < earliest ? earliest : until > latest ? latest : until;
    }

    /// <summary>A reset read as UTC: the signal's times are UTC by contract, whatever Kind a parser left on them.</summary>
    static DateTime Utc(DateTime at) => at.Kind == DateTimeKind.Utc ? at : DateTime.SpecifyKind(at, DateTimeKind.Utc);

    /// <summary>The snapshot must be a state the account can be in; anything else is a programming error of the caller.</summary>
    static void Check(AccountSnapshot snapshot)
    {
        RequireUtc(snapshot.Now, nameof(snapshot));
        if (snapshot.Running < 0 || snapshot.Reserved < 0)
            throw new ArgumentException($"running ({snapshot.Running}) and reserved ({snapshot.Reserved}) cannot be negative.", nameof(snapshot));
        var status = snapshot.Status ?? throw new ArgumentException("the account's status is missing.", nameof(snapshot));
        var all = status.Kind is not null && status.BlockedUntil is not null && status.BlockSince is not null;
        var any = status.Kind is not null || status.BlockedUntil is not null || status.BlockSince is not null;
        if (status.State == AccountState.Ok ? any : !all)
            throw new ArgumentException($"a {status.State} account has a kind, an until and a since exactly when it is not ok.", nameof(snapshot));
        if (status.ProbeTask is not null != status.ProbeSince is not null || (status.ProbeTask is not null && status.State != AccountState.Probing))
            throw new ArgumentException($"only a probing account has a probe, with the time it was chosen ({status.State}).", nameof(snapshot));
    }

    static void RequireUtc(DateTime at, string name)
    {
        if (at.Kind != DateTimeKind.Utc)
            throw new ArgumentException($"must be a UTC time (its Kind is {at.Kind}).", name);
    }
}
