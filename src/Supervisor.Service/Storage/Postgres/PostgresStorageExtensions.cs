using MassTransit;
using MassTransit.Configuration;
using MassTransit.Saga;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Npgsql;
using OpenTelemetry.Trace;
using Quartz;
using Supervisor.Hosting;
using Supervisor.Service.Storage.Postgres.Sagas;
using Supervisor.Service.Tasks;

namespace Supervisor.Service.Storage.Postgres;

/// <summary>The service's stores in PostgreSQL (<c>ConnectionStrings:Postgres</c>): one data source, one schema, one place.</summary>
public static class PostgresStorageExtensions
{
    /// <summary>
    /// The data source, the saga's DbContext, the schema migrator, the stores behind the <c>Storage</c> interfaces and the
    /// readiness check. Call it before the scheduler and the bus: the schema then exists before the first message is consumed.
    /// </summary>
    public static IServiceCollection AddPostgresStorage(this IServiceCollection services, IConfiguration configuration)
    {
        var connectionString = ConnectionString(configuration);
        services.AddSingleton(_ => CreateDataSource(connectionString));
        services.AddPooledDbContextFactory<SupervisorDbContext>((sp, o) => o.UseNpgsql(sp.GetRequiredService<NpgsqlDataSource>()));

        // Registered before the bus so that the schema exists before the first message is consumed.
        services.AddHostedService<SchemaMigrator>();
        services.AddSingleton<PostgresMetricTotals>();
        services.AddSingleton<IMetricTotals>(sp => sp.GetRequiredService<PostgresMetricTotals>());
        services.AddHostedService(sp => sp.GetRequiredService<PostgresMetricTotals>());

        services.AddSingleton<IStorageFaults, PostgresStorageFaults>();
        services.AddSingleton<ITaskReads, PostgresTaskReads>();
        services.AddSingleton<ITaskReconciliation, PostgresTaskReconciliation>();
        services.AddSingleton<IWorkerRegistry, PostgresWorkerRegistry>();
        services.AddSingleton<PostgresLogAppends>();
        services.AddHostedService(sp => sp.GetRequiredService<PostgresLogAppends>());
        services.AddSingleton<ILogStore, PostgresLogStore>();
        services.AddSingleton<IScheduleStore, PostgresScheduleStore>();
        services.AddSingleton<IAccountStore, PostgresAccountStore>();
        services.AddSingleton<IKeyWaiters, PostgresKeyWaiters>();
        services.AddHealthChecks().AddCheck<DatabaseHealthCheck>("postgres", tags: [SupervisorHealth.ReadyTag]);
        // Each command a span, whenever the host traces (SupervisorTelemetry); without tracing no provider is built.
        services.ConfigureOpenTelemetryTracerProvider(tracing => tracing.AddNpgsql());
        return services;
    }

    /// <summary>
    /// The log followers' reads on a data source of their own, at most <paramref name="maxConnections"/> connections (read
    /// when first used), so that followers wait for each other rather than take the saga's connections.
    /// </summary>
    public static IServiceCollection AddPostgresLogFollowerReads(this IServiceCollection services, IConfiguration configuration,
        Func<IServiceProvider, int> maxConnections)
    {
        var connectionString = ConnectionString(configuration);
        services.AddSingleton<ILogFollowerReads>(sp =>
        {
            var builder = new NpgsqlConnectionStringBuilder(connectionString) { MaxPoolSize = maxConnections(sp), ApplicationName = "supervisor-log-followers" };
            if (builder.MinPoolSize > builder.MaxPoolSize)
                builder.MinPoolSize = builder.MaxPoolSize;
            return new PostgresLogFollowerReads(CreateDataSource(builder.ConnectionString), sp.GetRequiredService<PostgresLogAppends>());
        });
        return services;
    }

    /// <summary>The task saga in <c>tasks</c>, <c>task_attempts</c> and <c>task_transitions</c> (see <see cref="TaskSagaRepositoryContextFactory"/>).</summary>
    public static void UsePostgres(this ISagaRepositoryRegistrationConfigurator<TaskState> repository)
    {
        repository.RegisterSagaRepository<TaskState, SupervisorDbContext, SagaConsumeContextFactory<SupervisorDbContext, TaskState>,
            TaskSagaRepositoryContextFactory>();
        repository.RegisterLoadSagaRepository<TaskState, TaskSagaRepositoryContextFactory>();
        repository.RegisterQuerySagaRepository<TaskState, TaskSagaRepositoryContextFactory>();
    }

    /// <summary>Quartz's clustered job store in the same database (its <c>qrtz_</c> tables, created when missing).</summary>
    public static void UsePostgresJobStore(this IQuartzBuilder quartz, IConfiguration configuration)
    {
        var connectionString = ConnectionString(configuration);
        quartz.UsePersistentStore(s =>
        {
            s.UsePostgres(connectionString);
            s.UseSystemTextJsonSerializer();
            // Row locks in the database: a trigger is acquired and fired by exactly one instance, and the jobs of an
            // instance that dies are recovered by the others.
            s.UseClustering();
            s.ProvisionSchema();
        });
    }

    static string ConnectionString(IConfiguration configuration) =>
        configuration.GetConnectionString("Postgres")
        ?? throw new InvalidOperationException("ConnectionStrings:Postgres: is required (a PostgreSQL connection string).");

    /// <summary>
    /// The service's connections. Unless the connection string says otherwise:
    /// <list type="bullet">
    /// <item>Every message of a task runs the same few statements, so they are prepared on each connection after their
    /// second use: PostgreSQL then skips parsing and planning them, which is a large share of its work per statement
    /// this short.</item>
    /// <item>A connection is not reset when it goes back to the pool (a reset is seven commands, run before the next use
    /// of the connection, several times per task). Nothing here leaves session state behind: transactions end, the
    /// migrator unlocks its advisory lock, and the log store's one listener keeps its connection for good.</item>
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
