using MassTransit;
using Supervisor.Rules.Redaction;

namespace Supervisor.Service.Tasks;

/// <summary>Appends every state change to the task's audit trail; the repository saves it with the state.</summary>
sealed class TransitionRecorder(TimeProvider clock) : IStateObserver<TaskState>
{
    public Task StateChanged(BehaviorContext<TaskState> context, State currentState, State previousState)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        context.Saga.UpdatedAt = now;
        context.Saga.Transitions.Add(new TaskTransition
        {
            TaskId = context.Saga.CorrelationId,
            From = previousState?.Name ?? "Initial",
            To = currentState.Name,
            Event = context.Event.Name,
            At = now,
            By = context.Saga.Decision.By,
            // A reason may quote an agent's error text or a person's words: stored without credentials.
            Reason = SecretRedactor.RedactCredentials(context.Saga.Decision.Reason),
        });
        return Task.CompletedTask;
    }
}
