using MassTransit;
using Npgsql;
using Supervisor.Contracts;

namespace Supervisor.Service.Tasks;

/// <summary>
/// Answers a worker about to start an attempt: only a task that is active and still on the job's pass wants it.
/// Reads the committed state; the saga itself is not involved, so answering costs one indexed read.
/// </summary>
public sealed class AttemptStartConsumer(NpgsqlDataSource dataSource) : IConsumer<AttemptStartRequest>
{
    static readonly string[] Active = [TaskStates.Dispatched, TaskStates.Running, TaskStates.RetryScheduled];

    public async Task Consume(ConsumeContext<AttemptStartRequest> context)
    {
        var request = context.Message;
        await using var command = dataSource.CreateCommand("SELECT state, pass FROM tasks WHERE id = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = request.TaskId });
        await using var reader = await command.ExecuteReaderAsync(context.CancellationToken);
        if (!await reader.ReadAsync(context.CancellationToken))
        {
            await context.RespondAsync(new AttemptStartResponse(request.TaskId, false, null, "the task does not exist"));
            return;
        }

        var state = reader.GetString(0);
        var pass = reader.GetInt32(1);
        var response = !Active.Contains(state) ? new AttemptStartResponse(request.TaskId, false, state, $"the task is {state}")
            : pass != request.Pass ? new AttemptStartResponse(request.TaskId, false, state, $"the task has moved on to pass {pass}")
            : new AttemptStartResponse(request.TaskId, true, state, null);
        await context.RespondAsync(response);
    }
}

public sealed class AttemptStartConsumerDefinition : ConsumerDefinition<AttemptStartConsumer>
{
    public AttemptStartConsumerDefinition()
    {
        EndpointName = "attempt-start";
        ConcurrentMessageLimit = 16;
    }

    // A short retry only: the worker waits about ten seconds for the answer and then starts anyway.
    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpointConfigurator,
        IConsumerConfigurator<AttemptStartConsumer> consumerConfigurator, IRegistrationContext context) =>
        endpointConfigurator.UseMessageRetry(r => r.Intervals(100, 500, 1000, 2000));
}
