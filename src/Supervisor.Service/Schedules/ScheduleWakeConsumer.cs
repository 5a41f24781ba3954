using MassTransit;
using Supervisor.Service.Storage;

namespace Supervisor.Service.Schedules;

/// <summary>A schedule's wake-up: decides what is due now (a wake-up repeated or late decides nothing twice).</summary>
/// <remarks>
/// The scheduler may fire a trigger a few milliseconds before its time: a wake-up that arrives early waits for its time,
/// so that the fire it was armed for is due when decided (otherwise it would be armed again for the same time, which the
/// scheduler, having fired that token, would drop).
/// </remarks>
public sealed class ScheduleWakeConsumer(ScheduleFiring firing, TimeProvider clock) : IConsumer<ScheduleWake>
{
    static readonly TimeSpan LongestEarly = TimeSpan.FromSeconds(5);

    public async Task Consume(ConsumeContext<ScheduleWake> context)
    {
        var early = context.Message.At - clock.GetUtcNow().UtcDateTime;
        if (early > TimeSpan.Zero)
            await Task.Delay(early < LongestEarly ? early : LongestEarly, clock, context.CancellationToken);
        await firing.EvaluateAsync(context.Message.ScheduleId, null, context.CancellationToken);
    }
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
        endpointConfigurator.UseStorageRideOut(context);
    }
}
