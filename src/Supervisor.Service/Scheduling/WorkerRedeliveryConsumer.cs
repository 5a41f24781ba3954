using MassTransit;
using MassTransit.Scheduling;
using Quartz;
using Supervisor.Agents;
using Supervisor.Contracts;
using Supervisor.Hosting;

namespace Supervisor.Service.Scheduling;

/// <summary>
/// Workers' delayed retries (MassTransit's <c>Redeliver</c> of a <see cref="RunAgentJob"/>), the only scheduling workers
/// may ask for. The worker's broker user writes to exchange <see cref="SupervisorHostExtensions.WorkerRedeliveries"/> and
/// to no scheduler queue, so leaked worker credentials cannot schedule a command (an <c>ApproveTask</c> the service would
/// deliver to its own saga). What comes through is stored only if it is a <see cref="RunAgentJob"/> for the queue of a
/// configured agent, under a job group of its own; anything else goes to this endpoint's error queue.
/// </summary>
public sealed class WorkerRedeliveryConsumer(ISchedulerFactory schedulerFactory, AgentCatalog catalog, ILogger<WorkerRedeliveryConsumer> logger)
    : IConsumer<ScheduleMessage>
{
    /// <summary>The queue of this endpoint: exchange <see cref="SupervisorHostExtensions.WorkerRedeliveries"/> is bound to it.</summary>
    public const string Queue = "scheduler-redeliveries";

    static readonly string JobType = MessageUrn.ForTypeString<RunAgentJob>();

    public Task Consume(ConsumeContext<ScheduleMessage> context)
    {
        var schedule = context.Message;
        if (schedule.PayloadType is not { Length: > 0 } types || types.Any(t => t != JobType))
        {
            throw new InvalidOperationException(
                $"A worker's ScheduleMessage {schedule.CorrelationId} carries {string.Join(", ", schedule.PayloadType ?? [])}: refused (workers may schedule {JobType} only).");
        }

        if (!IsAgentQueue(schedule.Destination))
        {
            throw new InvalidOperationException(
                $"A worker's ScheduleMessage {schedule.CorrelationId} is for {schedule.Destination}: refused (workers may schedule to a configured agent's queue only).");
        }

        return ScheduledMessageConsumer.StoreAsync(context, ScheduledMessageJob.WorkerGroup, schedulerFactory, logger);
    }

    /// <summary>A plain queue address (no query: no exchange type, binding or redirect) whose name is agent-&lt;configured agent&gt;.</summary>
    bool IsAgentQueue(Uri? destination) =>
        destination is { IsAbsoluteUri: true, Query: "" } && destination.Scheme is "rabbitmq" or "rabbitmqs"
        && destination.Segments[^1] is var name
        && catalog.Agents.Keys.Any(agent => string.Equals(AgentQueues.Name(agent), name, StringComparison.Ordinal));
}

/// <summary>
/// Endpoint <see cref="WorkerRedeliveryConsumer.Queue"/>, fed by exchange <see cref="SupervisorHostExtensions.WorkerRedeliveries"/>
/// only: not bound to <c>ScheduleMessage</c>'s own exchange, so that nothing published for the service's scheduler lands
/// here.
/// </summary>
public sealed class WorkerRedeliveryConsumerDefinition : ConsumerDefinition<WorkerRedeliveryConsumer>
{
    const int Concurrency = 4;

    public WorkerRedeliveryConsumerDefinition()
    {
        EndpointName = WorkerRedeliveryConsumer.Queue;
        ConcurrentMessageLimit = Concurrency;
        Endpoint(e => e.ConfigureConsumeTopology = false);
    }

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpointConfigurator,
        IConsumerConfigurator<WorkerRedeliveryConsumer> consumerConfigurator, IRegistrationContext context)
    {
        endpointConfigurator.PrefetchCount = Concurrency * 2;
        if (endpointConfigurator is IRabbitMqReceiveEndpointConfigurator rabbit)
            rabbit.Bind(SupervisorHostExtensions.WorkerRedeliveriesExchange);
        ScheduledMessageConsumerDefinition.RideOutStorage(endpointConfigurator, context);
    }
}
