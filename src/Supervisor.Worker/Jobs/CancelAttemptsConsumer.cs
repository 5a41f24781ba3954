using MassTransit;
using Supervisor.Contracts;
using Supervisor.Worker.Attempts;

namespace Supervisor.Worker.Jobs;

/// <summary>Kills this worker's attempts of a cancelled task. Every worker has its own temporary queue for it.</summary>
public sealed partial class CancelAttemptsConsumer(RunningAttempts running, ILogger<CancelAttemptsConsumer> logger) : IConsumer<CancelAttempts>
{
    public Task Consume(ConsumeContext<CancelAttempts> context)
    {
        var count = running.Cancel(context.Message.TaskId, context.Message.Reason);
        if (count > 0)
            LogCancelled(context.Message.TaskId, count, context.Message.Reason);
        return Task.CompletedTask;
    }

    [LoggerMessage(LogLevel.Information, "Task {TaskId}: killing {Count} running attempt(s): {Reason}")]
    partial void LogCancelled(Guid taskId, int count, string reason);
}
