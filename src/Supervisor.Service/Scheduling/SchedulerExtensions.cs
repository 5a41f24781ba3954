using MassTransit;
using Quartz;

namespace Supervisor.Service.Scheduling;

/// <summary>
/// The service's message scheduler: MassTransit's <c>ScheduleMessage</c>/<c>CancelScheduledMessage</c> on queue
/// <c>scheduler</c>, kept in Quartz's clustered job store in the service's PostgreSQL database.
/// </summary>
public static class SchedulerExtensions
{
    /// <summary>
    /// The scheduler's name in the job store (column <c>sched_name</c> of the <c>qrtz_</c> tables). Every instance of the
    /// service shares it, which is what makes them one cluster; changing it orphans every stored job.
    /// </summary>
    public const string SchedulerName = "supervisor";

    /// <summary>
    /// Quartz on the clustered PostgreSQL job store, started once the bus is ready. Call it before the bus is added: hosted
    /// services stop in reverse order, so the scheduler then shuts down only after the bus has stopped consuming.
    /// </summary>
    public static IServiceCollection AddSupervisorScheduler(this IServiceCollection services, IConfiguration configuration)
    {
        var connectionString = configuration.GetConnectionString("Postgres")
            ?? throw new InvalidOperationException("ConnectionStrings:Postgres: is required (a PostgreSQL connection string).");

        services.AddQuartz(q =>
        {
            q.ConfigureScheduler(o =>
            {
                o.InstanceName = SchedulerName;
                // AUTO: each process gets its own id, so any number of service instances can share the store.
                o.GenerateInstanceId = true;
            });
            q.UsePersistentStore(s =>
            {
                s.UsePostgres(connectionString);
                s.UseSystemTextJsonSerializer();
                // Row locks in the database: a trigger is acquired and fired by exactly one instance, and the jobs of an
                // instance that dies are recovered by the others.
                s.UseClustering();
                s.ProvisionSchema();
            });
        });
        // The bus observer starts the scheduler once the bus is ready; the hosted service only creates and shuts it down.
        services.AddQuartzHostedService(o =>
        {
            o.AutoStart = false;
            o.WaitForJobsToComplete = true;
        });
        services.AddBusObserver<SchedulerBusObserver>();
        return services;
    }

    /// <summary>The consumer of the scheduler protocol, on receive endpoint <c>scheduler</c> (created by <c>ConfigureEndpoints</c>).</summary>
    public static void AddSchedulerConsumers(this IBusRegistrationConfigurator bus) =>
        bus.AddConsumer<ScheduledMessageConsumer, ScheduledMessageConsumerDefinition>();
}
