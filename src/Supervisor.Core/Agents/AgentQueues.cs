namespace Supervisor.Agents;

/// <summary>Every agent type has one durable queue, shared by all of its workers.</summary>
public static class AgentQueues
{
    public static string Name(string agent) => $"agent-{agent}";

    public static Uri Address(string agent) => new($"queue:{Name(agent)}");

    /// <summary>
    /// The task saga's queue. Besides the saga's events, a worker asks it for an attempt's lease before it runs one
    /// (<c>AttemptStartRequest</c>) and gives an unused lease back there (<c>ReleaseAttemptClaim</c>): the answer comes
    /// from the task's own state, in the saga's transaction.
    /// </summary>
    public const string TaskState = "task-state";

    public static readonly Uri TaskStateAddress = new($"queue:{TaskState}");
}
