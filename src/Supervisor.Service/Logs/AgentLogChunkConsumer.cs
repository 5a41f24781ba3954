using MassTransit;
using Supervisor.Contracts;
using Supervisor.Service.Storage;

namespace Supervisor.Service.Logs;

/// <summary>Stores output chunks in batches. A redelivered chunk is a no-op (its key already exists).</summary>
public sealed class AgentLogChunkConsumer(ILogStore logs) : IConsumer<Batch<AgentLogChunk>>
{
    public Task Consume(ConsumeContext<Batch<AgentLogChunk>> context) =>
        logs.AppendAsync(context.Message.Select(m => m.Message).ToList(), context.CancellationToken);
}

public sealed class AgentLogChunkConsumerDefinition : ConsumerDefinition<AgentLogChunkConsumer>
{
    public AgentLogChunkConsumerDefinition()
    {
        EndpointName = "task-logs";
        ConcurrentMessageLimit = 4;
    }

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpointConfigurator,
        IConsumerConfigurator<AgentLogChunkConsumer> consumerConfigurator, IRegistrationContext context)
    {
        endpointConfigurator.PrefetchCount = 400;
        // Through a database outage as long as the saga's (each retry a sign of life for the watchdog) rather than into
        // the error queue; the prefetch bounds what is held meanwhile.
        var faults = context.GetRequiredService<IStorageFaults>();
        endpointConfigurator.UseStorageRideOut(context, faults.IsRetryable, TimeSpan.FromMilliseconds(100),
            r => r.Exponential(10, TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(200)));
        consumerConfigurator.Options<BatchOptions>(o => o.SetMessageLimit(100).SetTimeLimit(TimeSpan.FromMilliseconds(50)).SetConcurrencyLimit(4));
    }
}
