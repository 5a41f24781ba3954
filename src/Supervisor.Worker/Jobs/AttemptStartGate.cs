using MassTransit;
using Microsoft.Extensions.Options;
using Supervisor.Agents;
using Supervisor.Contracts;
using Supervisor.Hosting;
using Supervisor.Worker.Settings;

namespace Supervisor.Worker.Jobs;

/// <summary>
/// Before an attempt starts: asks the service whether the task still wants this job (a redelivery may find it cancelled,
/// paused or moved on) and claims the attempt for this delivery; gives an unused claim back.
/// </summary>
public sealed partial class AttemptStartGate(
    StartCheckReplies replies,
    IBus bus,
    IOptions<WorkerOptions> options,
    AttemptEvents events,
    ILogger<AttemptStartGate> logger)
{
    /// <summary>A redelivered job's checks unanswered in a row before they are asked on a fresh reply queue.</summary>
    public const int UnansweredBeforeRenewal = 3;

    /// <summary>
    /// Whether the attempt may start, with its claim taken. While another worker holds it (the broker redelivered a job
    /// whose acknowledgement was lost), asks again until that run's result is recorded or its worker is lost. Without an
    /// answer in time a first delivery starts anyway (a restarting service must not stall the fleet); a redelivered one
    /// keeps asking. A check that could not be sent (a broker fault) is sent again: it never fails the job. Answers come
    /// back on <see cref="StartCheckReplies"/>.
    /// </summary>
    public async Task<bool> MayStartAsync(AgentAttempt attempt)
    {
        var context = attempt.Context;
        var job = attempt.Job;
        var worker = options.Value;
        var waiting = System.Diagnostics.Stopwatch.StartNew();
        var logged = false;
        var unanswered = false;
        var silent = 0; // checks in a row without an answer
        var notSent = false; // the last check could not be sent (logged once in a row)
        var (startCheck, endpoint) = await replies.ClientAsync<AttemptStartRequest>(context, AgentQueues.StartCheckAddress);
        while (true)
        {
            if (silent > 0 && silent % UnansweredBeforeRenewal == 0)
            {
                // The service answers within milliseconds once it is up: answers that keep getting lost point at the
                // reply queue (a killed broker loses temporary queues). Ask again on a fresh one.
                replies.Renew(endpoint);
                (startCheck, endpoint) = await replies.ClientAsync<AttemptStartRequest>(context, AgentQueues.StartCheckAddress);
            }

            AttemptStartResponse answer;
            try
            {
                answer = (await startCheck.GetResponse<AttemptStartResponse>(
                    new AttemptStartRequest(job.TaskId, job.Pass, attempt.Number, worker.Id, waiting.Elapsed.TotalSeconds, attempt.Claim), context.CancellationToken,
                    RequestTimeout.After(ms: (int)worker.StartCheckTimeout.TotalMilliseconds))).Message;
            }
            catch (Exception e) when (StartCheckFailures.Of(e, context.CancellationToken) is { } failure)
            {
                // No answer, the service failed to answer (its database restarting), or the check could not be sent
                // (the broker's channel went away under it). A redelivered job may be a copy of an attempt another worker
                // is still running (its acknowledgement was lost with a connection), and only the service can tell: it
                // waits for an answer. A first delivery starts once a check has gone unanswered for its timeout: a check
                // must not stall the fleet while a service restarts. A transient broker fault never fails the job.
                silent = failure == StartCheckFailure.Unanswered ? silent + 1 : 0;
                if (failure == StartCheckFailure.NotSent && !notSent)
                    LogNotSent(job.TaskId, attempt.Number, e.InnerException?.Message ?? e.Message);
                notSent = failure == StartCheckFailure.NotSent;
                if (context.ReceiveContext.Redelivered || (failure == StartCheckFailure.NotSent && waiting.Elapsed < worker.StartCheckTimeout))
                {
                    if (!unanswered && context.ReceiveContext.Redelivered)
                        LogNoStartAnswerWaiting(job.TaskId, attempt.Number, (int)worker.StartCheckTimeout.TotalSeconds);
                    unanswered |= context.ReceiveContext.Redelivered;
                    if (failure != StartCheckFailure.Unanswered)
                        await Task.Delay(TimeSpan.FromSeconds(2), context.CancellationToken);
                    continue;
                }

                LogNoStartAnswer(job.TaskId, (int)worker.StartCheckTimeout.TotalSeconds);
                return true;
            }

            silent = 0;
            if (answer.Allowed)
            {
                if (answer.Reason is { } note)
                    LogStartNote(job.TaskId, attempt.Number, note);
                return true;
            }

            if (answer.AskAgainInSeconds is { } seconds)
            {
                if (!logged)
                    LogWaiting(job.TaskId, attempt.Number, answer.Reason ?? "held by another worker");
                logged = true;
                await Task.Delay(TimeSpan.FromSeconds(Math.Clamp(seconds, 0.1, 60)), context.CancellationToken);
                continue;
            }

            LogDeclined(job.TaskId, job.Pass, answer.Reason ?? "no reason given");
            // An attempt that already ran has its own result on the record: nothing for the task to do about this copy.
            if (!answer.Duplicate)
                await events.DeclinedAsync(attempt, answer.Reason ?? "declined");

            return false;
        }
    }

    /// <summary>
    /// Tells the service in the background, once the broker is back, that the claim is not used: the job's redelivered
    /// copy may then run at once. Given up after the holder's result grace (2 minutes), when the service takes the claim
    /// over anyway.
    /// </summary>
    public void ReleaseClaim(AgentAttempt attempt)
    {
        var release = new ReleaseAttemptClaim(attempt.TaskId, attempt.Number, attempt.Claim, attempt.Worker);
        _ = Task.Run(async () =>
        {
            using var window = new CancellationTokenSource(TimeSpan.FromMinutes(2));
            try
            {
                await BrokerCalls.RetryAsync(async token => await (await bus.GetSendEndpoint(AgentQueues.StartCheckAddress)).Send(release, token),
                    $"task {release.TaskId}: releasing the claim of attempt {release.Attempt}", logger, window.Token);
                LogReleased(release.TaskId, release.Attempt);
            }
            catch (Exception e)
            {
                LogReleaseFailed(release.TaskId, release.Attempt, e.Message);
            }
        });
    }

    [LoggerMessage(LogLevel.Warning, "Task {TaskId} attempt {Attempt}: the start check could not be sent ({Reason}); asking again")]
    partial void LogNotSent(Guid taskId, int attempt, string reason);

    [LoggerMessage(LogLevel.Information, "Task {TaskId} pass {Pass}: job dropped without starting: {Reason}")]
    partial void LogDeclined(Guid taskId, int pass, string reason);

    [LoggerMessage(LogLevel.Information, "Task {TaskId} attempt {Attempt}: waiting: {Reason}")]
    partial void LogWaiting(Guid taskId, int attempt, string reason);

    [LoggerMessage(LogLevel.Warning, "Task {TaskId} attempt {Attempt}: {Note}")]
    partial void LogStartNote(Guid taskId, int attempt, string note);

    [LoggerMessage(LogLevel.Information, "Task {TaskId} attempt {Attempt}: delivery ended before the agent ran; released its claim, if it had one")]
    partial void LogReleased(Guid taskId, int attempt);

    [LoggerMessage(LogLevel.Warning, "Task {TaskId} attempt {Attempt}: could not release the claim ({Reason}); the service takes it over after its result grace")]
    partial void LogReleaseFailed(Guid taskId, int attempt, string reason);

    [LoggerMessage(LogLevel.Warning, "Task {TaskId}: no answer from the service within {Seconds}s; starting the attempt anyway")]
    partial void LogNoStartAnswer(Guid taskId, int seconds);

    [LoggerMessage(LogLevel.Warning,
        "Task {TaskId} attempt {Attempt}: no answer from the service within {Seconds}s; a redelivered job waits for one (another worker may be running this attempt)")]
    partial void LogNoStartAnswerWaiting(Guid taskId, int attempt, int seconds);
}

/// <summary>Why a start check got no answer.</summary>
public enum StartCheckFailure
{
    /// <summary>No answer within the check's timeout.</summary>
    Unanswered,

    /// <summary>The service failed to handle the check (its database away).</summary>
    ServiceFault,

    /// <summary>The check never reached the broker: its channel went away while it was sent.</summary>
    NotSent,
}

/// <summary>Sorts the exceptions of a start check's request; anything else is a bug and fails the job.</summary>
public static class StartCheckFailures
{
    /// <summary>
    /// Why the check failed, or null for a failure that is not the broker's or the service's.
    /// <paramref name="cancellationToken"/> is the delivery's: a check cancelled while it is not cancelled was cancelled
    /// by MassTransit giving up on the send (its connection went away).
    /// </summary>
    public static StartCheckFailure? Of(Exception exception, CancellationToken cancellationToken) => exception switch
    {
        RequestTimeoutException => StartCheckFailure.Unanswered,
        RequestFaultException => StartCheckFailure.ServiceFault,
        // A send it gave up on when the connection went away: RequestCanceledException, an OperationCanceledException.
        OperationCanceledException when !cancellationToken.IsCancellationRequested => StartCheckFailure.NotSent,
        // A failed send of the request ("Declare queue faulted", a disposed channel), which MassTransit wraps in
        // RequestException: IsBrokerFault looks through the wrapping.
        _ when BrokerCalls.IsBrokerFault(exception) => StartCheckFailure.NotSent,
        _ => null,
    };
}
