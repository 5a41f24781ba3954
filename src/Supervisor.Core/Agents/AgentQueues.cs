namespace Supervisor.Agents;

/// <summary>Every agent type has one durable queue, shared by all of its workers.</summary>
public static class AgentQueues
{
    public static string Name(string agent) => $"agent-{agent}";

    public static Uri Address(string agent) => new($"queue:{Name(agent)}");

    /// <summary>
    /// The service's start-check queue: a worker asks it before it runs an attempt (<c>AttemptStartRequest</c>) and gives
    /// an unused claim back there (<c>ReleaseAttemptClaim</c>).
    /// </summary>
    public const string StartCheck = "attempt-start";

    public static readonly Uri StartCheckAddress = new($"queue:{StartCheck}");
}
