using MassTransit;
using Microsoft.Extensions.Options;
using Supervisor.Agents;
using Supervisor.Contracts;
using Supervisor.Hosting;
using Supervisor.Service.Fleet;
using Supervisor.Service.Storage;

namespace Supervisor.Service.Tasks;

/// <summary>
/// Answers a worker about to start an attempt: only a task that is active and still on the job's pass wants it, and
/// only one worker may run each attempt. Reads the committed state, not the saga's queue, so answering costs an indexed
/// read and one insert (<see cref="IAttemptClaims"/>).
/// </summary>
/// <remarks>
/// The broker redelivers a job whose acknowledgement was lost (a dropped connection, a restarted broker) with the same
/// attempt number, possibly while its first run is still going or its result is still queued. The first worker's claim
/// makes the second wait: for the result (then it drops the job, the attempt has run), or until the first worker is
/// lost (then it takes the claim over and runs the attempt). A claim whose answer never reached its worker is that
/// delivery's again when it asks again under the same claim id, and is freed when the worker gives the delivery up
/// before running it (<see cref="ReleaseAttemptClaim"/>).
/// </remarks>
public sealed partial class AttemptStartConsumer(IAttemptClaims attemptClaims, IOptions<FleetOptions> fleet, TimeProvider clock,
    ILogger<AttemptStartConsumer> logger) : IConsumer<AttemptStartRequest>, IConsumer<ReleaseAttemptClaim>
{
    static readonly string[] Active = [TaskStates.Dispatched, TaskStates.Running, TaskStates.RetryScheduled];

    /// <summary>How often a waiting worker asks again.</summary>
    const double AskAgainSeconds = 2;

    /// <summary>A holder that is alive but no longer running the attempt has this long for its result to be recorded.</summary>
    static readonly TimeSpan ResultGrace = TimeSpan.FromMinutes(2);

    public async Task Consume(ConsumeContext<AttemptStartRequest> context)
    {
        var answer = await AnswerAsync(context.Message, context.CancellationToken);
        // The worker waits StartCheckTimeout (10 s by default) and then starts anyway: a reply that hangs (see
        // BrokerCalls) is given up after that long rather than holding this endpoint.
        await BrokerCalls.OnceAsync(_ => context.RespondAsync(answer), TimeSpan.FromSeconds(10), context.CancellationToken);
    }

    async Task<AttemptStartResponse> AnswerAsync(AttemptStartRequest request, CancellationToken cancellationToken)
    {
        var claims = request.Attempt > 0 && !string.IsNullOrEmpty(request.Worker);
        var now = clock.GetUtcNow().UtcDateTime;

        if (await attemptClaims.CheckAndClaimAsync(request, claims, Active, now, cancellationToken) is not { } check)
            return new AttemptStartResponse(request.TaskId, false, null, "the task does not exist");
        var (state, pass, claimed) = check;
        if (!Active.Contains(state))
            return new AttemptStartResponse(request.TaskId, false, state, $"the task is {state}");
        if (pass != request.Pass)
            return new AttemptStartResponse(request.TaskId, false, state, $"the task has moved on to pass {pass}");
        if (!claims || claimed)
            return new AttemptStartResponse(request.TaskId, true, state, null); // claimed, or a worker that does not claim attempts
        return await HolderAnswerAsync(request, state, now, cancellationToken);
    }

    /// <summary>Another worker holds the attempt: wait for it, drop this copy, or take the attempt over.</summary>
    async Task<AttemptStartResponse> HolderAnswerAsync(AttemptStartRequest request, string state, DateTime now, CancellationToken cancellationToken)
    {
        if (await attemptClaims.HolderAsync(request, cancellationToken) is not { } claim)
            return Wait(request, state, "the attempt's claim is being changed");
        var (holder, finished, heartbeat, running, same) = claim;

        // This delivery claimed the attempt and is still asking: the answer that granted it was lost.
        if (same && !finished)
            return new AttemptStartResponse(request.TaskId, true, state, $"attempt {request.Attempt} was claimed by this delivery already (its answer was lost)");

        if (finished)
            return new AttemptStartResponse(request.TaskId, false, state, $"attempt {request.Attempt} already ran on worker {holder}", Duplicate: true);

        // Everyone's heartbeats pause while the broker is away: judge a holder only after waiting longer than a heartbeat gap.
        var lostAfter = fleet.Value.LostAfter;
        var waited = TimeSpan.FromSeconds(request.WaitedSeconds);
        var alive = heartbeat is { } beat && now - beat <= lostAfter;
        if (waited < lostAfter || (alive && running) || (alive && waited < ResultGrace))
            return Wait(request, state, $"attempt {request.Attempt} is held by worker {holder}" + (running ? ", which is running it" : ""));

        return await attemptClaims.TakeOverAsync(request, holder, now, cancellationToken)
            ? new AttemptStartResponse(request.TaskId, true, state, $"took attempt {request.Attempt} over from worker {holder}, " + (alive ? "which never reported its result" : "which is lost"))
            : Wait(request, state, "another worker took the attempt over");
    }

    static AttemptStartResponse Wait(AttemptStartRequest request, string state, string reason) =>
        new(request.TaskId, false, state, reason, AskAgainSeconds);

    /// <summary>Frees the claim made under the release's id, if one was: never another delivery's, even of the same worker.</summary>
    public async Task Consume(ConsumeContext<ReleaseAttemptClaim> context)
    {
        var release = context.Message;
        if (await attemptClaims.ReleaseAsync(release, context.CancellationToken))
            LogReleased(release.TaskId, release.Attempt, release.Worker);
    }

    [LoggerMessage(LogLevel.Information, "Task {TaskId}: worker {Worker} gave up its claim of attempt {Attempt} before running it")]
    partial void LogReleased(Guid taskId, int attempt, string worker);
}

public sealed class AttemptStartConsumerDefinition : ConsumerDefinition<AttemptStartConsumer>
{
    public AttemptStartConsumerDefinition()
    {
        EndpointName = AgentQueues.StartCheck;
        ConcurrentMessageLimit = 16;
    }

    // A short retry only: the worker waits about ten seconds for the answer and then starts anyway.
    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpointConfigurator,
        IConsumerConfigurator<AttemptStartConsumer> consumerConfigurator, IRegistrationContext context) =>
        endpointConfigurator.UseMessageRetry(r => r.Intervals(100, 500, 1000, 2000));
}
