namespace Supervisor.Contracts;

/// <summary>Why a task needs a person's attention (<see cref="TaskAttentionRaised.Kind"/>); the names are part of the public interface.</summary>
public static class AttentionKinds
{
    /// <summary>The task entered <c>AwaitingApproval</c>: policy wants a person to approve or reject it.</summary>
    public const string AwaitingApproval = "awaitingApproval";

    /// <summary>The task entered <c>Failed</c>: every agent of its chain gave up, or the task cannot run.</summary>
    public const string Failed = "failed";

    /// <summary>
    /// The task parked on a provider account that a usage window, rate limit or spent budget blocks (not on a full
    /// account or concurrency key): it waits, with no attempt, until the account is released.
    /// </summary>
    public const string Blocked = "blocked";

    /// <summary>
    /// A job of the task went to its agent's error queue (<c>agent-NAME_error</c>): it failed for a reason no attempt
    /// reported, and waits there for an operator to look at it and redrive or purge it.
    /// </summary>
    public const string DeadLettered = "deadLettered";

    public static readonly IReadOnlyList<string> All = [AwaitingApproval, Failed, Blocked, DeadLettered];
}
