using MassTransit;
using Supervisor.Agents;

namespace Supervisor.Worker.Jobs;

/// <summary>One receive endpoint per served agent, on the queue the saga sends that agent's jobs to.</summary>
public static class AgentJobEndpoints
{
    public static void Configure(IBusRegistrationContext context, IBusFactoryConfigurator bus, AgentCatalog catalog, IEnumerable<string> agents)
    {
        foreach (var name in agents)
        {
            var agent = catalog.Get(name);
            bus.ReceiveEndpoint(AgentQueues.Name(name), e =>
            {
                // Jobs are sent to this queue; binding it to the RunAgentJob exchange would deliver every agent's jobs here.
                e.ConfigureConsumeTopology = false;
                // A worker holds no more jobs than it runs, so idle workers of the same agent get the rest.
                e.PrefetchCount = agent.Concurrency;
                e.ConcurrentMessageLimit = agent.Concurrency;
                e.ConfigureConsumer<RunAgentJobConsumer>(context);
            });
        }
    }
}
