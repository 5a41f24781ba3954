using MassTransit;
using Supervisor.Agents;

namespace Supervisor.Worker.Jobs;

/// <summary>
/// One receive endpoint per served agent, on the queue the saga sends that agent's jobs to; its policy is in
/// <see cref="RunAgentJobConsumerDefinition"/>.
/// </summary>
public static class AgentJobEndpoints
{
    public static void Configure(IBusRegistrationContext context, IBusFactoryConfigurator bus, IEnumerable<string> agents)
    {
        foreach (var name in agents)
            bus.ReceiveEndpoint(AgentQueues.Name(name), e => e.ConfigureConsumer<RunAgentJobConsumer>(context));
    }
}
