using MassTransit;
using Supervisor.Agents;
using Supervisor.Contracts;

namespace Supervisor.Service.Tasks;

/// <summary>
/// The life of a task. Submitted tasks resolve their agent chain and are dispatched to <c>agent-&lt;name&gt;</c>;
/// worker events move the task through Running and RetryScheduled; a fault of the job (retries exhausted, or a
/// fatal failure) hands the task to the next agent of the chain, and an exhausted chain fails it.
/// </summary>
public sealed class TaskStateMachine : MassTransitStateMachine<TaskState>
{
    public TaskStateMachine(AgentCatalog catalog, TimeProvider clock)
    {
        InstanceState(x => x.CurrentState);
        ConnectStateObserver(new TransitionRecorder(clock));

        Event(() => SubmitTask, x => x.CorrelateById(c => c.Message.TaskId));
        Event(() => AgentJobStarted, x =>
        {
            x.CorrelateById(c => c.Message.TaskId);
            x.OnMissingInstance(m => m.Discard());
        });
        Event(() => AgentAttemptFailed, x =>
        {
            x.CorrelateById(c => c.Message.TaskId);
            x.OnMissingInstance(m => m.Discard());
        });
        Event(() => AgentJobCompleted, x =>
        {
            x.CorrelateById(c => c.Message.TaskId);
            x.OnMissingInstance(m => m.Discard());
        });
        Event(() => RunAgentJobFaulted, x =>
        {
            x.CorrelateById(c => c.Message.Message.TaskId);
            x.OnMissingInstance(m => m.Discard());
        });

        Initially(
            When(SubmitTask)
                .Then(c => c.Saga.Accept(c.Message, catalog.ResolveChain(c.Message.Agents), clock.GetUtcNow().UtcDateTime))
                .TransitionTo(Submitted)
                .IfElse(c => c.Saga.Error is null,
                    ok => ok.ThenAsync(Dispatch).TransitionTo(Dispatched),
                    invalid => invalid.Then(c => c.Saga.FinishedAt = c.Saga.UpdatedAt).TransitionTo(Failed)));

        During(Dispatched, Running, RetryScheduled,
            When(AgentJobStarted, c => c.Message.Pass == c.Saga.Pass)
                .Then(c => c.Saga.RecordStart(c.Message))
                .TransitionTo(Running),
            When(AgentJobStarted, c => c.Message.Pass != c.Saga.Pass)
                .Then(c => c.Saga.RecordStart(c.Message)),
            When(AgentAttemptFailed, c => c.Message.Pass == c.Saga.Pass && c.Message.NextRetryAt is not null)
                .Then(c => c.Saga.RecordFailure(c.Message))
                .If(c => c.Saga.CurrentState != Running.Name, started => started.TransitionTo(Running))
                .TransitionTo(RetryScheduled),
            When(AgentAttemptFailed, c => c.Message.Pass != c.Saga.Pass || c.Message.NextRetryAt is null)
                .Then(c => c.Saga.RecordFailure(c.Message)),
            // Events of one task may be handled out of order (several service instances): a result implies its start.
            When(AgentJobCompleted, c => c.Message.Pass == c.Saga.Pass)
                .Then(c => c.Saga.RecordSuccess(c.Message))
                .If(c => c.Saga.CurrentState != Running.Name, started => started.TransitionTo(Running))
                .TransitionTo(Succeeded),
            When(AgentJobCompleted, c => c.Message.Pass != c.Saga.Pass)
                .Then(c => c.Saga.RecordCompletionOfStaleJob(c.Message)),
            When(RunAgentJobFaulted, c => c.Message.Message.Pass == c.Saga.Pass)
                .Then(c => c.Saga.RecordFault(c.Message, clock.GetUtcNow().UtcDateTime))
                .IfElse(c => c.Saga.CanFallBack(),
                    next => next.Then(c => c.Saga.ChainIndex++).ThenAsync(Dispatch).TransitionTo(Dispatched),
                    end => end.Then(c => c.Saga.Fail(clock.GetUtcNow().UtcDateTime)).TransitionTo(Failed)));

        // Late events complete the record of a task that has already ended; they never change its state.
        During(Succeeded, Failed, Cancelled, Rejected,
            When(AgentJobStarted).Then(c => c.Saga.RecordStart(c.Message)),
            When(AgentAttemptFailed).Then(c => c.Saga.RecordFailure(c.Message)),
            When(AgentJobCompleted).Then(c => c.Saga.RecordCompletionOfStaleJob(c.Message)),
            Ignore(RunAgentJobFaulted));

        DuringAny(Ignore(SubmitTask));
    }

    /// <summary>Sends the job for the current agent of the chain; the outbox releases it after the state is committed.</summary>
    static async Task Dispatch(BehaviorContext<TaskState> context)
    {
        var task = context.Saga;
        task.Pass++;
        var agent = task.CurrentAgent!;
        var job = new RunAgentJob(
            task.CorrelationId,
            task.Pass,
            task.AttemptCount + 1,
            agent,
            task.Prompt,
            task.RepositoryPath is null && task.RepositoryUrl is null ? null : new RepositorySpec(task.RepositoryPath, task.RepositoryUrl, task.BaseRef),
            task.TimeoutSeconds,
            task.Verify,
            task.ExpectChanges);
        var endpoint = await context.GetSendEndpoint(AgentQueues.Address(agent));
        await endpoint.Send(job, context.CancellationToken);
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
    public Event<Fault<RunAgentJob>> RunAgentJobFaulted { get; private set; } = null!;
}
