using Microsoft.Extensions.Options;
using Supervisor.Agents;

namespace Supervisor.Worker.Containers;

/// <summary>
/// At start-up, for a worker that serves container agents: says which Docker engine it will use and whether each
/// agent's image is there. It warns and never stops the worker: the engine may come later, and until then attempts
/// fail as ContainerCrash and are retried.
/// </summary>
sealed partial class ContainerEngineCheck(DockerClient docker, AgentCatalog catalog, IOptions<WorkerOptions> options, ILogger<ContainerEngineCheck> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var agents = options.Value.Agents.Select(name => (Name: name, Agent: catalog.Get(name)))
            .Where(a => a.Agent.Isolation == IsolationModes.Container).ToList();
        if (agents.Count == 0)
            return;

        try
        {
            var version = await docker.VersionAsync(stoppingToken);
            LogEngine(docker.Endpoint.Address, version.Version, version.ApiVersion);
            foreach (var (name, agent) in agents)
            {
                if (await docker.InspectImageAsync(agent.Image!, stoppingToken) is null)
                    LogImageMissing(name, agent.Image!);
            }
        }
        catch (DockerEngineException e)
        {
            LogEngineUnavailable(string.Join(", ", agents.Select(a => a.Name)), e.Message);
        }
    }

    [LoggerMessage(LogLevel.Information, "Docker engine at {Address}: version {Version}, API {ApiVersion}")]
    partial void LogEngine(string address, string version, string apiVersion);

    [LoggerMessage(LogLevel.Warning, "Agent {Agent}: image {Image} is not on the Docker engine; its attempts will fail until it is built or pulled there")]
    partial void LogImageMissing(string agent, string image);

    [LoggerMessage(LogLevel.Warning, "Container agents {Agents}: {Error}; their attempts fail as ContainerCrash (and are retried) until the engine answers")]
    partial void LogEngineUnavailable(string agents, string error);
}
