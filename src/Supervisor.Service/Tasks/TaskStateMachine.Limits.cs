using MassTransit;
using Supervisor.Contracts;
using Supervisor.Rules.Limits;
using Supervisor.Service.Storage;

namespace Supervisor.Service.Tasks;

/// <summary>
/// The limit gate: a start on a provider account is decided on the account's locked row, in the task's transaction.
/// A blocked, probing or full account parks the task (no job out, no worker held, its state RetryScheduled with a hold),
/// or the task leaves the agent, as its limit policy says; the release step (Limits/AccountRelease) lets a parked
/// task go with <see cref="LimitReleased"/>, and its start check decides again.
/// </summary>
public sealed partial class TaskStateMachine
{
    /// <summary>How long a released waiter's slot is kept for it, and a chosen probe awaited, before others may take it.</summary>
    public static readonly TimeSpan ReservationHold = new AccountLimits().ProbeHold;

    void DuringLimits()
    {
        During(RetryScheduled,
            When(LimitReleased, c => c.Saga.HoldAccount == c.Message.Account)
                .Then(c => c.Saga.Note("Released", Released(c.Message), Now()))
                .Then(c => c.Saga.ClearHold())
                .ThenAsync(DispatchAsync)
                .TransitionTo(Dispatched));
        During(Paused,
            When(LimitReleased, c => c.Saga.HoldAccount == c.Message.Account)
                .Then(c => c.Saga.Note("Released", Released(c.Message) + "; the task is paused and is dispatched when resumed", Now()))
                .Then(c => c.Saga.ClearHold())
                .Then(c => c.Saga.DispatchOnResume = true));
        DuringAny(Ignore(LimitReleased));
    }

    static string Released(LimitReleased message) =>
        message.Probe ? $"{message.Account} may answer again: this task goes first, alone, as its probe" : $"{message.Account} has room again";

    /// <summary>Asks the account whether the attempt the start check would grant may start, and acts on the answer.</summary>
    async Task AskAccountAsync(BehaviorContext<TaskState, AttemptStartRequest> context, LeaseTerms lease)
    {
        var task = context.Saga;
        if (task.StartDecision != StartDecision.AskAccount)
            return;
        if (!context.TryGetPayload<IAccountBook>(out var book))
            throw new InvalidOperationException("The limit gate needs the saga's account book (a payload of the saga repository's transaction).");

        var request = context.Message;
        var account = request.Account!;
        var agent = task.CurrentAgent!;
        var profile = _catalog.Get(agent);
        var options = profile.Limits;
        var now = Now();
        var snapshot = await book.LockAsync(account, agent, task.CorrelationId, ReservationHold, now, context.CancellationToken);
        var waited = task.WaitSince is { } since ? new TaskWait(since, task.WaitWindows, task.WaitWindowSince) : null;
        var policy = options.PolicyFor(task.OnLimit, task.MaxWaitSeconds, task.MaxWindows);
        var decision = LimitPlanner.DecideStart(snapshot, new StartRequest(task.CorrelationId, policy, task.CanFallBack(_spillOnly, forLimit: true), waited),
            options.ToAccountLimits() with { BudgetTimeZone = book.BudgetTimeZone });
        // A release dispatches a new pass, whose job starts its redeliveries afresh: the turn's limit failures are counted
        // here instead, so that waiting never renews the agent's rate-limit retries (a provider that keeps refusing ends the turn).
        var retries = profile.Retry.EffectiveRateLimitIntervals.Count;
        var hits = task.Attempts.Count(a => a.Pass >= task.TurnPass && a.Agent == agent && a.ErrorClass == ErrorClasses.RateLimited);
        if (decision.Action == StartAction.Park && hits > retries)
        {
            var message = $"{decision.Message}; its attempts met the account's limit {hits} times in this turn, more than the {retries} retries of Retry:RateLimitIntervals";
            decision = task.CanFallBack(_spillOnly, forLimit: true)
                ? Rules.Limits.StartDecision.FallBack(decision.Reason!.Value, message)
                : Rules.Limits.StartDecision.Fail(decision.Reason!.Value, message + "; no agent left to fall back to");
        }

        switch (decision.Action)
        {
            case StartAction.Grant or StartAction.GrantAsProbe:
                if (decision.Account is { } probing)
                    await book.SaveStatusAsync(account, probing, now, context.CancellationToken);
                await book.LeaveAsync(task.CorrelationId, context.CancellationToken);
                task.ClearHold();
                task.GrantStart(request, lease, now, decision.Action == StartAction.GrantAsProbe ? $"the probe of {account} after its block" : null);
                break;
            case StartAction.Park:
                await book.ParkAsync(account, task.CorrelationId, decision.Wait!.Since, LimitNames.Of(decision.Reason!.Value), context.CancellationToken);
                var newHold = task.HoldAccount != account;
                task.Hold(account, decision, now);
                // A person may want to know that a usage window or a spent budget holds the task (a full account will
                // free up by itself): once per hold on an account, through the outbox like the transition it comes with.
                if (newHold && decision.Reason != WaitReason.Cap)
                {
                    await context.Publish(TransitionRecorder.Attention(task, AttentionKinds.Blocked, TaskStates.RetryScheduled, decision.Message, now),
                        context.CancellationToken);
                }

                task.DeclineForLimit(StartDecision.Park, $"waiting: {decision.Message}");
                break;
            default:
                await book.LeaveAsync(task.CorrelationId, context.CancellationToken);
                task.LeaveForLimit(decision, now);
                task.DeclineForLimit(StartDecision.LeaveForLimit, decision.Message!);
                break;
        }
    }

    public Event<LimitReleased> LimitReleased { get; private set; } = null!;
}
