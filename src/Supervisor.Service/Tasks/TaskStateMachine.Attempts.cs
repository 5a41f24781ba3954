using MassTransit;
using Supervisor.Contracts;

namespace Supervisor.Service.Tasks;

/// <summary>
/// While a job of the task is out (Dispatched, Running, RetryScheduled, and Paused): the start check grants the task's
/// lease, only the holder's events change the task, the reconciler's findings are re-checked and acted on, and a
/// current agent that gives up hands the task to the next one of its chain.
/// </summary>
public sealed partial class TaskStateMachine
{
    void DuringAttempts(LeaseTerms lease)
    {
        During(Dispatched, Running, RetryScheduled,
            When(AttemptStartRequested)
                .Then(c => c.Saga.Decide(c.Message, lease, Now()))
                .ThenAsync(StopLostAttemptAsync)
                .ThenAsync(c => AskAccountAsync(c, lease))
                .If(c => c.Saga.StartDecision == StartDecision.Grant && c.Saga.CurrentState != Running.Name, granted => granted.TransitionTo(Running))
                .If(c => c.Saga.StartDecision == StartDecision.Park && c.Saga.CurrentState != RetryScheduled.Name, parked => parked.TransitionTo(RetryScheduled))
                .If(c => c.Saga.StartDecision == StartDecision.OverBudget, over => HoldForBudget(over, c => c.Saga.StartAnswer!.Reason!))
                .If(c => c.Saga.StartDecision == StartDecision.LeaveForLimit, left => GiveUp(left))
                .If(c => c.Saga.StartDecision == StartDecision.GiveUp, poison => GiveUp(poison
                    .Then(c => c.Saga.RecordGiveUp(ErrorClasses.ContainerCrash, "its attempts keep losing their worker", Now()))))
                .ThenAsync(c => c.RespondAsync(c.Saga.StartAnswer!)),
            When(ReleaseAttemptClaim, c => c.Saga.LeaseClaim == c.Message.Claim)
                .Then(c => c.Saga.Release(c.Message, Now()))
                .TransitionTo(Dispatched),
            // One handler per event, its branches decided once: recording the holder's report frees the lease.
            When(AgentAttemptFailed).IfElse(c => c.Saga.Holds(c.Message.AttemptId),
                holder => holder
                    .Then(c => c.Saga.RecordFailure(c.Message, Now()))
                    .IfElse(c => c.Saga.StoppedByBudget(c.Message),
                        over => HoldForBudget(over, c => c.Saga.OverBudget() ?? c.Message.Message),
                        within => within.IfElse(c => c.Message.NextRetryAt is not null,
                            retry => retry.TransitionTo(RetryScheduled),
                            giveUp => GiveUp(giveUp.Then(c => c.Saga.RecordGiveUp(c.Message.ErrorClass, c.Message.Message, Now()))))),
                other => other.Then(c => c.Saga.RecordFailure(c.Message, Now()))),
            When(RunAgentJobFaulted, c => c.Saga.IsCurrentFault(c.Message))
                .Then(c => c.Saga.RecordFault(c.Message, Now()))
                .Apply(GiveUp),
            When(ReconcileTask, c => c.Message.Lease is { } held && c.Saga.LeaseId == held && c.Saga.LeaseExpiresAt < Now())
                .Then(c => c.Saga.LoseLease($"{AttemptLeases.WorkerLost}: {c.Message.Reason}", Now()))
                .ThenAsync(StopLostAttemptAsync)
                .IfElse(c => c.Saga.LostAttemptsInPass() >= lease.MaxLostAttempts,
                    poison => GiveUp(poison.Then(c => c.Saga.RecordGiveUp(ErrorClasses.ContainerCrash, "its attempts keep losing their worker", Now()))),
                    again => SendAgain(again)),
            When(ReconcileTask, c => c.Message.Lease is null && c.Saga.LeaseId is null && c.Saga.HoldAccount is null
                    && c.Saga.StartAllowedAt == c.Message.StartAllowedAt)
                .Then(c => c.Saga.Note("Reconciled", c.Message.Reason, Now()))
                .Apply(SendAgain),
            When(PauseTask)
                .Then(c => c.Saga.Pause(c.Message.By, c.Message.Reason))
                .TransitionTo(Paused));

        // A paused task lets its running attempt finish but starts nothing new: whatever would start something is
        // remembered and done on resume.
        During(Paused,
            When(AttemptStartRequested)
                .Then(c => c.Saga.DeclineStart(c.Message, paused: true))
                .ThenAsync(c => c.RespondAsync(c.Saga.StartAnswer!)),
            When(ReleaseAttemptClaim, c => c.Saga.LeaseClaim == c.Message.Claim)
                .Then(c => c.Saga.Release(c.Message, Now()))
                .Then(c => c.Saga.DispatchOnResume = true),
            When(AgentAttemptFailed).IfElse(c => c.Saga.Holds(c.Message.AttemptId),
                holder => holder
                    .Then(c => c.Saga.RecordFailure(c.Message, Now()))
                    .IfElse(c => c.Message.NextRetryAt is not null,
                        retry => retry.Then(c => c.Saga.PausedFrom = RetryScheduled.Name),
                        giveUp => GiveUpWhilePaused(giveUp.Then(c => c.Saga.RecordGiveUp(c.Message.ErrorClass, c.Message.Message, Now())))),
                other => other.Then(c => c.Saga.RecordFailure(c.Message, Now()))),
            When(RunAgentJobFaulted, c => c.Saga.IsCurrentFault(c.Message))
                .Then(c => c.Saga.RecordFault(c.Message, Now()))
                .Apply(GiveUpWhilePaused),
            When(ReconcileTask, c => c.Message.Lease is { } held && c.Saga.LeaseId == held && c.Saga.LeaseExpiresAt < Now())
                .Then(c => c.Saga.LoseLease($"{AttemptLeases.WorkerLost}: {c.Message.Reason}", Now()))
                .ThenAsync(StopLostAttemptAsync)
                .Then(c => c.Saga.StartAllowedAt = null)
                .IfElse(c => c.Saga.LostAttemptsInPass() >= lease.MaxLostAttempts,
                    poison => GiveUpWhilePaused(poison.Then(c => c.Saga.RecordGiveUp(ErrorClasses.ContainerCrash, "its attempts keep losing their worker", Now()))),
                    again => again.Then(c => c.Saga.DispatchOnResume = true)),
            When(ResumeTask)
                .Then(c => c.Saga.Decision = (c.Message.By, c.Message.Reason))
                .Then(c => c.Saga.BudgetHeld = false)
                .IfElse(c => c.Saga.DispatchOnResume,
                    dispatch => dispatch.Then(c => c.Saga.DispatchOnResume = false).ThenAsync(DispatchAsync).TransitionTo(Dispatched),
                    back => back.IfElse(c => c.Saga.PausedFrom == RetryScheduled.Name,
                        retry => retry.TransitionTo(RetryScheduled),
                        other => other.IfElse(c => c.Saga.PausedFrom == Dispatched.Name,
                            dispatched => dispatched.TransitionTo(Dispatched),
                            running => running.TransitionTo(Running)))));

        // Whether a job runs or the task is paused: the holder's success ends the task; any other attempt's report is
        // on its record only; a cancel ends the task and stops its attempts.
        During(Dispatched, Running, RetryScheduled, Paused,
            When(AgentJobCompleted).IfElse(c => c.Saga.Holds(c.Message.AttemptId),
                holder => holder.Then(c => c.Saga.RecordSuccess(c.Message)).TransitionTo(Succeeded),
                other => other.Then(c => c.Saga.RecordCompletion(c.Message))),
            When(AgentJobCancelled).Then(c => c.Saga.RecordCancellation(c.Message)),
            CancelWithAttempts(When(CancelTask)));
    }

    // The current agent gave up on the task (RecordGiveUp said why): the next agent of the chain, or the end.
    EventActivityBinder<TaskState, T> GiveUp<T>(EventActivityBinder<TaskState, T> binder)
        where T : class =>
        binder
            .Then(c => c.Saga.LastSendingMessageId = c.MessageId)
            .IfElse(c => c.Saga.CanFallBack(_spillOnly),
                next => next.Then(c => c.Saga.MoveToNextAgent(_spillOnly)).ThenAsync(DispatchAsync).TransitionTo(Dispatched),
                end => end.Then(c => c.Saga.Fail(Now())).TransitionTo(Failed));

    // The current agent gave up while the task is paused: the next agent of the chain is dispatched on resume, or the end.
    EventActivityBinder<TaskState, T> GiveUpWhilePaused<T>(EventActivityBinder<TaskState, T> binder)
        where T : class =>
        binder.IfElse(c => c.Saga.CanFallBack(_spillOnly),
            next => next.Then(c => c.Saga.MoveToNextAgent(_spillOnly)).Then(c => c.Saga.DispatchOnResume = true),
            end => end.Then(c => c.Saga.Fail(Now())).TransitionTo(Failed));

    // The job of the current pass again (its attempt was lost, or it never started): a copy that did survive is
    // harmless, as only one delivery gets the lease.
    EventActivityBinder<TaskState, T> SendAgain<T>(EventActivityBinder<TaskState, T> binder)
        where T : class =>
        binder
            .Then(c => c.Saga.LastSendingMessageId = c.MessageId)
            .Then(c => c.Saga.ExpectStart(Now()))
            .ThenAsync(c => SendJobAsync(c, c.Saga))
            .If(c => c.Saga.CurrentState != Dispatched.Name, back => back.TransitionTo(Dispatched));

    // Ends a task that may have an attempt running, and tells the workers to stop it (what this message sends).
    EventActivityBinder<TaskState, CancelTask> CancelWithAttempts(EventActivityBinder<TaskState, CancelTask> binder) =>
        binder
            .Then(c => c.Saga.End(Cancellation(c.Message), c.Message.By, c.Message.Reason, Now()))
            .Then(c => c.Saga.LastSendingMessageId = c.MessageId)
            .Publish(c => new CancelAttempts(c.Saga.CorrelationId, Cancellation(c.Message)))
            .TransitionTo(Cancelled);

    /// <summary>
    /// An attempt whose lease was taken away may still be running (its worker stopped or cut off, not dead): its worker is
    /// told to stop it when it hears again. Its report, should one come, is superseded anyway.
    /// </summary>
    static async Task StopLostAttemptAsync<T>(BehaviorContext<TaskState, T> context)
        where T : class
    {
        if (context.Saga.LostAttempt is { } lost)
            await context.Publish(new CancelAttempts(context.Saga.CorrelationId, "its lease expired and was taken over", lost), context.CancellationToken);
    }
}
