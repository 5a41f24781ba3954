using MassTransit;
using Supervisor.Service.Storage;

namespace Supervisor.Service.Schedules;

/// <summary>A schedule's wake-up: decides what is due now (a wake-up repeated, late or early decides nothing twice).</summary>
public sealed class ScheduleWakeConsumer(ScheduleFiring firing) : IConsumer<ScheduleWake>
{
    public Task Consume(ConsumeContext<ScheduleWake> context) => firing.EvaluateAsync(context.Message.ScheduleId, null, context.CancellationToken);
}

public sealed class ScheduleWakeConsumerDefinition : ConsumerDefinition<ScheduleWakeConsumer>
{
    public const string Queue = "schedule-wakes";

    public ScheduleWakeConsumerDefinition()
    {
        EndpointName = Queue;
        ConcurrentMessageLimit = 4;
    }

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpointConfigurator,
        IConsumerConfigurator<ScheduleWakeConsumer> consumerConfigurator, IRegistrationContext context)
    {
        // A wake-up that arrives while the database is away is decided once it is back: its fires are then caught up.
        var faults = context.GetRequiredService<IStorageFaults>();
        endpointConfigurator.UseStorageRideOut(context, faults.IsRetryable, TimeSpan.FromMilliseconds(200),
            r => r.Exponential(10, TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(500)));
    }
}
