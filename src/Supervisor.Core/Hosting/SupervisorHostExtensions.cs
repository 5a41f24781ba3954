using MassTransit;
using Microsoft.Extensions.Configuration.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.Systemd;
using Microsoft.Extensions.Options;
using Supervisor.Agents;
using Supervisor.Settings;

namespace Supervisor.Hosting;

/// <summary>Wiring every Supervisor host shares: configuration defaults, logging, telemetry, health, options, the bus.</summary>
public static class SupervisorHostExtensions
{
    /// <summary>The queue of the service's message scheduler.</summary>
    public static readonly Uri SchedulerQueue = new("queue:scheduler");

    /// <summary>
    /// Where workers send their delayed retries: an exchange of its own, bound by the service to its
    /// <c>scheduler-redeliveries</c> queue, which takes <c>RunAgentJob</c>s for agent queues only. A worker's broker user may
    /// write to this exchange but to no scheduler queue.
    /// </summary>
    public const string WorkerRedeliveriesExchange = "worker-redeliveries";

    /// <inheritdoc cref="WorkerRedeliveriesExchange"/>
    public static readonly Uri WorkerRedeliveries = new($"exchange:{WorkerRedeliveriesExchange}");

    /// <summary>
    /// The service's and the worker's host settings: configuration files (appsettings.json) are read from beside the
    /// program, wherever it is started from, and are not watched. A watched content root is watched with every directory
    /// below it, which from a working directory of / or of a checkout holding the database's files costs a
    /// notification for every file written below it.
    /// </summary>
    public static HostApplicationBuilderSettings HostSettings(string[] args) =>
        new() { Args = Unwatched(args), ContentRootPath = AppContext.BaseDirectory };

    /// <inheritdoc cref="HostSettings"/>
    public static Microsoft.AspNetCore.Builder.WebApplicationOptions ApplicationOptions(string[] args) =>
        new() { Args = Unwatched(args), ContentRootPath = AppContext.BaseDirectory };

    /// <summary>First, so that a <c>--hostBuilder:reloadConfigOnChange=true</c> of the caller's still wins.</summary>
    static string[] Unwatched(string[] args) => ["--hostBuilder:reloadConfigOnChange=false", .. args];

    /// <summary>
    /// What every Supervisor host shares (the way eShop's ServiceDefaults does it): configuration sources, duration
    /// parsing, logging, telemetry (<see cref="SupervisorTelemetry"/>), health checks (<see cref="SupervisorHealth"/>), and
    /// the options both hosts read. Shipped agent profiles (agents.json) sit below every other configuration source, so
    /// appsettings.json, <c>Supervisor__…</c> environment variables and the command line override them.
    /// </summary>
    public static IHostApplicationBuilder AddSupervisorDefaults(this IHostApplicationBuilder builder, string serviceName)
    {
        builder.Configuration.Sources.Insert(0, new JsonConfigurationSource
        {
            Path = "agents.json",
            Optional = true,
            FileProvider = new PhysicalFileProvider(AppContext.BaseDirectory),
        });
        // Before anything binds: every TimeSpan setting reads 30s, 5m, 1h, 250ms or 00:00:30, and refuses a bare number.
        DurationConverter.Register();

        Environment.SetEnvironmentVariable("MASSTRANSIT_USAGE_TELEMETRY", "false");

        builder.AddSupervisorLogging();
        builder.AddSupervisorSystemd();
        builder.AddSupervisorTelemetry(serviceName);
        builder.Services.AddHealthChecks();

        builder.Services.AddValidatedOptions<SupervisorOptions>(SupervisorOptions.Section);
        builder.Services.AddValidatedOptions<TransportOptions>(TransportOptions.Section);
        builder.Services.AddValidatedOptions<BrokerOptions>(BrokerOptions.Section);
        builder.Services.AddValidatedOptions<GitOptions>(GitOptions.Section);
        builder.Services.AddSingleton<IValidateOptions<SupervisorOptions>, AgentTimeoutsFitBroker>();
        builder.Services.AddSingleton<AgentCatalog>();
        builder.Services.AddSingleton(TimeProvider.System);
        return builder;
    }

    /// <summary>
    /// Under systemd (<c>Type=notify</c>), the host says <c>READY=1</c> once started and <c>STOPPING=1</c> when it begins to
    /// stop, and stops on SIGTERM; elsewhere nothing changes. .NET 10 recognises systemd by its being the parent process,
    /// which a wrapper in <c>ExecStart</c> or <c>ProtectProc=invisible</c> hides: a <c>NOTIFY_SOCKET</c> to report to
    /// is taken as systemd's word too, as later .NET versions do.
    /// </summary>
    static void AddSupervisorSystemd(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSystemd();
        if (!SystemdHelpers.IsSystemdService() && !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("NOTIFY_SOCKET")))
        {
            builder.Services.AddSingleton<ISystemdNotifier, SystemdNotifier>();
            builder.Services.AddSingleton<IHostLifetime, SystemdLifetime>();
        }
    }

    /// <summary>
    /// The bus on the configured transport. Only RabbitMQ exists today; a single-process mode adds its transport here.
    /// Delays go to <paramref name="scheduler"/> (default: the service's <see cref="SchedulerQueue"/>).
    /// </summary>
    public static IServiceCollection AddSupervisorBus(
        this IServiceCollection services,
        Action<IBusRegistrationConfigurator> register,
        Action<IBusRegistrationContext, IBusFactoryConfigurator>? configureBus = null,
        Uri? scheduler = null)
    {
        services.AddMassTransit(x =>
        {
            x.DisableUsageTelemetry();
            register(x);
            x.UsingRabbitMq((context, cfg) =>
            {
                cfg.Host(context.GetRequiredService<IOptions<TransportOptions>>().Value.RabbitMqUri, h => h.PublisherConfirmation = true);
                // Delays (scheduled redelivery, saga schedules) go through the Quartz scheduler hosted by the service:
                // RabbitMQ here has no delayed-message plugin.
                cfg.UseMessageScheduler(scheduler ?? SchedulerQueue);
                configureBus?.Invoke(context, cfg);
                cfg.ConfigureEndpoints(context);
            });
        });
        services.Configure<MassTransitHostOptions>(o =>
        {
            o.WaitUntilStarted = true;
            o.StartTimeout = TimeSpan.FromSeconds(60);
            o.StopTimeout = TimeSpan.FromSeconds(60);
        });
        return services;
    }
}

