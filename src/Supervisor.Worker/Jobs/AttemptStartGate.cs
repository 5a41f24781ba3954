using MassTransit;
using Microsoft.Extensions.Options;
using Supervisor.Contracts;
using Supervisor.Hosting;
using Supervisor.Worker.Attempts;
using Supervisor.Worker.Settings;

namespace Supervisor.Worker.Jobs;

/// <summary>
/// Before an attempt starts: asks the saga for the task's lease (a redelivered job may find its task cancelled, paused,
/// moved on, or its attempt held by another delivery), naming the provider account the attempt would use
/// (<see cref="AccountIdentity"/>), and gives an unused lease back.
/// </summary>
public sealed partial class AttemptStartGate(
    StartCheckReplies replies,
    IBus bus,
    IOptions<WorkerOptions> options,
    TimeProvider clock,
    ILogger<AttemptStartGate> logger)
{
    /// <summary>Checks unanswered in a row before they are asked on a fresh reply queue.</summary>
    public const int UnansweredBeforeRenewal = 3;

    /// <summary>
    /// The attempt, once this delivery holds the task's lease; null when the saga declined the job (dropped without an
    /// attempt). While another delivery holds the lease, or the job's retry is not due yet, asks again until that
    /// changes. No attempt ever starts without a lease: a check that goes unanswered (the service restarting, its
    /// database away, a backlog) is asked again, for as long as it takes; one that could not be sent (a broker fault)
    /// is sent again. Answers come back on <see cref="StartCheckReplies"/>.
    /// </summary>
    public async Task<AgentAttempt?> LeaseAsync(AgentAttempt delivery)
    {
        var context = delivery.Context;
        var job = delivery.Job;
        var worker = options.Value;
        var waiting = System.Diagnostics.Stopwatch.StartNew();
        var logged = false;
        var unanswered = false;
        var silent = 0; // checks in a row without an answer
        var notSent = false; // the last check could not be sent (logged once in a row)
        // The account the attempt would use: the saga's start check is where a blocked account keeps attempts from starting.
        var account = AccountIdentity.Of(job.Agent, delivery.Profile);
        var (startCheck, endpoint) = await replies.ClientAsync<AttemptStartRequest>(context);
        while (true)
        {
            var retired = StartCheckReplies.RetiredToken(endpoint);
            if (retired.IsCancellationRequested || (silent > 0 && silent % UnansweredBeforeRenewal == 0))
            {
                // The service answers within milliseconds once it is up: answers that keep getting lost point at the
                // reply queue (a killed broker loses temporary queues). Ask again on a fresh one. A reply queue replaced
                // since (the connection came back) is only left: its successor is there already.
                if (!retired.IsCancellationRequested)
                    replies.Renew(endpoint);
                (startCheck, endpoint) = await replies.ClientAsync<AttemptStartRequest>(context);
                retired = StartCheckReplies.RetiredToken(endpoint);
            }

            AttemptStartResponse answer;
            try
            {
                using var asking = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken, retired);
                answer = (await startCheck.GetResponse<AttemptStartResponse>(
                    new AttemptStartRequest(job.TaskId, job.Pass, 0, worker.Id, waiting.Elapsed.TotalSeconds, delivery.Claim, Environment.MachineName, account),
                    asking.Token, RequestTimeout.After(ms: (int)worker.StartCheckTimeout.TotalMilliseconds))).Message;
            }
            catch (Exception) when (retired.IsCancellationRequested && !context.CancellationToken.IsCancellationRequested)
            {
                continue; // its reply queue was replaced while it waited: asked again on the new one
            }
            catch (Exception e) when (StartCheckFailures.Of(e, context.CancellationToken) is { } failure)
            {
                // No answer, the service failed to answer (its database restarting), or the check could not be sent
                // (the broker's channel went away under it): ask again. Only the saga can say whether this attempt may
                // run, so nothing starts until it has.
                silent = failure == StartCheckFailure.Unanswered ? silent + 1 : 0;
                if (failure == StartCheckFailure.NotSent && !notSent)
                    LogNotSent(job.TaskId, e.InnerException?.Message ?? e.Message);
                notSent = failure == StartCheckFailure.NotSent;
                if (!unanswered && failure != StartCheckFailure.NotSent)
                    LogNoStartAnswer(job.TaskId, (int)worker.StartCheckTimeout.TotalSeconds);
                unanswered |= failure != StartCheckFailure.NotSent;
                if (failure != StartCheckFailure.Unanswered)
                    await Task.Delay(TimeSpan.FromSeconds(2), clock, context.CancellationToken);
                continue;
            }

            silent = 0;
            if (answer is { Allowed: true, AttemptId: { } id })
            {
                if (answer.Reason is { } note)
                    LogStartNote(job.TaskId, answer.Attempt, note);
                return delivery with { Id = id, Number = answer.Attempt, Budget = answer.Budget };
            }

            if (answer.AskAgainInSeconds is { } seconds)
            {
                if (!logged)
                    LogWaiting(job.TaskId, answer.Reason ?? "held by another delivery");
                logged = true;
                await Task.Delay(TimeSpan.FromSeconds(Math.Clamp(seconds, 0.1, 60)), clock, context.CancellationToken);
                continue;
            }

            LogDeclined(job.TaskId, job.Pass, answer.Reason ?? "no reason given");
            return null;
        }
    }

    /// <summary>
    /// Tells the saga in the background, once the broker is back, that the lease is not used: the job's redelivered copy
    /// may then run at once. Given up after two minutes; the lease then expires on its own (no heartbeat lists it).
    /// </summary>
    public void ReleaseLease(AgentAttempt attempt)
    {
        var release = new ReleaseAttemptClaim(attempt.TaskId, attempt.Number, attempt.Claim, attempt.Worker);
        _ = Task.Run(async () =>
        {
            using var window = new CancellationTokenSource(TimeSpan.FromMinutes(2));
            try
            {
                // Published, as the start check is: the saga's queue is bound to this exchange, and it is one a worker may write.
                await BrokerCalls.RetryAsync(token => bus.Publish(release, token),
                    $"task {release.TaskId}: giving back the lease of attempt {release.Attempt}", logger, window.Token);
                LogReleased(release.TaskId, release.Attempt);
            }
            catch (Exception e)
            {
                LogReleaseFailed(release.TaskId, release.Attempt, e.Message);
            }
        });
    }

    [LoggerMessage(LogLevel.Warning, "Task {TaskId}: the start check could not be sent ({Reason}); asking again")]
    partial void LogNotSent(Guid taskId, string reason);

    [LoggerMessage(LogLevel.Information, "Task {TaskId} pass {Pass}: job dropped without starting: {Reason}")]
    partial void LogDeclined(Guid taskId, int pass, string reason);

    [LoggerMessage(LogLevel.Information, "Task {TaskId}: waiting: {Reason}")]
    partial void LogWaiting(Guid taskId, string reason);

    [LoggerMessage(LogLevel.Warning, "Task {TaskId} attempt {Attempt}: {Note}")]
    partial void LogStartNote(Guid taskId, int attempt, string note);

    [LoggerMessage(LogLevel.Information, "Task {TaskId} attempt {Attempt}: delivery ended before the agent ran; gave back its lease, if it held one")]
    partial void LogReleased(Guid taskId, int attempt);

    [LoggerMessage(LogLevel.Warning, "Task {TaskId} attempt {Attempt}: could not give the lease back ({Reason}); it expires on its own")]
    partial void LogReleaseFailed(Guid taskId, int attempt, string reason);

    [LoggerMessage(LogLevel.Warning, "Task {TaskId}: no answer from the service within {Seconds}s; asking again (no attempt starts without its lease)")]
    partial void LogNoStartAnswer(Guid taskId, int seconds);
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
