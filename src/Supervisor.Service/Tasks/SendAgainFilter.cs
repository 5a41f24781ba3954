using MassTransit;

namespace Supervisor.Service.Tasks;

/// <summary>
/// On the saga's pipe, after the repository loaded (and locked) the task and before the state machine runs, inside the
/// endpoint's outbox: a message that is the task's <see cref="TaskState.LastSendingMessageId"/> was redelivered after its
/// changes had committed, so what they imply is sent again (<see cref="TaskStateMachine.SendAgainAsync"/>). A new task
/// has no such id, so only loaded instances qualify.
/// </summary>
sealed partial class SendAgainFilter(TimeSpan? approvalTimeout, ILogger<SendAgainFilter> logger) : IFilter<SagaConsumeContext<TaskState>>
{
    public async Task Send(SagaConsumeContext<TaskState> context, IPipe<SagaConsumeContext<TaskState>> next)
    {
        var task = context.Saga;
        if (task.LastSendingMessageId is { } last && last == context.MessageId
            && await TaskStateMachine.SendAgainAsync(context, task, approvalTimeout) is { } sent)
        {
            LogSentAgain(task.CorrelationId, MessageName(context), sent);
        }

        await next.Send(context);
    }

    public void Probe(ProbeContext context) => context.CreateFilterScope("sendAgain");

    // The pipe is shared by every message of the saga; the context is the message's own SagaConsumeContext<TaskState, T>.
    static string MessageName(SagaConsumeContext<TaskState> context) =>
        context.GetType().GetInterfaces()
            .FirstOrDefault(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(SagaConsumeContext<,>))?.GetGenericArguments()[1].Name
        ?? "the message";

    [LoggerMessage(LogLevel.Warning,
        "Task {TaskId}: {Message} was redelivered after its changes had committed (the service stopped before acknowledging it); sent {Sent} again")]
    partial void LogSentAgain(Guid taskId, string message, string sent);
}
