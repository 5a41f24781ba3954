using Docker.DotNet;
using MassTransit;
using Microsoft.Extensions.Options;
using Supervisor.Agents;
using Supervisor.Hosting;
using Supervisor.Rules.Interpretation;
using Supervisor.Settings;
using Supervisor.Worker.Attempts;
using Supervisor.Worker.Containers;
using Supervisor.Worker.Execution;
using Supervisor.Worker.Health;
using Supervisor.Worker.Jobs;
using Supervisor.Worker.Metrics;
using Supervisor.Worker.Settings;
using Supervisor.Worker.Workspaces;

namespace Supervisor.Worker;

public static class WorkerExtensions
{
    /// <summary>Splits the repeatable <c>--agent NAME</c> from the arguments the host's configuration reads.</summary>
    public static (List<string> Agents, string[] HostArgs) ParseAgents(string[] args)
    {
        var agents = new List<string>();
        var rest = new List<string>();
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i] is "--agent" or "-a" && i + 1 < args.Length)
                agents.AddRange(args[++i].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
            else if (args[i].StartsWith("--agent=", StringComparison.Ordinal))
                agents.AddRange(args[i]["--agent=".Length..].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
            else
                rest.Add(args[i]);
        }

        return (agents, [.. rest]);
    }

    public static IHostApplicationBuilder AddSupervisorWorker(this IHostApplicationBuilder builder, IReadOnlyList<string> agents)
    {
        builder.AddSupervisorDefaults("supervisor-worker");
        builder.Services.AddValidatedOptions<WorkerOptions>(WorkerOptions.Section)
            .PostConfigure(o => o.Agents.AddRange(agents.Except(o.Agents, StringComparer.Ordinal)));
        builder.Services.AddSingleton<IValidateOptions<WorkerOptions>, WorkerAgentsValidator>();
        builder.Services.AddValidatedOptions<HookOptions>(HookOptions.Section);
        builder.AddWorkerHealthChecks();

        builder.Services.AddSingleton<IValidateOptions<WorkerOptions>, AgentUsersValidator>();
        builder.Services.AddSingleton<AgentUsers>();
        builder.Services.AddHostedService<AgentSandboxCheck>();
        // A sandboxed agent's HOME is always the attempt's own: the worker's HOME is root's, with the worker's credentials.
        // Read from the configuration, not IOptions<WorkerOptions>: validating those reads the agent catalog, built from these.
        var configuration = builder.Configuration;
        builder.Services.AddOptions<SupervisorOptions>().PostConfigure(o =>
        {
            var agentUsers = configuration[$"{WorkerOptions.Section}:{nameof(WorkerOptions.AgentUsers)}"] ?? AgentUserRange.Default;
            if (AgentUserRange.TryRead(agentUsers) is not null)
            {
                foreach (var agent in o.Agents.Values)
                    agent.Home = HomeModes.Attempt;
            }
        });
        builder.Services.AddSingleton<AgentProcessLedger>();
        // Before anything that starts processes: the reaper kills what this worker started when it dies, however it dies.
        builder.Services.AddHostedService<AgentReaper>();
        builder.Services.AddSingleton<ProcessRunner>();
        builder.Services.AddSingleton<CommandRunner>();
        // Constructing the client connects to nothing: workers without container agents never talk to an engine.
        builder.Services.AddSingleton(sp => DockerConnection.FromEnvironment(sp.GetRequiredService<IOptions<WorkerOptions>>().Value.EngineCallTimeout));
        builder.Services.AddSingleton(sp => new ContainerRunner(sp.GetRequiredService<IDockerClient>(),
            sp.GetRequiredService<IOptions<WorkerOptions>>().Value.Id, sp.GetRequiredService<ILogger<ContainerRunner>>()));
        builder.Services.AddHostedService<ContainerEngineCheck>();
        builder.Services.AddSingleton<AttemptExecutor>();
        builder.Services.AddSingleton<WorkerShutdown>();
        builder.Services.AddHostedService<WorkerAnnouncement>();
        builder.Services.AddSingleton<RunningAttempts>();
        builder.Services.AddSingleton<AttemptHooks>();
        // Per delivery, like the consumer: the start check's request client sends from the job's consume context.
        builder.Services.AddScoped<AttemptEvents>();
        builder.Services.AddScoped<AttemptStartGate>();
        builder.Services.AddSingleton<StartCheckReplies>();
        // Without dependencies of its own: the bus resolves its endpoint observers while it is built. One instance, the one
        // StartCheckReplies listens to (AddReceiveEndpointObserver<T>() would make a second).
        builder.Services.AddSingleton<BrokerReconnects>();
        builder.Services.AddReceiveEndpointObserver(sp => sp.GetRequiredService<BrokerReconnects>());
        builder.Services.AddScoped<AgentRunner>();
        builder.Services.AddScoped<AttemptPipeline>();
        builder.Services.AddSingleton<WorkerMetrics>();
        // Agent jobs legitimately run for hours: the watchdog times the other handlers (cancels) and the endpoints' consuming.
        builder.Services.AddSingleton(sp =>
        {
            var jobQueues = sp.GetRequiredService<IOptions<WorkerOptions>>().Value.Agents.Select(AgentQueues.Name).ToHashSet(StringComparer.Ordinal);
            return new WatchdogScope(address => !jobQueues.Contains(address.Segments[^1].TrimEnd('/')));
        });
        builder.Services.AddReceiveWatchdog();
        builder.Services.AddHostedService<MetricsServer>();
        // Stopping waits for running attempts (their grace period plus the time to hand their jobs back).
        builder.Services.AddOptions<HostOptions>()
            .Configure<IOptions<WorkerOptions>>((o, worker) => o.ShutdownTimeout = worker.Value.ShutdownGrace + TimeSpan.FromSeconds(30));
        builder.Services.AddOptions<MassTransitHostOptions>()
            .PostConfigure<IOptions<WorkerOptions>>((o, worker) => o.StopTimeout = worker.Value.ShutdownGrace + TimeSpan.FromSeconds(20));
        builder.Services.AddHttpClient(PullRequests.ClientName, client => client.Timeout = TimeSpan.FromSeconds(30));
        builder.Services.AddSingleton<PullRequests>();
        builder.Services.AddSingleton(sp =>
        {
            var worker = sp.GetRequiredService<IOptions<WorkerOptions>>().Value;
            var logger = sp.GetRequiredService<ILogger<WorkspaceManager>>();
            return new WorkspaceManager(worker.WorkspaceRoot, logger, worker.AllowedRepositoryRoots, worker.Git,
                sp.GetRequiredService<IOptions<GitOptions>>().Value.AllowedHosts,
                new WorkspaceLayers(worker.WorkspaceRoot, worker.Id, worker.CopyOnWrite, logger));
        });

        builder.Services.AddSupervisorBus(
            x =>
            {
                x.AddConsumer<RunAgentJobConsumer, RunAgentJobConsumerDefinition>().ExcludeFromConfigureEndpoints();
                // Cancellations fan out to every worker: each has a durable queue of its own.
                x.AddConsumer<CancelAttemptsConsumer, CancelAttemptsConsumerDefinition>();
            },
            (context, bus) => AgentJobEndpoints.Configure(context, bus, context.GetRequiredService<IOptions<WorkerOptions>>().Value.Agents),
            SupervisorHostExtensions.WorkerRedeliveries);
        // After the bus: it starts beating once the bus is up and says goodbye before the bus stops.
        builder.Services.AddHostedService<HeartbeatService>();
        return builder;
    }
}

/// <summary>The agents a worker serves (<c>--agent</c>) must be configured, with an output format the worker reads.</summary>
sealed class WorkerAgentsValidator(AgentCatalog catalog) : IValidateOptions<WorkerOptions>
{
    public ValidateOptionsResult Validate(string? name, WorkerOptions options)
    {
        var errors = new List<string>();
        var configured = string.Join(", ", catalog.Agents.Keys.Order(StringComparer.CurrentCulture));
        if (options.Agents.Count == 0)
            errors.Add("--agent: name at least one agent to serve (e.g. --agent shell); configured: " + configured);
        foreach (var agent in options.Agents)
        {
            if (!catalog.TryGet(agent, out var profile))
                errors.Add($"--agent: '{agent}' is not a configured agent; configured: {configured}");
            else if (!OutputInterpreter.Formats.Contains(profile.OutputFormat, StringComparer.Ordinal))
                errors.Add($"Supervisor:Agents:{agent}:OutputFormat: '{profile.OutputFormat}' is not one of {string.Join(", ", OutputInterpreter.Formats)}.");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
