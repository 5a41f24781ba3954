using MassTransit;
using Supervisor.Contracts;
using Supervisor.Rules.Redaction;

namespace Supervisor.Service.Tasks;

/// <summary>
/// Appends every state change to the task's audit trail; the repository saves it with the state. Entering
/// AwaitingApproval or Failed also publishes <see cref="TaskAttentionRaised"/>, through the saga endpoint's outbox (it
/// leaves once the state is saved); no other transition publishes anything.
/// </summary>
sealed class TransitionRecorder(TimeProvider clock) : IStateObserver<TaskState>
{
    public Task StateChanged(BehaviorContext<TaskState> context, State currentState, State previousState)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var task = context.Saga;
        task.UpdatedAt = now;
        task.Transitions.Add(new TaskTransition
        {
            TaskId = task.CorrelationId,
            From = previousState?.Name ?? "Initial",
            To = currentState.Name,
            Event = context.Event.Name,
            At = now,
            By = task.Decision.By,
            // A reason may quote an agent's error text or a person's words: stored without credentials.
            Reason = SecretRedactor.RedactCredentials(task.Decision.Reason),
        });
        return currentState.Name switch
        {
            TaskStates.AwaitingApproval => context.Publish(Attention(task, AttentionKinds.AwaitingApproval, currentState.Name,
                $"risk {task.Risk ?? "unset"} needs approval (Supervisor:Policy:ApprovalRequiredFor)", now), context.CancellationToken),
            TaskStates.Failed => context.Publish(Attention(task, AttentionKinds.Failed, currentState.Name, task.Error, now), context.CancellationToken),
            _ => Task.CompletedTask,
        };
    }

    /// <summary>What a task that needs a person says about itself, entering <paramref name="state"/>.</summary>
    internal static TaskAttentionRaised Attention(TaskState task, string kind, string state, string? reason, DateTime now) =>
        new(task.CorrelationId, kind, state, task.CurrentAgent ?? task.Agents.LastOrDefault(), SecretRedactor.RedactCredentials(reason), now);
}
