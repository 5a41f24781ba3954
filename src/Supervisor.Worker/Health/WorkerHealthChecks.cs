using Docker.DotNet;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Supervisor.Agents;
using Supervisor.Hosting;
using Supervisor.Worker.Attempts;
using Supervisor.Worker.Containers;
using Supervisor.Worker.Execution;
using Supervisor.Worker.Settings;

namespace Supervisor.Worker.Health;

/// <summary>
/// What a worker needs to run its attempts, as readiness checks (served by <see cref="Metrics.MetricsServer"/> at
/// <c>/health/ready</c>, beside MassTransit's own bus check): each served agent's binary, and the Docker engine when it
/// serves container agents.
/// </summary>
public static class WorkerHealthChecks
{
    public static IHostApplicationBuilder AddWorkerHealthChecks(this IHostApplicationBuilder builder)
    {
        builder.Services.AddHealthChecks()
            .AddCheck<AgentBinariesHealthCheck>("agents", tags: [SupervisorHealth.ReadyTag])
            .AddCheck<ContainerEngineHealthCheck>("container-engine", tags: [SupervisorHealth.ReadyTag]);
        return builder;
    }
}

/// <summary>
/// Every served agent's command is found where its attempts will look (the PATH they are given), as the attempt itself
/// would resolve it. A container agent's binary is in its image; a relative path is resolved in each attempt's workspace.
/// </summary>
sealed class AgentBinariesHealthCheck(AgentCatalog catalog, IOptions<WorkerOptions> options) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var problems = new List<string>();
        foreach (var name in options.Value.Agents)
        {
            var agent = catalog.Get(name);
            var command = agent.Command ?? "";
            if (agent.Isolation == IsolationModes.Container || (command.Contains('/', StringComparison.Ordinal) && !Path.IsPathRooted(command)))
                continue;
            var environment = AgentEnvironment.WorkerBasics();
            if (agent.Env.TryGetValue("PATH", out var path))
                environment["PATH"] = path;
            if (!ExecutableResolver.TryResolve(command, Environment.CurrentDirectory, environment, out _, out var error))
                problems.Add($"{name}: {error}");
        }

        return Task.FromResult(problems.Count == 0
            ? HealthCheckResult.Healthy($"found: {string.Join(", ", options.Value.Agents)}")
            : HealthCheckResult.Unhealthy(string.Join("; ", problems)));
    }
}

/// <summary>The Docker engine answers, when this worker serves a container agent (checked with a short limit).</summary>
sealed class ContainerEngineHealthCheck(IDockerClient docker, AgentCatalog catalog, IOptions<WorkerOptions> options) : IHealthCheck
{
    static readonly TimeSpan Limit = TimeSpan.FromSeconds(3);

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (!options.Value.Agents.Any(name => catalog.Get(name).Isolation == IsolationModes.Container))
            return HealthCheckResult.Healthy("no container agent served");

        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(Limit);
        try
        {
            var version = await docker.System.GetVersionAsync(limit.Token);
            return HealthCheckResult.Healthy($"Docker engine {version.Version} at {docker.Options.Endpoint}");
        }
        catch (Exception e) when (EngineErrors.IsFailure(e, limit.Token))
        {
            return HealthCheckResult.Unhealthy(EngineErrors.Describe(e, docker.Options.Endpoint, docker.Options.Timeout));
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return HealthCheckResult.Unhealthy($"the Docker engine at {docker.Options.Endpoint} did not answer within {Limit.TotalSeconds:0}s");
        }
    }
}
