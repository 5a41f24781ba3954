using MassTransit;
using Supervisor.Contracts;
using Supervisor.Hosting;
using Supervisor.Rules.Failures;
using Supervisor.Worker.Execution;

namespace Supervisor.Worker.Jobs;

/// <summary>
/// What the worker tells the saga about an attempt: its start, its output, how it ended (completed, failed, cancelled,
/// handed back) and its redelivery. Every publish is made again if the broker never confirms it (see
/// <see cref="BrokerCalls"/>); the attempt's end is published whatever the delivery's token says.
/// </summary>
public sealed partial class AttemptEvents(TimeProvider clock, ILogger<AttemptEvents> logger)
{
    /// <summary>Publishes an event of the attempt, again if the broker never confirms it (see <see cref="BrokerCalls"/>).</summary>
    public Task PublishAsync<T>(ConsumeContext context, T message, CancellationToken cancellationToken)
        where T : class =>
        BrokerCalls.RetryAsync(token => context.Publish(message, token), typeof(T).Name, logger, cancellationToken);

    public AgentJobStarted Started(AgentAttempt attempt, string? branch) =>
        new(attempt.TaskId, attempt.Id, attempt.Pass, attempt.Number, attempt.Redelivery, attempt.Agent, attempt.Worker, Environment.MachineName, branch,
            clock.GetUtcNow().UtcDateTime, attempt.Profile.UsesModel ? attempt.Profile.Model : null);

    public Task OutputAsync(AgentAttempt attempt, OutputChunk chunk) =>
        PublishAsync(attempt.Context, new AgentLogChunk(attempt.TaskId, attempt.Id, attempt.Number, chunk.Sequence, chunk.Stream, chunk.Text, chunk.At),
            CancellationToken.None);

    /// <summary>The task was cancelled after the attempt got its lease and before its agent started: the agent never runs.</summary>
    public async Task StoppedBeforeStartAsync(AgentAttempt attempt, string reason)
    {
        await PublishAsync(attempt.Context, new AgentJobCancelled(attempt.TaskId, attempt.Id, attempt.Pass, attempt.Number, attempt.Agent, attempt.Worker,
            clock.GetUtcNow().UtcDateTime, 0, Started(attempt, null)), CancellationToken.None);
        LogCancelled(attempt.TaskId, attempt.Number, reason + " (before its agent started)");
    }

    /// <param name="attempt">The attempt that completed.</param>
    /// <param name="result">How it ended.</param>
    /// <param name="outputChunks">How many output chunks it published.</param>
    /// <param name="usage">Tokens and cost the agent reported, if any.</param>
    /// <param name="start">Taken only now, so that a start published on its own is on the record first.</param>
    /// <param name="duration">How long the agent ran.</param>
    public async Task CompletedAsync(AgentAttempt attempt, TaskResult result, long outputChunks, AttemptUsage? usage, DeferredStart start, TimeSpan duration)
    {
        await PublishAsync(attempt.Context, new AgentJobCompleted(attempt.TaskId, attempt.Id, attempt.Pass, attempt.Number, attempt.Agent, attempt.Worker, 0,
            clock.GetUtcNow().UtcDateTime, result, outputChunks, usage, await start.TakeAsync()), CancellationToken.None);
        LogSucceeded(attempt.TaskId, attempt.Number, duration.TotalSeconds);
    }

    /// <param name="attempt">The attempt that failed.</param>
    /// <param name="exitCode">The agent's exit code, if it exited.</param>
    /// <param name="classification">Why it failed.</param>
    /// <param name="retryIn">When the job comes back to this agent; null when the agent gives the task up.</param>
    /// <param name="outputChunks">How many output chunks it published.</param>
    /// <param name="usage">Tokens and cost the agent reported, if any.</param>
    /// <param name="start">Its start, when not published on its own.</param>
    /// <param name="limit">The provider limit the attempt ended on, if its output named one.</param>
    public async Task FailedAsync(AgentAttempt attempt, int? exitCode, Classification classification, TimeSpan? retryIn, long outputChunks, AttemptUsage? usage,
        AgentJobStarted? start, LimitReport? limit = null)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        LogFailed(attempt.TaskId, attempt.Number, classification.ErrorClass, classification.Message, retryIn?.TotalSeconds);
        await PublishAsync(attempt.Context, new AgentAttemptFailed(attempt.TaskId, attempt.Id, attempt.Pass, attempt.Number, attempt.Agent, attempt.Worker, exitCode,
            classification.ErrorClass, classification.Message, now, now + retryIn, outputChunks, usage, start, limit), CancellationToken.None);
    }

    /// <summary>
    /// Publishes in the background that the attempt's agent ran into <paramref name="limit"/>: the output path does not wait
    /// for the broker. Given up after two minutes (logged); a failure of the attempt still carries its limit.
    /// </summary>
    public void LimitSignalled(AgentAttempt attempt, LimitReport limit)
    {
        LogLimit(attempt.TaskId, attempt.Number, limit.Kind, limit.Account, limit.ResetAt, limit.ResetInSeconds);
        var signalled = new AccountLimitSignalled(attempt.TaskId, attempt.Id, attempt.Agent, attempt.Worker, limit);
        _ = Task.Run(async () =>
        {
            using var window = new CancellationTokenSource(TimeSpan.FromMinutes(2));
            try
            {
                await PublishAsync(attempt.Context, signalled, window.Token);
            }
            catch (Exception e)
            {
                LogLimitNotPublished(attempt.TaskId, attempt.Number, limit.Account, e.Message);
            }
        });
    }

    /// <summary>The attempt was killed because its task was cancelled.</summary>
    public async Task CancelledAsync(AgentAttempt attempt, string reason, long outputChunks, DeferredStart start)
    {
        await PublishAsync(attempt.Context, new AgentJobCancelled(attempt.TaskId, attempt.Id, attempt.Pass, attempt.Number, attempt.Agent, attempt.Worker,
            clock.GetUtcNow().UtcDateTime, outputChunks, await start.TakeAsync()), CancellationToken.None);
        LogCancelled(attempt.TaskId, attempt.Number, reason);
    }

    /// <summary>
    /// The worker is stopping and the attempt ran out of grace: the job goes back to its queue unchanged, so another
    /// worker runs it without a retry being used up.
    /// </summary>
    public async Task HandedBackAsync(AgentAttempt attempt, long outputChunks, AgentJobStarted? start)
    {
        var context = attempt.Context;
        await FailedAsync(attempt, null,
            new Classification(ErrorClasses.ContainerCrash, "worker stopped before the attempt finished; the job was handed back to the queue"),
            TimeSpan.Zero, outputChunks, null, start);
        var queue = await context.GetSendEndpoint(context.ReceiveContext.InputAddress);
        await BrokerCalls.RetryAsync(token => queue.Send(context.Message, send =>
        {
            send.TransferConsumeContextHeaders(context);
            send.Headers.Set(MessageHeaders.RedeliveryCount, context.GetRedeliveryCount());
            attempt.Counters.ApplyHandBack(send);
        }, token), $"task {attempt.TaskId}: handing the job back", logger, CancellationToken.None);
        LogHandedBack(attempt.TaskId, attempt.Number);
    }

    /// <summary>The job comes back to this agent's queue after <paramref name="delay"/>, through the scheduler, counting the retry it uses.</summary>
    public Task RedeliverAsync(AgentAttempt attempt, TimeSpan delay, string errorClass) =>
        BrokerCalls.RetryAsync(_ => attempt.Context.Redeliver(delay, (_, send) => attempt.Counters.ApplyNext(send, errorClass)),
            $"task {attempt.TaskId}: scheduling attempt {attempt.Number + 1}", logger, CancellationToken.None);

    [LoggerMessage(LogLevel.Information, "Task {TaskId} attempt {Attempt}: succeeded in {Seconds:0.0}s")]
    partial void LogSucceeded(Guid taskId, int attempt, double seconds);

    [LoggerMessage(LogLevel.Warning, "Task {TaskId} attempt {Attempt}: {ErrorClass}: {Message} (retry in {RetrySeconds:0.0}s)")]
    partial void LogFailed(Guid taskId, int attempt, string errorClass, string message, double? retrySeconds);

    [LoggerMessage(LogLevel.Warning, "Task {TaskId} attempt {Attempt}: provider limit {Kind} on account {Account} (resets at {ResetAt}, in {ResetInSeconds}s)")]
    partial void LogLimit(Guid taskId, int attempt, string kind, string account, DateTime? resetAt, double? resetInSeconds);

    [LoggerMessage(LogLevel.Warning, "Task {TaskId} attempt {Attempt}: the limit of account {Account} could not be published ({Reason}); the attempt's end carries it")]
    partial void LogLimitNotPublished(Guid taskId, int attempt, string account, string reason);

    [LoggerMessage(LogLevel.Information, "Task {TaskId} attempt {Attempt}: killed: {Reason}")]
    partial void LogCancelled(Guid taskId, int attempt, string reason);

    [LoggerMessage(LogLevel.Warning, "Task {TaskId} attempt {Attempt}: worker stopping, job handed back to the queue")]
    partial void LogHandedBack(Guid taskId, int attempt);
}
