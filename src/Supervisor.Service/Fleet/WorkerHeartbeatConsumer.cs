using MassTransit;
using Microsoft.Extensions.Options;
using Supervisor.Contracts;
using Supervisor.Service.Storage;

namespace Supervisor.Service.Fleet;

/// <summary>
/// Keeps the latest heartbeat of each worker (an older heartbeat arriving late never overwrites a newer one) and renews
/// the leases of the attempts it lists for <see cref="FleetOptions.LostAfter"/> from now, on the service's clock: a
/// worker's own clock decides nothing.
/// </summary>
public sealed class WorkerHeartbeatConsumer(IWorkerRegistry registry, IOptions<FleetOptions> fleet, TimeProvider clock) : IConsumer<WorkerHeartbeat>
{
    public Task Consume(ConsumeContext<WorkerHeartbeat> context) =>
        registry.RecordAsync(context.Message, clock.GetUtcNow().UtcDateTime + fleet.Value.LostAfter, context.CancellationToken);
}

public sealed class WorkerHeartbeatConsumerDefinition : ConsumerDefinition<WorkerHeartbeatConsumer>
{
    public WorkerHeartbeatConsumerDefinition()
    {
        EndpointName = "worker-heartbeats";
        ConcurrentMessageLimit = 4;
    }

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpointConfigurator,
        IConsumerConfigurator<WorkerHeartbeatConsumer> consumerConfigurator, IRegistrationContext context)
    {
        // A heartbeat kept through a database outage still tells, once recorded, when its worker was last heard of.
        endpointConfigurator.UseStorageRideOut(context);
    }
}
