using Supervisor.Agents;

namespace Supervisor.Service.Api;

public static class AgentEndpoints
{
    public static IEndpointRouteBuilder MapAgentEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/agents", (AgentCatalog catalog) => TypedResults.Ok(
            catalog.Agents.OrderBy(a => a.Key).Select(a => new AgentView(
                a.Key, a.Value.Command, a.Value.Isolation, a.Value.Fallback, a.Value.Concurrency, a.Value.TimeoutSeconds, null)).ToList()));
        return app;
    }
}
