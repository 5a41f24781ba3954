using Microsoft.Extensions.Options;
using Supervisor.Agents;
using Supervisor.Service.Fleet;
using Supervisor.Service.Limits;
using Supervisor.Service.Storage;

namespace Supervisor.Service.Api;

public static class AgentEndpoints
{
    public static IEndpointRouteBuilder MapAgentEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/agents", async (AgentCatalog catalog, FleetQueries fleet, QueueDepthProbe queues, IAccountStore accounts,
            IOptions<LimitSettings> settings, TimeProvider clock, CancellationToken cancellationToken) =>
        {
            var workers = await fleet.WorkersAsync(cancellationToken);
            var now = clock.GetUtcNow().UtcDateTime;
            var stored = await accounts.ListAsync(now, cancellationToken);
            var zone = settings.Value.BudgetZone;
            var agents = new List<AgentView>();
            foreach (var (name, agent) in catalog.Agents.OrderBy(a => a.Key, StringComparer.CurrentCulture))
            {
                var serving = workers.Where(w => w.Agents.Contains(name, StringComparer.OrdinalIgnoreCase)).ToList();
                // The accounts the live workers use for this agent, and any other that reported a limit for it.
                var named = serving.Where(w => !w.Lost).Select(w => w.Accounts.GetValueOrDefault(name)).OfType<string>();
                var ids = named.Concat(stored.Where(a => string.Equals(a.Agent, name, StringComparison.OrdinalIgnoreCase)).Select(a => a.Id))
                    .Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal);
                var views = ids.Select(id => AccountView.Of(id, stored.FirstOrDefault(a => a.Id == id),
                    serving.Count(w => !w.Lost && w.Accounts.GetValueOrDefault(name) == id), agent.Limits, zone, now)).ToList();
                agents.Add(new AgentView(name, agent.Command, agent.Isolation, agent.Fallback, agent.Concurrency, agent.TimeoutSeconds,
                    await queues.DepthAsync(name, cancellationToken), serving, views));
            }

            return TypedResults.Ok(agents);
        })
            .WithTags("Agents")
            .WithName("ListAgents")
            .WithSummary("List the configured agents, with their queue depth, the workers that serve them and the state of their provider accounts");
        return app;
    }
}
