using MassTransit;
using Microsoft.Extensions.Options;
using Supervisor.Agents;
using Supervisor.Contracts;
using Supervisor.Service.Storage;

namespace Supervisor.Service.Tasks;

/// <summary>Endpoint policy of the saga: queue <c>task-state</c>, conflict retries, outbox, per-task ordering.</summary>
public sealed class TaskStateDefinition : SagaDefinition<TaskState>
{
    const int Concurrency = 32;

    public TaskStateDefinition()
    {
        Endpoint(e =>
        {
            e.Name = AgentQueues.TaskState;
            e.PrefetchCount = Concurrency * 2;
        });
        ConcurrentMessageLimit = Concurrency;
    }

    protected override void ConfigureSaga(IReceiveEndpointConfigurator endpointConfigurator, ISagaConfigurator<TaskState> sagaConfigurator,
        IRegistrationContext context)
    {
        // Two events of one task (or two duplicate submits) racing for the same row: the loser retries and sees the winner's
        // state. A database that is away (restarting, failing over, down for half an hour): the message waits for it rather
        // than going to the error queue, which would leave its task stuck or never created.
        var faults = context.GetRequiredService<IStorageFaults>();
        endpointConfigurator.UseStorageRideOut(context, faults.IsRetryable, TimeSpan.FromMilliseconds(50));
        endpointConfigurator.UseInMemoryOutbox(context);

        // Messages of one task are handled one at a time in this process, in arrival order; the row lock covers other instances.
        var partition = endpointConfigurator.CreatePartitioner(Concurrency);
        sagaConfigurator.Message<SubmitTask>(m => m.UsePartitioner(partition, c => c.Message.TaskId));
        sagaConfigurator.Message<AgentJobStarted>(m => m.UsePartitioner(partition, c => c.Message.TaskId));
        sagaConfigurator.Message<AgentAttemptFailed>(m => m.UsePartitioner(partition, c => c.Message.TaskId));
        sagaConfigurator.Message<AgentJobCompleted>(m => m.UsePartitioner(partition, c => c.Message.TaskId));
        sagaConfigurator.Message<Fault<RunAgentJob>>(m => m.UsePartitioner(partition, c => c.Message.Message.TaskId));
        sagaConfigurator.Message<AttemptStartRequest>(m => m.UsePartitioner(partition, c => c.Message.TaskId));
        sagaConfigurator.Message<ReleaseAttemptClaim>(m => m.UsePartitioner(partition, c => c.Message.TaskId));

        // After the repository loaded the task, within the outbox above: a redelivered message sends again what it had sent.
        sagaConfigurator.UseFilter(new SendAgainFilter(context.GetRequiredService<IOptions<PolicyOptions>>().Value.ApprovalTimeout,
            context.GetRequiredService<ILogger<SendAgainFilter>>()));
    }
}
