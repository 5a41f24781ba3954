using MassTransit;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;
using Supervisor.Contracts;
using Supervisor.Hosting;
using Supervisor.Service.Api;
using Supervisor.Service.Dashboard;
using Supervisor.Service.DeadLetters;
using Supervisor.Service.Fleet;
using Supervisor.Service.Limits;
using Supervisor.Service.Logs;
using Supervisor.Service.Messaging;
using Supervisor.Service.Metrics;
using Supervisor.Service.Notifications;
using Supervisor.Service.Schedules;
using Supervisor.Service.Scheduling;
using Supervisor.Service.Storage;
using Supervisor.Service.Storage.Postgres;
using Supervisor.Service.Tasks;
using Supervisor.Settings;

namespace Supervisor.Service;

public static class ServiceExtensions
{
    public static WebApplicationBuilder AddSupervisorService(this WebApplicationBuilder builder)
    {
        builder.AddSupervisorDefaults("supervisor-service");

        // Watched, unlike the other sources: a token added to this file works without a restart.
        if (builder.Configuration[ApiOptions.Section + ":TokensFile"] is { Length: > 0 } tokensFile && Path.IsPathFullyQualified(tokensFile))
            builder.Configuration.AddJsonFile(tokensFile, optional: true, reloadOnChange: true);
        builder.Services.AddValidatedOptions<ApiOptions>(ApiOptions.Section);
        builder.Services.AddOptions<KestrelServerOptions>()
            .Configure<IOptions<ApiOptions>>((kestrel, api) =>
            {
                kestrel.Limits.MaxRequestBodySize = api.Value.MaxRequestBytes + 1;
                if (api.Value.Certificate.Path is { Length: > 0 })
                {
                    var certificate = ApiCertificate.Load(api.Value.Certificate);
                    kestrel.ConfigureHttpsDefaults(https => https.ServerCertificate = certificate);
                }
            });
        builder.Services.AddSingleton<ApiTokens>();
        builder.Services.AddAuthentication(BearerTokenHandler.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, BearerTokenHandler>(BearerTokenHandler.SchemeName, null);
        builder.Services.AddAuthorization(o => o.AddRolePolicies());
        builder.Services.AddApiRateLimits();

        // Before the scheduler and the bus, so that the schema exists before the first message is consumed.
        builder.Services.AddPostgresStorage(builder.Configuration);
        builder.Services.AddPostgresLogFollowerReads(builder.Configuration, sp => sp.GetRequiredService<IOptions<ApiOptions>>().Value.LogFollowerConnections);

        builder.Services.AddSupervisorScheduler(q => q.UsePostgresJobStore(builder.Configuration));
        builder.Services.AddSupervisorBus(x =>
        {
            x.AddSagaStateMachine<TaskStateMachine, TaskState, TaskStateDefinition>()
                .Repository(r => r.UsePostgres());
            x.AddConsumer<AgentLogChunkConsumer, AgentLogChunkConsumerDefinition>();
            x.AddConsumer<WorkerHeartbeatConsumer, WorkerHeartbeatConsumerDefinition>();
            x.AddSchedulerConsumers();
            x.AddConsumer<ScheduleWakeConsumer, ScheduleWakeConsumerDefinition>();
            x.AddConsumer<AccountSignalConsumer, AccountSignalConsumerDefinition>();
            x.AddNotificationConsumers();
        },
        // Every endpoint: what comes through a message type's exchange is that type only (a worker's credentials can
        // write to the worker messages' exchanges).
        (_, bus) => bus.UseFilter(new PublishedTypeFilter()));

        builder.Services.AddValidatedOptions<PolicyOptions>(PolicyOptions.Section);
        builder.Services.AddValidatedOptions<FleetOptions>(FleetOptions.Section);
        builder.Services.AddValidatedOptions<StorageOptions>(StorageOptions.Section);
        builder.Services.AddReceiveWatchdog();
        builder.Services.AddSingleton<FleetQueries>();
        builder.Services.AddSingleton<BrokerInspection>();
        builder.Services.AddSingleton<QueueDepthProbe>();
        builder.Services.AddValidatedOptions<MetricsOptions>(MetricsOptions.Section);
        builder.Services.AddSingleton<BrokerSamples>();
        builder.Services.AddHostedService(s => s.GetRequiredService<BrokerSamples>());
        builder.Services.AddValidatedOptions<ReconcilerOptions>(ReconcilerOptions.Section);
        builder.Services.AddHostedService<Reconciler>();
        builder.Services.AddValidatedOptions<LimitSettings>(LimitSettings.Section);
        builder.Services.AddHostedService<AccountRelease>();
        builder.Services.AddValidatedOptions<ScheduleOptions>(ScheduleOptions.Section);
        builder.Services.AddSingleton<ScheduleFiring>();
        builder.Services.AddHostedService<ScheduleSweep>();
        builder.Services.AddSupervisorNotifications();
        builder.Services.AddSingleton<DeadLetterQueues>();
        builder.Services.AddSingleton<LogFollower>();
        builder.Services.AddSingleton<TaskChanges>();
        builder.Services.AddHostedService(s => s.GetRequiredService<TaskChanges>());
        builder.Services.AddSingleton<GitProbe>();
        builder.Services.AddSingleton<SubmitTaskValidator>();
        builder.Services.AddSingleton<TaskQueries>();
        builder.Services.AddProblemDetails();
        builder.Services.AddExceptionHandler<StorageUnavailableHandler>();
        builder.Services.AddApiDescription();
        return builder;
    }

    public static WebApplication MapSupervisorApi(this WebApplication app)
    {
        // Read here, after the host is built, so that a bad value fails like every other setting (naming its key).
        foreach (var url in app.Services.GetRequiredService<IOptions<ApiOptions>>().Value.UrlList)
            app.Urls.Add(url);
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseRateLimiter();
        app.MapDashboard();

        // Every endpoint of the API and the metrics needs a token whose role ApiRoles gives it.
        var api = app.MapGroup("");
        api.RequireRoles();
        api.MapTaskEndpoints();
        api.MapTaskBudgetEndpoint();
        api.MapTaskCommandEndpoints();
        api.MapScheduleEndpoints();
        api.MapAgentEndpoints();
        api.MapAccountEndpoints();
        api.MapDeadLetterEndpoints();
        api.MapMetrics();
        api.MapDashboardApi();

        // Open: probes carry no token, and the API's description holds no data.
        app.MapSupervisorHealth();
        app.MapApiDescription();

        if (app.Services.GetRequiredService<IOptions<ApiOptions>>().Value.AllowAnonymous)
            ApiStartLog.AnonymousAllowed(app.Logger, ApiOptions.Section, ApiTokenFormat.AnonymousName);
        return app;
    }
}
