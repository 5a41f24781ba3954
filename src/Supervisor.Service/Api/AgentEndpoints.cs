using Supervisor.Agents;
using Supervisor.Service.Fleet;

namespace Supervisor.Service.Api;

public static class AgentEndpoints
{
    public static IEndpointRouteBuilder MapAgentEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/agents", async (AgentCatalog catalog, FleetQueries fleet, QueueDepthProbe queues, CancellationToken cancellationToken) =>
        {
            var workers = await fleet.WorkersAsync(cancellationToken);
            var agents = new List<AgentView>();
            foreach (var (name, agent) in catalog.Agents.OrderBy(a => a.Key, StringComparer.CurrentCulture))
            {
                agents.Add(new AgentView(name, agent.Command, agent.Isolation, agent.Fallback, agent.Concurrency, agent.TimeoutSeconds,
                    await queues.DepthAsync(name, cancellationToken),
                    workers.Where(w => w.Agents.Contains(name, StringComparer.OrdinalIgnoreCase)).ToList()));
            }

            return TypedResults.Ok(agents);
        })
            .WithTags("Agents")
            .WithName("ListAgents")
            .WithSummary("List the configured agents, with their queue depth and the workers that serve them");
        return app;
    }
}
