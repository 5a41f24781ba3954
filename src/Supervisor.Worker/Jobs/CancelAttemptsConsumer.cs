using MassTransit;
using Microsoft.Extensions.Options;
using Supervisor.Contracts;
using Supervisor.Worker.Attempts;
using Supervisor.Worker.Settings;

namespace Supervisor.Worker.Jobs;

/// <summary>
/// Kills this worker's attempts of a cancelled task (or the one attempt whose lease was taken over), and stops any of its
/// jobs that has not started its agent yet. Every worker has a durable queue of its own for it (see
/// <see cref="CancelAttemptsConsumerDefinition"/>).
/// </summary>
public sealed partial class CancelAttemptsConsumer(RunningAttempts running, ILogger<CancelAttemptsConsumer> logger) : IConsumer<CancelAttempts>
{
    public Task Consume(ConsumeContext<CancelAttempts> context)
    {
        var count = running.Cancel(context.Message.TaskId, context.Message.Reason, context.Message.AttemptId);
        if (count > 0)
            LogCancelled(context.Message.TaskId, count, context.Message.Reason);
        return Task.CompletedTask;
    }

    [LoggerMessage(LogLevel.Information, "Task {TaskId}: stopping {Count} job(s) held here: {Reason}")]
    partial void LogCancelled(Guid taskId, int count, string reason);
}

/// <summary>
/// The worker's own cancel queue, <c>worker-cancel-&lt;worker id&gt;</c>, bound to every <see cref="CancelAttempts"/>:
/// durable, so that a worker cut off from the broker (or stopped for a while) finds the cancellations it missed when it
/// is back; removed by the broker once no worker has used it for <see cref="WorkerOptions.CancelQueueExpiry"/>.
/// </summary>
public sealed class CancelAttemptsConsumerDefinition : ConsumerDefinition<CancelAttemptsConsumer>
{
    readonly TimeSpan _expiry;

    public CancelAttemptsConsumerDefinition(IOptions<WorkerOptions> options)
    {
        EndpointName = "worker-cancel-" + string.Concat(options.Value.Id.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '_'));
        _expiry = options.Value.CancelQueueExpiry;
    }

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpointConfigurator,
        IConsumerConfigurator<CancelAttemptsConsumer> consumerConfigurator, IRegistrationContext context)
    {
        if (endpointConfigurator is IRabbitMqReceiveEndpointConfigurator rabbit)
        {
            rabbit.Durable = true;
            rabbit.AutoDelete = false;
            rabbit.QueueExpiration = _expiry;
        }
    }
}
