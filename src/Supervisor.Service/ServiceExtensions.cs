using MassTransit;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Supervisor.Hosting;
using Supervisor.Service.Api;
using Supervisor.Service.Fleet;
using Supervisor.Service.Logs;
using Supervisor.Service.Metrics;
using Supervisor.Service.Scheduling;
using Supervisor.Service.Storage.Postgres;
using Supervisor.Service.Tasks;

namespace Supervisor.Service;

public static class ServiceExtensions
{
    public static WebApplicationBuilder AddSupervisorService(this WebApplicationBuilder builder)
    {
        builder.AddSupervisorDefaults();
        builder.AddSupervisorTracing("supervisor-service");

        var api = builder.Configuration.GetSection(ApiOptions.Section).Get<ApiOptions>() ?? new ApiOptions();
        var apiErrors = api.Validate();
        if (apiErrors.Count > 0)
            throw new OptionsValidationException(ApiOptions.Section, typeof(ApiOptions), apiErrors);
        builder.Services.AddOptions<ApiOptions>().Bind(builder.Configuration.GetSection(ApiOptions.Section));
        builder.WebHost.UseUrls([.. api.UrlList]);
        builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize = api.MaxRequestBytes + 1);

        // Before the scheduler and the bus, so that the schema exists before the first message is consumed.
        builder.Services.AddPostgresStorage(builder.Configuration);

        builder.Services.AddSupervisorScheduler(q => q.UsePostgresJobStore(builder.Configuration));
        builder.Services.AddSupervisorBus(builder.Configuration, x =>
        {
            x.AddSagaStateMachine<TaskStateMachine, TaskState, TaskStateDefinition>()
                .Repository(r => r.UsePostgres());
            x.AddConsumer<AgentLogChunkConsumer, AgentLogChunkConsumerDefinition>();
            x.AddConsumer<AttemptStartConsumer, AttemptStartConsumerDefinition>();
            x.AddConsumer<WorkerHeartbeatConsumer, WorkerHeartbeatConsumerDefinition>();
            x.AddSchedulerConsumers();
        });

        builder.Services.AddSelfValidatingOptions<PolicyOptions>(builder.Configuration.GetSection(PolicyOptions.Section));
        builder.Services.Configure<FleetOptions>(builder.Configuration.GetSection(FleetOptions.Section));
        builder.Services.AddSelfValidatingOptions<WatchdogOptions>(builder.Configuration.GetSection(WatchdogOptions.Section));
        builder.Services.AddSingleton<ReceiveWatchdog>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<ReceiveWatchdog>());
        builder.Services.AddReceiveObserver(sp => sp.GetRequiredService<ReceiveWatchdog>());
        builder.Services.AddSingleton<FleetQueries>();
        builder.Services.AddSingleton<QueueDepthProbe>();
        builder.Services.AddSingleton<LogFollower>();
        builder.Services.AddSingleton<GitProbe>();
        builder.Services.AddSingleton<SubmitTaskValidator>();
        builder.Services.AddSingleton<TaskQueries>();
        builder.Services.AddProblemDetails();
        return builder;
    }

    public static WebApplication MapSupervisorApi(this WebApplication app)
    {
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseMiddleware<TokenAuthentication>();
        app.MapTaskEndpoints();
        app.MapTaskCommandEndpoints();
        app.MapAgentEndpoints();
        app.MapMetrics();
        app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false });
        app.MapHealthChecks("/health/ready", new HealthCheckOptions { Predicate = c => c.Tags.Contains("ready") });
        return app;
    }
}
