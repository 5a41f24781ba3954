namespace Supervisor.Agents;

/// <summary>Every agent type has one durable queue, shared by all of its workers.</summary>
public static class AgentQueues
{
    public static string Name(string agent) => $"agent-{agent}";

    public static Uri Address(string agent) => new($"queue:{Name(agent)}");
}
