using MassTransit;
using Microsoft.Extensions.Options;
using Supervisor.Agents;
using Supervisor.Contracts;
using Supervisor.Service.Fleet;

namespace Supervisor.Service.Tasks;

/// <summary>
/// The life of a task. A submitted task resolves its agent chain, waits for its time if it was given one (runAt), waits
/// for approval if policy says so, and is
/// dispatched to <c>agent-&lt;name&gt;</c>; worker events move it through Running and RetryScheduled; a fault of the
/// job (retries exhausted, or a fatal failure) hands it to the next agent of the chain, and an exhausted chain fails
/// it. Operators cancel, pause, resume, approve, reject and retry; every transition is on the audit trail.
/// </summary>
public sealed partial class TaskStateMachine : MassTransitStateMachine<TaskState>
{
    readonly TimeProvider _clock;
    readonly AgentCatalog _catalog;

    /// <summary>Whether an agent takes over from the one before it only when that one's account holds the task back.</summary>
    readonly Func<string, bool> _spillOnly;

    DateTime Now() => _clock.GetUtcNow().UtcDateTime;

    public TaskStateMachine(AgentCatalog catalog, IOptions<PolicyOptions> policyOptions, IOptions<FleetOptions> fleetOptions, TimeProvider clock)
    {
        _clock = clock;
        _catalog = catalog;
        _spillOnly = agent => catalog.TryGet(agent, out var options) && options.Limits.SpillOnly;
        var policy = policyOptions.Value;
        var lease = new LeaseTerms(fleetOptions.Value.LostAfter, fleetOptions.Value.MaxLostAttempts);

        InstanceState(x => x.CurrentState);
        ConnectStateObserver(new TransitionRecorder(clock));

        Event(() => SubmitTask, x => x.CorrelateById(c => c.Message.TaskId));
        Event(() => AgentJobStarted, x => ByTask(x, c => c.Message.TaskId));
        Event(() => AgentAttemptFailed, x => ByTask(x, c => c.Message.TaskId));
        Event(() => AgentJobCompleted, x => ByTask(x, c => c.Message.TaskId));
        Event(() => AgentJobCancelled, x => ByTask(x, c => c.Message.TaskId));
        Event(() => RunAgentJobFaulted, x => ByTask(x, c => c.Message.Message.TaskId));
        Event(() => CancelTask, x => ByTask(x, c => c.Message.TaskId));
        Event(() => AttemptStartRequested, x =>
        {
            x.CorrelateById(c => c.Message.TaskId);
            x.OnMissingInstance(m => m.ExecuteAsync(c => c.RespondAsync(new AttemptStartResponse(c.Message.TaskId, false, null, "the task does not exist"))));
        });
        Event(() => ReleaseAttemptClaim, x => ByTask(x, c => c.Message.TaskId));
        Event(() => ReconcileTask, x => ByTask(x, c => c.Message.TaskId));
        Event(() => LimitReleased, x => ByTask(x, c => c.Message.TaskId));
        Event(() => KeyReleased, x => ByTask(x, c => c.Message.TaskId));
        Event(() => PauseTask, x => ByTask(x, c => c.Message.TaskId));
        Event(() => ResumeTask, x => ByTask(x, c => c.Message.TaskId));
        Event(() => ApproveTask, x => ByTask(x, c => c.Message.TaskId));
        Event(() => RejectTask, x => ByTask(x, c => c.Message.TaskId));
        Event(() => RetryTask, x => ByTask(x, c => c.Message.TaskId));
        Event(() => ChangeTaskBudget, x => ByTask(x, c => c.Message.TaskId));

        Schedule(() => ApprovalTimeout, x => x.ApprovalTimeoutTokenId, s =>
        {
            s.Delay = policy.ApprovalTimeout ?? TimeSpan.FromDays(1);
            s.Received = r => r.CorrelateById(c => c.Message.TaskId);
        });
        Schedule(() => RunAtReached, x => x.RunAtTokenId, s => s.Received = r => r.CorrelateById(c => c.Message.TaskId));

        Initially(
            When(SubmitTask)
                .Then(c => c.Saga.Accept(c.Message, catalog.ResolveChain(c.Message.Agents, c.Message.FollowFallback), Now()))
                .TransitionTo(Submitted)
                .IfElse(c => c.Saga.Error is not null,
                    invalid => invalid.Then(c => c.Saga.FinishedAt = Now()).TransitionTo(Failed),
                    valid => valid.IfElse(c => c.Saga.RunAt > Now(),
                        later => WaitForRunAt(later),
                        now => Start(now))));

        // A delayed task waits, visible, for its time; it can be cancelled meanwhile. The reconciler starts one whose
        // scheduled start was lost.
        During(Submitted,
            When(RunAtReached!.Received)
                .Apply(Start),
            When(ReconcileTask, c => c.Message.Lease is null && c.Saga.RunAt <= Now())
                .Then(c => c.Saga.Note("Reconciled", c.Message.Reason, Now()))
                .Unschedule(RunAtReached)
                .Apply(Start),
            When(CancelTask)
                .Then(c => c.Saga.End(Cancellation(c.Message), c.Message.By, c.Message.Reason, Now()))
                .Unschedule(RunAtReached)
                .TransitionTo(Cancelled));

        During(AwaitingApproval,
            When(ApproveTask)
                .Then(c => c.Saga.Decision = (c.Message.By, c.Message.Reason))
                .Unschedule(ApprovalTimeout)
                .ThenAsync(DispatchAsync)
                .TransitionTo(Dispatched),
            When(RejectTask)
                .Then(c => c.Saga.End($"rejected by {c.Message.By ?? "someone"}" + Why(c.Message.Reason), c.Message.By, c.Message.Reason, Now()))
                .Unschedule(ApprovalTimeout)
                .TransitionTo(Rejected),
            When(ApprovalTimeout!.Received)
                .Then(c => c.Saga.End($"nobody approved or rejected the task within {policy.ApprovalTimeout}", "policy", "approval timeout", Now()))
                .TransitionTo(Rejected),
            When(CancelTask)
                .Then(c => c.Saga.End(Cancellation(c.Message), c.Message.By, c.Message.Reason, Now()))
                .Unschedule(ApprovalTimeout)
                .TransitionTo(Cancelled));

        DuringAttempts(lease);
        DuringLimits();
        DuringKeys(Start);
        DuringBudgets();

        // Late events complete the record of a task that has already ended; they never change its state. A lease still
        // held (a cancelled task's attempt that has not yet confirmed it stopped) ends with its holder's report or expiry.
        During(Succeeded, Failed, Cancelled, Rejected,
            When(AttemptStartRequested)
                .Then(c => c.Saga.DeclineStart(c.Message, paused: false))
                .ThenAsync(c => c.RespondAsync(c.Saga.StartAnswer!)),
            When(ReleaseAttemptClaim, c => c.Saga.LeaseClaim == c.Message.Claim)
                .Then(c => c.Saga.Release(c.Message, Now()))
                .Then(c => c.Saga.StartAllowedAt = null),
            When(AgentAttemptFailed).Then(c => c.Saga.RecordFailure(c.Message, Now())).Then(c => c.Saga.StartAllowedAt = null),
            When(AgentJobCompleted).Then(c => c.Saga.RecordCompletion(c.Message)),
            When(AgentJobCancelled).Then(c => c.Saga.RecordCancellation(c.Message)),
            When(ReconcileTask, c => c.Message.Lease is { } held && c.Saga.LeaseId == held && c.Saga.LeaseExpiresAt < Now())
                .Then(c => c.Saga.LoseLease($"{AttemptLeases.WorkerLost}: {c.Message.Reason}", Now()))
                .ThenAsync(StopLostAttemptAsync)
                .Then(c => c.Saga.StartAllowedAt = null),
            Ignore(RunAgentJobFaulted));

        During(Submitted, AwaitingApproval,
            When(AttemptStartRequested)
                .Then(c => c.Saga.DeclineStart(c.Message, paused: false))
                .ThenAsync(c => c.RespondAsync(c.Saga.StartAnswer!)));

        DuringAny(When(AgentJobStarted).Then(c => c.Saga.RecordStart(c.Message)));

        During(Failed, Cancelled, Rejected,
            When(RetryTask)
                .Then(c => c.Saga.Restart(c.Message.By, c.Message.Reason))
                .Apply(Start));

        // The API answers 409 to a command that does not apply; one that races a state change is dropped here.
        DuringAny(
            Ignore(SubmitTask),
            Ignore(CancelTask),
            Ignore(PauseTask),
            Ignore(ResumeTask),
            Ignore(ApproveTask),
            Ignore(RejectTask),
            Ignore(RetryTask),
            Ignore(ReleaseAttemptClaim),
            Ignore(ReconcileTask),
            Ignore(ApprovalTimeout.Received),
            Ignore(RunAtReached.Received));

        // A task starts, if its concurrency key lets it: it waits for approval if policy says so, or its job is dispatched.
        EventActivityBinder<TaskState, T> Start<T>(EventActivityBinder<TaskState, T> binder)
            where T : class =>
            binder
                .ThenAsync(ClaimKeyAsync)
                .IfElse(c => c.Saga.KeyVerdict == KeyVerdict.Go,
                    go => go.IfElse(c => policy.RequiresApproval(c.Saga.Risk),
                        approval => AwaitApproval(approval),
                        dispatch => dispatch.ThenAsync(DispatchAsync).TransitionTo(Dispatched)),
                    full => full.IfElse(c => c.Saga.KeyVerdict == KeyVerdict.Drop,
                        drop => drop.TransitionTo(Cancelled),
                        queue => queue.If(c => c.Saga.CurrentState != Submitted.Name, back => back.TransitionTo(Submitted))));

        // Waits for a person's decision, until the approval timeout when policy sets one. Scheduling it is what this
        // message sends (a redelivered copy schedules it again: SendAgainAsync).
        EventActivityBinder<TaskState, T> AwaitApproval<T>(EventActivityBinder<TaskState, T> binder)
            where T : class =>
            binder
                .If(_ => policy.ApprovalTimeout is not null, timed => timed
                    .Then(c => c.Saga.LastSendingMessageId = c.MessageId)
                    .Schedule(ApprovalTimeout, c => new ApprovalTimedOut(c.Saga.CorrelationId)))
                .TransitionTo(AwaitingApproval);

    }

    // Schedules the start of a delayed task, as a delay on the saga's clock (what this message sends: a redelivered copy
    // schedules it again, SendAgainAsync).
    EventActivityBinder<TaskState, SubmitTask> WaitForRunAt(EventActivityBinder<TaskState, SubmitTask> binder) =>
        binder
            .Then(c => c.Saga.LastSendingMessageId = c.MessageId)
            .Schedule(RunAtReached, c => new RunAtReached(c.Saga.CorrelationId), c => c.Saga.RunAt!.Value - Now());

    /// <summary>Correlates by task id; a message for a task that does not exist is dropped.</summary>
    static void ByTask<T>(IEventCorrelationConfigurator<TaskState, T> x, Func<ConsumeContext<T>, Guid> id)
        where T : class
    {
        x.CorrelateById(id);
        x.OnMissingInstance(m => m.Discard());
    }

    static string Why(string? reason) => string.IsNullOrWhiteSpace(reason) ? "" : $": {reason}";

    static string Cancellation(CancelTask message) => $"cancelled by {message.By ?? "someone"}" + Why(message.Reason);

    /// <summary>
    /// Sends the job for the current agent of the chain, on a new pass; the outbox releases it after the state is
    /// committed. The first delivery that asks may start it.
    /// </summary>
    async Task DispatchAsync(BehaviorContext<TaskState> context)
    {
        context.Saga.Pass++;
        context.Saga.ExpectStart(_clock.GetUtcNow().UtcDateTime);
        context.Saga.LastSendingMessageId = context.MessageId;
        await SendJobAsync(context, context.Saga);
    }

    static async Task SendJobAsync(ConsumeContext context, TaskState task)
    {
        var agent = task.CurrentAgent!;
        var job = new RunAgentJob(
            task.CorrelationId,
            task.Pass,
            task.AttemptCount + 1,
            agent,
            task.Prompt,
            task.RepositoryPath is null && task.RepositoryUrl is null ? null : new RepositorySpec(task.RepositoryPath, task.RepositoryUrl, task.BaseRef, task.PushTo,
                task.OpenPullRequest, task.PullRequestTitle, task.PullRequestBody),
            task.TimeoutSeconds,
            task.Verify,
            task.ExpectChanges,
            // The task's model is for the agent it was submitted for; the agents after it use their own.
            task.ChainIndex == 0 ? task.Model : null);
        var endpoint = await context.GetSendEndpoint(AgentQueues.Address(agent));
        await endpoint.Send(job, context.CancellationToken);
    }

    /// <summary>
    /// The message being consumed already committed its changes and sent something (the task's
    /// <see cref="TaskState.LastSendingMessageId"/>): the service stopped after the commit and before the outbox sent what
    /// the message caused, or before the message was acknowledged. Sends again what the task's state implies, which is
    /// harmless if the first send did leave: a second copy of a job runs no attempt twice (the start check's claim),
    /// cancelling twice kills nothing more, and an approval timeout or a delayed task's start scheduled again takes a new
    /// token, so that only the new one counts. Returns what was sent again, or null.
    /// </summary>
    internal static async Task<string?> SendAgainAsync(ConsumeContext context, TaskState task, TimeSpan? approvalTimeout)
    {
        switch (task.CurrentState)
        {
            case nameof(AwaitingApproval) when approvalTimeout is { } timeout && context.TryGetPayload<MessageSchedulerContext>(out var scheduler):
                var scheduled = await scheduler.ScheduleSend(DateTime.UtcNow + timeout, new ApprovalTimedOut(task.CorrelationId), context.CancellationToken);
                task.ApprovalTimeoutTokenId = scheduled.TokenId;
                return $"the approval timeout (in {timeout})";
            case nameof(Submitted) when task.RunAt is { } runAt && context.TryGetPayload<MessageSchedulerContext>(out var delays):
                var start = await delays.ScheduleSend(runAt > DateTime.UtcNow ? runAt : DateTime.UtcNow, new RunAtReached(task.CorrelationId),
                    context.CancellationToken);
                task.RunAtTokenId = start.TokenId;
                return $"the start at {runAt:O}";
            case nameof(Dispatched) when task.CurrentAgent is not null:
                await SendJobAsync(context, task);
                return $"the job of pass {task.Pass} to {task.CurrentAgent}";
            case nameof(Cancelled):
                await context.Publish(new CancelAttempts(task.CorrelationId, task.Error ?? "cancelled"), context.CancellationToken);
                return "the cancellation of its attempts";
            default:
                return null;
        }
    }

    public State Submitted { get; private set; } = null!;
    public State AwaitingApproval { get; private set; } = null!;
    public State Dispatched { get; private set; } = null!;
    public State Running { get; private set; } = null!;
    public State RetryScheduled { get; private set; } = null!;
    public State Paused { get; private set; } = null!;
    public State Succeeded { get; private set; } = null!;
    public State Failed { get; private set; } = null!;
    public State Cancelled { get; private set; } = null!;
    public State Rejected { get; private set; } = null!;

    public Event<SubmitTask> SubmitTask { get; private set; } = null!;
    public Event<AgentJobStarted> AgentJobStarted { get; private set; } = null!;
    public Event<AgentAttemptFailed> AgentAttemptFailed { get; private set; } = null!;
    public Event<AgentJobCompleted> AgentJobCompleted { get; private set; } = null!;
    public Event<AgentJobCancelled> AgentJobCancelled { get; private set; } = null!;
    public Event<Fault<RunAgentJob>> RunAgentJobFaulted { get; private set; } = null!;
    public Event<CancelTask> CancelTask { get; private set; } = null!;
    public Event<AttemptStartRequest> AttemptStartRequested { get; private set; } = null!;
    public Event<ReleaseAttemptClaim> ReleaseAttemptClaim { get; private set; } = null!;
    public Event<ReconcileTask> ReconcileTask { get; private set; } = null!;
    public Event<PauseTask> PauseTask { get; private set; } = null!;
    public Event<ResumeTask> ResumeTask { get; private set; } = null!;
    public Event<ApproveTask> ApproveTask { get; private set; } = null!;
    public Event<RejectTask> RejectTask { get; private set; } = null!;
    public Event<RetryTask> RetryTask { get; private set; } = null!;

    public Schedule<TaskState, ApprovalTimedOut> ApprovalTimeout { get; private set; } = null!;
    public Schedule<TaskState, RunAtReached> RunAtReached { get; private set; } = null!;
}

/// <summary>Lets a shared part of the state machine's behaviour read as one step of an activity chain.</summary>
static class ActivityBinderExtensions
{
    public static EventActivityBinder<TaskState, T> Apply<T>(this EventActivityBinder<TaskState, T> binder,
        Func<EventActivityBinder<TaskState, T>, EventActivityBinder<TaskState, T>> part)
        where T : class => part(binder);
}
