using MassTransit;
using Microsoft.Extensions.Options;
using Supervisor.Agents;
using Supervisor.Contracts;
using Supervisor.Hosting;
using Supervisor.Worker.Attempts;
using Supervisor.Worker.Containers;
using Supervisor.Worker.Execution;
using Supervisor.Worker.Jobs;
using Supervisor.Worker.Metrics;
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
        builder.AddSupervisorDefaults();
        builder.AddSupervisorTracing("supervisor-worker");
        builder.Services.AddOptions<WorkerOptions>()
            .Bind(builder.Configuration.GetSection(WorkerOptions.Section))
            .PostConfigure(o => o.Agents.AddRange(agents.Except(o.Agents)))
            .ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<WorkerOptions>, WorkerOptionsValidator>();

        builder.Services.AddSingleton<AgentProcessLedger>();
        builder.Services.AddHostedService<OrphanedAgentReaper>();
        builder.Services.AddSingleton<ProcessRunner>();
        // Constructing the client connects to nothing: workers without container agents never talk to an engine.
        builder.Services.AddSingleton(_ => DockerClient.FromEnvironment());
        builder.Services.AddSingleton(sp => new ContainerRunner(sp.GetRequiredService<DockerClient>(),
            sp.GetRequiredService<IOptions<WorkerOptions>>().Value.Id, sp.GetRequiredService<ILogger<ContainerRunner>>()));
        builder.Services.AddHostedService<ContainerEngineCheck>();
        builder.Services.AddSingleton<AttemptExecutor>();
        builder.Services.AddSingleton<WorkerShutdown>();
        builder.Services.AddHostedService<WorkerAnnouncement>();
        builder.Services.AddSingleton<RunningAttempts>();
        builder.Services.AddSingleton<AttemptHooks>();
        // Per delivery, like the consumer: the start check's request client then sends from the job's consume context.
        builder.Services.AddScoped<AttemptEvents>();
        builder.Services.AddScoped<AttemptStartGate>();
        builder.Services.AddScoped<AgentRunner>();
        builder.Services.AddScoped<AttemptPipeline>();
        builder.Services.AddSingleton<WorkerMetrics>();
        builder.Services.AddHostedService<MetricsServer>();
        builder.Services.Configure<HookOptions>(builder.Configuration.GetSection(HookOptions.Section));
        // Stopping waits for running attempts (their grace period plus the time to hand their jobs back).
        var grace = TimeSpan.FromSeconds(builder.Configuration.GetValue($"{WorkerOptions.Section}:ShutdownGraceSeconds", 30));
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = grace + TimeSpan.FromSeconds(30));
        builder.Services.PostConfigure<MassTransitHostOptions>(o => o.StopTimeout = grace + TimeSpan.FromSeconds(20));
        builder.Services.AddSingleton(sp => new WorkspaceManager(
            sp.GetRequiredService<IOptions<WorkerOptions>>().Value.WorkspaceRoot, sp.GetRequiredService<ILogger<WorkspaceManager>>()));

        builder.Services.AddSupervisorBus(builder.Configuration,
            x =>
            {
                x.AddConsumer<RunAgentJobConsumer, RunAgentJobConsumerDefinition>().ExcludeFromConfigureEndpoints();
                // Cancellations fan out to every worker: each has a temporary queue of its own.
                x.AddConsumer<CancelAttemptsConsumer>().Endpoint(e =>
                {
                    e.Temporary = true;
                    e.InstanceId = Guid.NewGuid().ToString("N")[..12];
                });
                x.AddRequestClient<AttemptStartRequest>(AgentQueues.StartCheckAddress);
            },
            (context, bus) => AgentJobEndpoints.Configure(context, bus, context.GetRequiredService<IOptions<WorkerOptions>>().Value.Agents));
        // After the bus: it starts beating once the bus is up and says goodbye before the bus stops.
        builder.Services.AddHostedService<HeartbeatService>();
        return builder;
    }
}

sealed class WorkerOptionsValidator(AgentCatalog catalog) : IValidateOptions<WorkerOptions>
{
    public ValidateOptionsResult Validate(string? name, WorkerOptions options)
    {
        var errors = options.Validate(catalog);
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
