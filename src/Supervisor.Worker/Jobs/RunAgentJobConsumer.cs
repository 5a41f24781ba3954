using MassTransit;
using Microsoft.Extensions.Options;
using Supervisor.Agents;
using Supervisor.Contracts;
using Supervisor.Hosting;
using Supervisor.Worker.Execution;
using Supervisor.Worker.Interpretation;
using Supervisor.Worker.Metrics;
using Supervisor.Worker.Workspaces;

namespace Supervisor.Worker.Jobs;

/// <summary>
/// Runs one attempt of a job: a fresh workspace, the agent process with its configured command and environment only,
/// output streamed back redacted and capped, then the result committed, or the failure classified, published and
/// either redelivered through the scheduler (same agent, later) or thrown so that the saga receives the job's fault
/// and falls back to the next agent.
/// </summary>
public sealed partial class RunAgentJobConsumer(
    AgentCatalog catalog,
    IOptions<WorkerOptions> options,
    WorkspaceManager workspaces,
    AttemptExecutor executor,
    WorkerShutdown shutdown,
    RunningAttempts running,
    IRequestClient<AttemptStartRequest> startCheck,
    IBus bus,
    AttemptHooks hooks,
    WorkerMetrics metrics,
    TimeProvider clock,
    ILogger<RunAgentJobConsumer> logger) : IConsumer<RunAgentJob>
{
    public async Task Consume(ConsumeContext<RunAgentJob> context)
    {
        var job = context.Message;
        var worker = options.Value;
        var agent = catalog.Get(job.Agent);
        var redelivery = context.GetRedeliveryCount();
        var counters = RetryPolicy.Counters.From(context);
        // A job handed back by a stopping worker keeps its redelivery count; its hand-backs keep attempt numbers apart.
        var attempt = new AttemptIdentity(job.TaskId, NewId.NextGuid(), job.Pass, job.FirstAttempt + redelivery + counters.HandBacks, job.Agent,
            worker.Id);
        // This delivery's claim on the attempt, given up if the delivery ends (its connection dropped) before the agent runs.
        var claim = NewId.NextGuid();
        Workspace workspace;
        try
        {
            if (!await MayStartAsync(context, worker, attempt.Number, claim))
                return;

            LogStarting(job.TaskId, attempt.Number, job.Agent, System.Diagnostics.Activity.Current?.TraceId.ToString() ?? "-");
            workspace = await workspaces.CreateAsync(job.TaskId, attempt.Number, job.Repository?.Path, job.Repository?.BaseRef, context.CancellationToken);
        }
        catch (OperationCanceledException)
        {
            ReleaseClaim(new ReleaseAttemptClaim(job.TaskId, attempt.Number, claim, worker.Id));
            throw;
        }
        catch (WorkspaceException e)
        {
            await PublishFailure(context, attempt, null, new Classification(ErrorClasses.Invalid, e.Message), null, 0, null,
                StartEvent(attempt, redelivery, null));
            throw new AgentAttemptException(ErrorClasses.Invalid, e.Message);
        }

        var finishedAs = "error";
        var start = new DeferredStart(StartEvent(attempt, redelivery, workspace.Branch), worker.AnnounceStartAfter, clock,
            started => Publish(context, started, CancellationToken.None));
        try
        {
            metrics.AttemptStarted(job.Agent);
            if (hooks.HasPreAttempt)
            {
                var veto = await hooks.PreAttemptAsync(
                    AttemptHooks.Payload("pre-attempt", job, attempt.Id, attempt.Number, redelivery, worker.Id, workspace.Path, workspace.Branch),
                    workspace.Path, shutdown.GraceExpired);
                if (!veto.Succeeded)
                {
                    finishedAs = ErrorClasses.Invalid;
                    await PublishFailure(context, attempt, null, new Classification(ErrorClasses.Invalid, veto.Message), null, 0, null,
                        await start.TakeAsync());
                    throw new AgentAttemptException(ErrorClasses.Invalid, veto.Message);
                }
            }

            var collector = new OutputCollector(worker.MaxOutputBytes, TimeSpan.FromMilliseconds(200), 32 * 1024, AgentEnvironment.SecretValues(agent),
                chunk => Publish(context, new AgentLogChunk(job.TaskId, attempt.Id, attempt.Number, chunk.Sequence, chunk.Stream, chunk.Text, chunk.At),
                    CancellationToken.None));
            var environment = AgentEnvironment.For(agent, job, attempt.Number, workspace.Path);
            AgentHome.Create(agent, workspace.Path);
            var retries = new RetryWatch(agent.OutputFormat, collector.WriteAsync, agent.GiveUpAfterOwnRetries);
            var timeout = TimeSpan.FromSeconds(job.TimeoutSeconds ?? agent.TimeoutSeconds);
            var spec = new ProcessSpec(agent.Command!, AgentEnvironment.Arguments(agent, job.Prompt, workspace.Path), workspace.Path, environment, timeout);

            var entry = running.Start(job.TaskId, attempt.Id, attempt.Number, job.Agent, clock.GetUtcNow().UtcDateTime);
            using var registration = new Registration(running, entry);
            // Not the consume token: MassTransit cancels it when the broker connection drops, and the attempt must not die with
            // the connection. It carries on and publishes its result once the broker is back; the broker's redelivered copy of
            // the job meanwhile waits on this attempt's claim and is dropped when the result is recorded.
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(shutdown.GraceExpired, entry.Cancelled);
            using var span = SupervisorTelemetry.Source.StartActivity($"agent {job.Agent}");
            span?.SetTag("supervisor.task_id", job.TaskId.ToString()).SetTag("supervisor.attempt", attempt.Number).SetTag("supervisor.agent", job.Agent);
            var outcome = await executor.RunAsync(agent, spec, (stream, text) =>
            {
                entry.Touch(clock.GetUtcNow().UtcDateTime);
                metrics.Output(job.Agent, System.Text.Encoding.UTF8.GetByteCount(text));
                return retries.WriteAsync(stream, text);
            }, stop.Token);
            span?.SetTag("process.exit_code", outcome.ExitCode).SetTag("supervisor.timed_out", outcome.TimedOut);
            span?.Stop();
            var report = outcome.Cancelled ? null : OutputInterpreter.Interpret(agent.OutputFormat, outcome, collector.StdoutTail, collector.StderrTail);

            var failure = outcome switch
            {
                { Cancelled: true } => null,
                { ExitCode: 0, TimedOut: false } when report?.ErrorClass is { } reported => new Classification(reported, report.Message ?? reported),
                { ExitCode: 0, TimedOut: false } => null,
                _ when report?.ErrorClass is { } reported => new Classification(reported, report.Message ?? reported),
                _ => FailureClassifier.Classify(agent, catalog.DefaultErrorPatterns, outcome, collector.StdoutTail, collector.StderrTail),
            };

            if (failure is null && !outcome.Cancelled && job.Verify is { } verify)
            {
                var verified = await VerifyAsync(agent, verify, workspace.Path, environment, timeout, collector, stop.Token);
                outcome = verified.Cancelled ? verified : outcome;
                failure = verified is { Cancelled: false, ExitCode: not 0 } or { TimedOut: true }
                    ? new Classification(verified.Crash is null ? ErrorClasses.AgentFailure : ErrorClasses.ContainerCrash,
                        $"the verify command failed ({Describe(verified)}): {LastLine(collector.StdoutTail)}")
                    : null;
            }

            WorkspaceCommit? commit = null;
            if (failure is null && !outcome.Cancelled)
            {
                commit = await workspaces.CommitAsync(workspace, $"supervisor: task {attempt.TaskId} attempt {attempt.Number} ({attempt.Agent})",
                    CancellationToken.None);
                if (commit is null && job.ExpectChanges)
                    failure = new Classification(ErrorClasses.AgentFailure, "the agent exited 0 but changed nothing, and the task expects changes");
            }

            await collector.CompleteAsync();
            if (outcome.Cancelled && entry.CancelReason is not null)
            {
                await Publish(context, new AgentJobCancelled(attempt.TaskId, attempt.Id, attempt.Pass, attempt.Number, attempt.Agent, attempt.Worker,
                    clock.GetUtcNow().UtcDateTime, collector.Published, await start.TakeAsync()), CancellationToken.None);
                LogCancelled(attempt.TaskId, attempt.Number, entry.CancelReason);
                finishedAs = "cancelled";
                return;
            }

            if (outcome.Cancelled)
            {
                await HandBack(context, attempt, counters, collector.Published, await start.TakeAsync());
                finishedAs = "handed_back";
                return;
            }

            if (hooks.HasPostAttempt)
            {
                await hooks.PostAttemptAsync(
                    AttemptHooks.Payload("post-attempt", job, attempt.Id, attempt.Number, redelivery, worker.Id, workspace.Path, workspace.Branch,
                        new { succeeded = failure is null, exitCode = outcome.ExitCode, errorClass = failure?.ErrorClass, message = failure?.Message, commit = commit?.Commit }),
                    workspace.Path, CancellationToken.None);
            }

            if (failure is null)
            {
                var summary = report?.Summary ?? Summary(collector.StdoutTail);
                var result = new TaskResult(attempt.Agent, commit is null ? null : workspace.Branch, commit?.Commit, commit?.DiffStat, summary);
                await Publish(context, new AgentJobCompleted(attempt.TaskId, attempt.Id, attempt.Pass, attempt.Number, attempt.Agent, attempt.Worker, 0,
                    clock.GetUtcNow().UtcDateTime, result, collector.Published, report?.Usage, await start.TakeAsync()), CancellationToken.None);
                LogSucceeded(attempt.TaskId, attempt.Number, outcome.Duration.TotalSeconds);
                finishedAs = "succeeded";
                return;
            }

            var retryAfter = report?.RetryAfter ?? RetryPolicy.RetryAfter(collector.StderrTail + "\n" + collector.StdoutTail);
            var delay = RetryPolicy.NextDelay(agent.Retry, failure.ErrorClass, counters, retryAfter, Random.Shared);
            finishedAs = failure.ErrorClass;
            await PublishFailure(context, attempt, outcome.ExitCode, failure, delay, collector.Published, report?.Usage, await start.TakeAsync());
            if (delay is null)
                throw new AgentAttemptException(failure.ErrorClass, failure.Message);

            await BrokerCalls.Retry(_ => context.Redeliver(delay.Value, (_, send) => counters.ApplyNext(send, failure.ErrorClass)),
                $"task {job.TaskId}: scheduling attempt {attempt.Number + 1}", logger, CancellationToken.None);
        }
        finally
        {
            await start.DisposeAsync();
            metrics.AttemptFinished(job.Agent, finishedAs);
            AgentHome.Remove(agent, workspace.Path);
            await workspaces.RemoveAsync(workspace);
        }
    }

    /// <summary>
    /// Asks the service whether the task still wants this job (a redelivery may find it cancelled, paused or moved on) and
    /// claims the attempt; while another worker holds it (the broker redelivered a job whose acknowledgement was lost),
    /// asks again until that run's result is recorded or its worker is lost. Without an answer in time a first delivery
    /// starts anyway (a restarting service must not stall the fleet); a redelivered one keeps asking.
    /// </summary>
    async Task<bool> MayStartAsync(ConsumeContext<RunAgentJob> context, WorkerOptions worker, int attempt, Guid claim)
    {
        var job = context.Message;
        var waiting = System.Diagnostics.Stopwatch.StartNew();
        var logged = false;
        var unanswered = false;
        while (true)
        {
            AttemptStartResponse answer;
            try
            {
                answer = (await startCheck.GetResponse<AttemptStartResponse>(
                    new AttemptStartRequest(job.TaskId, job.Pass, attempt, worker.Id, waiting.Elapsed.TotalSeconds, claim), context.CancellationToken,
                    RequestTimeout.After(ms: (int)worker.StartCheckTimeout.TotalMilliseconds))).Message;
            }
            catch (Exception e) when (e is RequestTimeoutException or RequestFaultException)
            {
                // No answer, or the service failed to answer (its database restarting). A redelivered job may be a copy
                // of an attempt another worker is still running (its acknowledgement was lost with a connection), and
                // only the service can tell: it waits for an answer. A first delivery starts: a check must not stall
                // the fleet while a service restarts.
                if (context.ReceiveContext.Redelivered)
                {
                    if (!unanswered)
                        LogNoStartAnswerWaiting(job.TaskId, attempt, (int)worker.StartCheckTimeout.TotalSeconds);
                    unanswered = true;
                    if (e is RequestFaultException)
                        await Task.Delay(TimeSpan.FromSeconds(2), context.CancellationToken);
                    continue;
                }

                LogNoStartAnswer(job.TaskId, (int)worker.StartCheckTimeout.TotalSeconds);
                return true;
            }

            if (answer.Allowed)
            {
                if (answer.Reason is { } note)
                    LogStartNote(job.TaskId, attempt, note);
                return true;
            }

            if (answer.AskAgainInSeconds is { } seconds)
            {
                if (!logged)
                    LogWaiting(job.TaskId, attempt, answer.Reason ?? "held by another worker");
                logged = true;
                await Task.Delay(TimeSpan.FromSeconds(Math.Clamp(seconds, 0.1, 60)), context.CancellationToken);
                continue;
            }

            LogDeclined(job.TaskId, job.Pass, answer.Reason ?? "no reason given");
            // An attempt that already ran has its own result on the record: nothing for the task to do about this copy.
            if (!answer.Duplicate)
            {
                await Publish(context, new AgentJobDeclined(job.TaskId, job.Pass, job.Agent, worker.Id, answer.Reason ?? "declined",
                    clock.GetUtcNow().UtcDateTime), context.CancellationToken);
            }

            return false;
        }
    }

    /// <summary>
    /// Tells the service in the background, once the broker is back, that the claim is not used: the job's redelivered
    /// copy may then run at once. Given up after the holder's result grace (2 minutes), when the service takes the claim
    /// over anyway.
    /// </summary>
    void ReleaseClaim(ReleaseAttemptClaim release) => _ = Task.Run(async () =>
    {
        using var window = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        try
        {
            await BrokerCalls.Retry(async token => await (await bus.GetSendEndpoint(AgentQueues.StartCheckAddress)).Send(release, token),
                $"task {release.TaskId}: releasing the claim of attempt {release.Attempt}", logger, window.Token);
            LogReleased(release.TaskId, release.Attempt);
        }
        catch (Exception e)
        {
            LogReleaseFailed(release.TaskId, release.Attempt, e.Message);
        }
    });

    sealed class Registration(RunningAttempts running, RunningAttempts.Entry entry) : IDisposable
    {
        public void Dispose() => running.Finish(entry);
    }

    /// <summary>The task's verify command, run in the attempt's workspace after the agent exited 0; its output joins the attempt's.</summary>
    async Task<ProcessOutcome> VerifyAsync(AgentOptions agent, string verify, string workspace, IReadOnlyDictionary<string, string> environment,
        TimeSpan timeout, OutputCollector collector, CancellationToken cancellationToken)
    {
        await collector.WriteAsync(OutputCollector.SystemStream, $"[supervisor: running verify: {verify}]\n");
        var spec = new ProcessSpec("/bin/sh", ["-c", verify], workspace, environment, timeout);
        var outcome = await executor.RunAsync(agent, spec, collector.WriteAsync, cancellationToken);
        await collector.WriteAsync(OutputCollector.SystemStream, $"[supervisor: verify {Describe(outcome)}]\n");
        return outcome;
    }

    static string Describe(ProcessOutcome outcome) =>
        outcome.StartError ?? outcome.Crash ?? (outcome.TimedOut ? "timed out" : outcome.Cancelled ? "was interrupted" : $"exited with code {outcome.ExitCode}");

    static string LastLine(string text) => text.TrimEnd().Split('\n').LastOrDefault()?.Trim() ?? "";

    /// <summary>
    /// The worker is stopping and the attempt ran out of grace: the job goes back to its queue unchanged, so another
    /// worker runs it without a retry being used up.
    /// </summary>
    async Task HandBack(ConsumeContext<RunAgentJob> context, AttemptIdentity attempt, RetryPolicy.Counters counters, long outputChunks,
        AgentJobStarted? start)
    {
        await PublishFailure(context, attempt, null,
            new Classification(ErrorClasses.ContainerCrash, "worker stopped before the attempt finished; the job was handed back to the queue"),
            TimeSpan.Zero, outputChunks, null, start);
        var queue = await context.GetSendEndpoint(context.ReceiveContext.InputAddress);
        await BrokerCalls.Retry(token => queue.Send(context.Message, send =>
        {
            send.TransferConsumeContextHeaders(context);
            send.Headers.Set(MessageHeaders.RedeliveryCount, context.GetRedeliveryCount());
            counters.ApplyHandBack(send);
        }, token), $"task {attempt.TaskId}: handing the job back", logger, CancellationToken.None);
        LogHandedBack(attempt.TaskId, attempt.Number);
    }

    /// <summary>Publishes an event of the attempt, again if the broker never confirms it (see <see cref="BrokerCalls"/>).</summary>
    Task Publish<T>(ConsumeContext context, T message, CancellationToken cancellationToken)
        where T : class =>
        BrokerCalls.Retry(token => context.Publish(message, token), typeof(T).Name, logger, cancellationToken);

    AgentJobStarted StartEvent(AttemptIdentity attempt, int redelivery, string? branch) =>
        new(attempt.TaskId, attempt.Id, attempt.Pass, attempt.Number, redelivery, attempt.Agent, attempt.Worker, Environment.MachineName, branch,
            clock.GetUtcNow().UtcDateTime);

    async Task PublishFailure(ConsumeContext<RunAgentJob> context, AttemptIdentity attempt, int? exitCode, Classification classification, TimeSpan? retryIn,
        long outputChunks, AttemptUsage? usage, AgentJobStarted? start)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        LogFailed(attempt.TaskId, attempt.Number, classification.ErrorClass, classification.Message, retryIn?.TotalSeconds);
        await Publish(context, new AgentAttemptFailed(attempt.TaskId, attempt.Id, attempt.Pass, attempt.Number, attempt.Agent, attempt.Worker, exitCode,
            classification.ErrorClass, classification.Message, now, now + retryIn, outputChunks, usage, start), CancellationToken.None);
    }

    static string? Summary(string stdoutTail)
    {
        var text = stdoutTail.Trim();
        return text.Length == 0 ? null : text.Length > 1000 ? "…" + text[^1000..] : text;
    }

    sealed record AttemptIdentity(Guid TaskId, Guid Id, int Pass, int Number, string Agent, string Worker);

    [LoggerMessage(LogLevel.Information, "Task {TaskId} attempt {Attempt}: starting {Agent} (trace {TraceId})")]
    partial void LogStarting(Guid taskId, int attempt, string agent, string traceId);

    [LoggerMessage(LogLevel.Information, "Task {TaskId} attempt {Attempt}: succeeded in {Seconds:0.0}s")]
    partial void LogSucceeded(Guid taskId, int attempt, double seconds);

    [LoggerMessage(LogLevel.Warning, "Task {TaskId} attempt {Attempt}: {ErrorClass}: {Message} (retry in {RetrySeconds:0.0}s)")]
    partial void LogFailed(Guid taskId, int attempt, string errorClass, string message, double? retrySeconds);

    [LoggerMessage(LogLevel.Information, "Task {TaskId} attempt {Attempt}: killed: {Reason}")]
    partial void LogCancelled(Guid taskId, int attempt, string reason);

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

    [LoggerMessage(LogLevel.Warning, "Task {TaskId} attempt {Attempt}: worker stopping, job handed back to the queue")]
    partial void LogHandedBack(Guid taskId, int attempt);
}
