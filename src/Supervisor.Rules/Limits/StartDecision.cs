namespace Supervisor.Rules.Limits;

/// <summary>
/// A task's wait on its current agent's account in this agent's turn: since its first park (the start of the
/// <see cref="TaskLimitPolicy.MaxWait"/> bound), how many of the account's blocks it has waited in
/// (<see cref="TaskLimitPolicy.MaxWindows"/>), and the <see cref="AccountStatus.BlockSince"/> of the last one counted,
/// so that parking again in the same block does not count it twice.
/// </summary>
public sealed record TaskWait(DateTime Since, int Windows, DateTime? WindowSince);

/// <summary>
/// A task asking to start an attempt on the account: its limit policy, whether its chain has an agent after this one,
/// and its wait so far in this agent's turn (null when it has not parked in it).
/// </summary>
public sealed record StartRequest(Guid TaskId, TaskLimitPolicy Policy, bool HasNextAgent, TaskWait? Waited);

/// <summary>What the start check answers.</summary>
public enum StartAction
{
    /// <summary>The attempt starts.</summary>
    Grant,

    /// <summary>The attempt starts as the account's probe (<see cref="StartDecision.Account"/> says the new status).</summary>
    GrantAsProbe,

    /// <summary>The task waits on the account without holding a worker: no attempt now, a release later.</summary>
    Park,

    /// <summary>The task leaves this agent for the next one of its chain now.</summary>
    FallBack,

    /// <summary>The task fails: it cannot wait that long and has no agent to fall back to.</summary>
    Fail,
}

/// <summary>Why a start did not happen.</summary>
public enum WaitReason
{
    /// <summary>The account is cooling, blocked, or probing with another task.</summary>
    Limit,

    /// <summary>The account runs <see cref="AccountLimits.MaxConcurrent"/> attempts, reservations included.</summary>
    Cap,

    /// <summary>The account's daily or monthly budget is spent.</summary>
    Budget,
}

/// <summary>
/// The start check's verdict. <see cref="Reason"/> and <see cref="Message"/> are set unless it grants; the times and
/// <see cref="Wait"/> only when it parks.
/// </summary>
/// <param name="Action">What happens.</param>
/// <param name="Reason">What stood in the way.</param>
/// <param name="Until">When the wait should end (the block's end, the next budget window); null for a cap or a probe, whose end nobody knows.</param>
/// <param name="Deadline">When the task stops waiting (its wait's since + maxWait); null without a time bound.</param>
/// <param name="Wait">The task's wait to store, this park included.</param>
/// <param name="Account">The account's new status when the start changes it (a probe taken), otherwise null.</param>
/// <param name="Message">For the person reading the task: what stood in the way, and which bound when it gave up.</param>
public sealed record StartDecision(
    StartAction Action,
    WaitReason? Reason,
    DateTime? Until,
    DateTime? Deadline,
    TaskWait? Wait,
    AccountStatus? Account,
    string? Message)
{
    /// <summary>An ordinary start.</summary>
    public static StartDecision Grant { get; } = new(StartAction.Grant, null, null, null, null, null, null);

    /// <summary>A start as the probe; <paramref name="account"/> is the status to write (or the unchanged one).</summary>
    public static StartDecision Probe(AccountStatus account) => new(StartAction.GrantAsProbe, null, null, null, null, account, null);

    /// <summary>A park until <paramref name="until"/> (or a release), giving up at <paramref name="deadline"/>.</summary>
    public static StartDecision Park(WaitReason reason, DateTime? until, DateTime? deadline, TaskWait wait, string message) =>
        new(StartAction.Park, reason, until, deadline, wait, null, message);

    /// <summary>The next agent now.</summary>
    public static StartDecision FallBack(WaitReason reason, string message) => new(StartAction.FallBack, reason, null, null, null, null, message);

    /// <summary>The task fails.</summary>
    public static StartDecision Fail(WaitReason reason, string message) => new(StartAction.Fail, reason, null, null, null, null, message);
}
