using Supervisor.Agents;

namespace Supervisor.Service.Fleet;

/// <summary>
/// Messages waiting in each agent queue, read with a passive declare over <see cref="BrokerInspection"/>
/// (RabbitMQ-specific: a single-process mode would answer from its in-memory transport instead).
/// </summary>
public sealed class QueueDepthProbe(BrokerInspection broker, ILogger<QueueDepthProbe> logger)
{
    /// <summary>Each agent's queue depth as <see cref="DepthAsync"/> says, read at once; every one null when the broker cannot be reached.</summary>
    public async Task<IReadOnlyDictionary<string, long?>> DepthsAsync(IReadOnlyList<string> agents, CancellationToken cancellationToken)
    {
        try
        {
            var counts = await broker.WithConnectionAsync(connection =>
                BrokerInspection.CountAllAsync(connection, agents.Select(AgentQueues.Name), cancellationToken), cancellationToken);
            return agents.Select((agent, i) => (agent, (long?)(counts[i] ?? 0))).ToDictionary(a => a.agent, a => a.Item2, StringComparer.Ordinal);
        }
        catch (Exception e) when (BrokerInspection.IsUnreachable(e))
        {
            logger.LogWarning(e, "Queue depths unavailable");
            return agents.ToDictionary(a => a, _ => (long?)null, StringComparer.Ordinal);
        }
    }

    /// <summary>The agent's queue depth: 0 when the queue does not exist yet (no worker ever served the agent, no job was sent); null when the broker cannot be reached.</summary>
    public async Task<long?> DepthAsync(string agent, CancellationToken cancellationToken)
    {
        try
        {
            return await broker.WithConnectionAsync(async connection =>
                await BrokerInspection.CountAsync(connection, AgentQueues.Name(agent), cancellationToken) ?? 0, cancellationToken);
        }
        catch (Exception e) when (BrokerInspection.IsUnreachable(e))
        {
            logger.LogWarning(e, "Queue depth of {Agent} unavailable", agent);
            return null;
        }
    }
}
