using MassTransit;
using MassTransit.Configuration;
using MassTransit.Saga;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Npgsql;
using Supervisor.Hosting;
using Supervisor.Service.Api;
using Supervisor.Service.Fleet;
using Supervisor.Service.Logs;
using Supervisor.Service.Metrics;
using Supervisor.Service.Persistence;
using Supervisor.Service.Persistence.Sagas;
using Supervisor.Service.Scheduling;
using Supervisor.Service.Tasks;
using Supervisor.Settings;

namespace Supervisor.Service;

public static class ServiceExtensions
{
    public static WebApplicationBuilder AddSupervisorService(this WebApplicationBuilder builder)
    {
        builder.AddSupervisorDefaults("supervisor-service");

        builder.Services.AddValidatedOptions<ApiOptions>(ApiOptions.Section);
        builder.Services.AddOptions<KestrelServerOptions>()
            .Configure<IOptions<ApiOptions>>((kestrel, api) => kestrel.Limits.MaxRequestBodySize = api.Value.MaxRequestBytes + 1);

        var connectionString = builder.Configuration.GetConnectionString("Postgres")
            ?? throw new InvalidOperationException("ConnectionStrings:Postgres: is required (a PostgreSQL connection string).");
        builder.Services.AddSingleton(_ => CreateDataSource(connectionString));
        builder.Services.AddPooledDbContextFactory<SupervisorDbContext>((sp, o) => o.UseNpgsql(sp.GetRequiredService<NpgsqlDataSource>()));

        // Registered before the bus so that the schema exists before the first message is consumed.
        builder.Services.AddHostedService<SchemaMigrator>();
        builder.Services.AddSingleton<MetricTotals>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<MetricTotals>());

        builder.Services.AddSupervisorScheduler(builder.Configuration);
        builder.Services.AddSupervisorBus(x =>
        {
            x.AddSagaStateMachine<TaskStateMachine, TaskState, TaskStateDefinition>()
                .Repository(r =>
                {
                    r.RegisterSagaRepository<TaskState, SupervisorDbContext, SagaConsumeContextFactory<SupervisorDbContext, TaskState>,
                        TaskSagaRepositoryContextFactory>();
                    r.RegisterLoadSagaRepository<TaskState, TaskSagaRepositoryContextFactory>();
                    r.RegisterQuerySagaRepository<TaskState, TaskSagaRepositoryContextFactory>();
                });
            x.AddConsumer<AgentLogChunkConsumer, AgentLogChunkConsumerDefinition>();
            x.AddConsumer<AttemptStartConsumer, AttemptStartConsumerDefinition>();
            x.AddConsumer<WorkerHeartbeatConsumer, WorkerHeartbeatConsumerDefinition>();
            x.AddSchedulerConsumers();
        });

        builder.Services.AddValidatedOptions<PolicyOptions>(PolicyOptions.Section);
        builder.Services.AddValidatedOptions<FleetOptions>(FleetOptions.Section);
        builder.Services.AddValidatedOptions<WatchdogOptions>(WatchdogOptions.Section);
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
        builder.Services.AddHealthChecks().AddCheck<DatabaseHealthCheck>("postgres", tags: [SupervisorHealth.ReadyTag]);
        return builder;
    }

    /// <summary>
    /// The service's connections. Unless the connection string says otherwise:
    /// <list type="bullet">
    /// <item>Every message of a task runs the same few statements, so they are prepared on each connection after their
    /// second use: PostgreSQL then skips parsing and planning them, which is a large share of its work per statement
    /// this short.</item>
    /// <item>A connection is not reset when it goes back to the pool (a reset is seven commands, run before the next use
    /// of the connection, several times per task). Nothing here leaves session state behind: transactions end, the
    /// migrator unlocks its advisory lock, and the log follower stops listening.</item>
    /// </list>
    /// </summary>
    internal static NpgsqlDataSource CreateDataSource(string connectionString)
    {
        var builder = new NpgsqlDataSourceBuilder(connectionString);
        // The keys as given (Npgsql's own builder answers for every keyword it knows, set or not).
        var given = new System.Data.Common.DbConnectionStringBuilder { ConnectionString = connectionString }.Keys.Cast<string>()
            .Select(k => k.Replace(" ", "", StringComparison.Ordinal)).ToHashSet(StringComparer.OrdinalIgnoreCase);
        if (!given.Contains("MaxAutoPrepare"))
            builder.ConnectionStringBuilder.MaxAutoPrepare = 64;
        if (!given.Contains("NoResetOnClose"))
            builder.ConnectionStringBuilder.NoResetOnClose = true;
        return builder.Build();
    }

    public static WebApplication MapSupervisorApi(this WebApplication app)
    {
        // Read here, after the host is built, so that a bad value fails like every other setting (naming its key).
        foreach (var url in app.Services.GetRequiredService<IOptions<ApiOptions>>().Value.UrlList)
            app.Urls.Add(url);
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseMiddleware<TokenAuthentication>();
        app.MapTaskEndpoints();
        app.MapTaskCommandEndpoints();
        app.MapAgentEndpoints();
        app.MapMetrics();
        app.MapSupervisorHealth();
        return app;
    }
}

sealed class DatabaseHealthCheck(NpgsqlDataSource dataSource) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await using var command = dataSource.CreateCommand("SELECT 1");
            await command.ExecuteScalarAsync(cancellationToken);
            return HealthCheckResult.Healthy();
        }
        catch (NpgsqlException e)
        {
            return HealthCheckResult.Unhealthy("PostgreSQL is unreachable.", e);
        }
    }
}

