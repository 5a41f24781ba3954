using Docker.DotNet;
using Microsoft.Extensions.Options;
using Supervisor.Agents;
using Supervisor.Worker.Settings;

namespace Supervisor.Worker.Containers;

/// <summary>
/// At start-up, before the worker takes jobs, for a worker that serves container agents: removes the attempt containers
/// a killed predecessor with the same worker id left running, says which Docker engine it will use, and whether each
/// agent's image is there. It warns and never stops the worker: the engine may come later, and until then attempts
/// fail as ContainerCrash and are retried. An engine that does not answer holds the start for at most 30 s.
/// </summary>
sealed partial class ContainerEngineCheck(IDockerClient docker, AgentCatalog catalog, IOptions<WorkerOptions> options, ILogger<ContainerEngineCheck> logger)
    : IHostedService
{
    static readonly TimeSpan Limit = TimeSpan.FromSeconds(30);

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var agents = options.Value.Agents.Select(name => (Name: name, Agent: catalog.Get(name)))
            .Where(a => a.Agent.Isolation == IsolationModes.Container).ToList();
        if (agents.Count == 0)
            return;

        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(Limit);
        try
        {
            var version = await docker.System.GetVersionAsync(limit.Token);
            LogEngine(docker.Options.Endpoint.ToString(), version.Version, version.APIVersion);
            await RemoveLeftoversAsync(limit.Token);
            foreach (var (name, agent) in agents)
            {
                if (!await docker.ImageExistsAsync(agent.Image!, limit.Token))
                    LogImageMissing(name, agent.Image!);
            }
        }
        catch (Exception e) when (EngineErrors.IsFailure(e, limit.Token))
        {
            LogEngineUnavailable(string.Join(", ", agents.Select(a => a.Name)), EngineErrors.Describe(e, docker.Options.Endpoint, docker.Options.Timeout));
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            LogEngineUnavailable(string.Join(", ", agents.Select(a => a.Name)), $"no answer from the engine within {Limit.TotalSeconds:0}s");
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>
    /// A worker killed with <c>kill -9</c> leaves its attempts' containers running: they carry its id, and a worker
    /// with that id starting again means the one before it is gone (the same rule as for agent processes).
    /// </summary>
    async Task RemoveLeftoversAsync(CancellationToken cancellationToken)
    {
        var worker = options.Value.Id;
        foreach (var container in await docker.Containers.ListContainersAsync(ContainerRequests.Labelled($"{ContainerRequests.WorkerLabel}={worker}"),
            cancellationToken))
        {
            if (await docker.RemoveIfExistsAsync(container.ID, cancellationToken))
                LogRemoved((container.Names is [var name, ..] ? name.TrimStart('/') : null) ?? container.ID, container.State, worker);
        }
    }

    [LoggerMessage(LogLevel.Information, "Docker engine at {Address}: version {Version}, API {ApiVersion}")]
    partial void LogEngine(string address, string version, string apiVersion);

    [LoggerMessage(LogLevel.Warning, "Removed container {Container} ({State}) left by an earlier worker {WorkerId}")]
    partial void LogRemoved(string container, string state, string workerId);

    [LoggerMessage(LogLevel.Warning, "Agent {Agent}: image {Image} is not on the Docker engine; its attempts will fail until it is built or pulled there")]
    partial void LogImageMissing(string agent, string image);

    [LoggerMessage(LogLevel.Warning, "Container agents {Agents}: {Error}; their attempts fail as ContainerCrash (and are retried) until the engine answers")]
    partial void LogEngineUnavailable(string agents, string error);
}
