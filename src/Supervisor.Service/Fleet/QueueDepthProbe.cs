using Supervisor.Agents;

namespace Supervisor.Service.Fleet;

/// <summary>
/// Messages waiting in each agent queue, read with a passive declare over <see cref="BrokerInspection"/>
/// (RabbitMQ-specific: a single-process mode would answer from its in-memory transport instead).
/// </summary>
public sealed class QueueDepthProbe(BrokerInspection broker, ILogger<QueueDepthProbe> logger)
{
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
