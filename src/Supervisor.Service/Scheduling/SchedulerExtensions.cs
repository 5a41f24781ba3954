using MassTransit;
using Quartz;

namespace Supervisor.Service.Scheduling;

/// <summary>
/// The service's message scheduler: MassTransit's <c>ScheduleMessage</c>/<c>CancelScheduledMessage</c> on queue
/// <c>scheduler</c>, kept in the Quartz job store the storage provides (clustered, in PostgreSQL: Storage/Postgres).
/// </summary>
public static class SchedulerExtensions
{
    /// <summary>
    /// The scheduler's name in the job store (column <c>sched_name</c> of the <c>qrtz_</c> tables). Every instance of the
    /// service shares it, which is what makes them one cluster; changing it orphans every stored job.
    /// </summary>
    public const string SchedulerName = "supervisor";

    /// <summary>
    /// Quartz on the job store that <paramref name="useJobStore"/> configures, started once the bus is ready. Call it before
    /// the bus is added: hosted services stop in reverse order, so the scheduler then shuts down only after the bus has
    /// stopped consuming.
    /// </summary>
    public static IServiceCollection AddSupervisorScheduler(this IServiceCollection services, Action<IQuartzBuilder> useJobStore)
    {
        services.AddQuartz(q =>
        {
            q.ConfigureScheduler(o =>
            {
                o.InstanceName = SchedulerName;
                // AUTO: each process gets its own id, so any number of service instances can share the store.
                o.GenerateInstanceId = true;
            });
            useJobStore(q);
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

    /// <summary>
    /// The consumers of the scheduler protocol, on receive endpoints <c>scheduler</c> (the service's own) and
    /// <c>scheduler-redeliveries</c> (workers' delayed retries), created by <c>ConfigureEndpoints</c>.
    /// </summary>
    public static void AddSchedulerConsumers(this IBusRegistrationConfigurator bus)
    {
        bus.AddConsumer<ScheduledMessageConsumer, ScheduledMessageConsumerDefinition>();
        bus.AddConsumer<WorkerRedeliveryConsumer, WorkerRedeliveryConsumerDefinition>();
    }
}
