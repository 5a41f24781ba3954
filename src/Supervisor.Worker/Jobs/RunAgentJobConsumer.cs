using MassTransit;
using Microsoft.Extensions.Options;
using Supervisor.Agents;
using Supervisor.Contracts;
using Supervisor.Rules.Failures;
using Supervisor.Worker.Attempts;
using Supervisor.Worker.Settings;
using Supervisor.Worker.Workspaces;

namespace Supervisor.Worker.Jobs;

/// <summary>
/// Runs one attempt of a job: holds it where a cancellation finds it from the moment it is received, asks the saga for
/// the task's lease (<see cref="AttemptStartGate"/>), creates a fresh workspace, then runs the attempt there and puts
/// its end on the record (<see cref="AttemptPipeline"/>). Its queue's policy is in <see cref="RunAgentJobConsumerDefinition"/>.
/// </summary>
public sealed partial class RunAgentJobConsumer(
    AgentCatalog catalog,
    IOptions<WorkerOptions> options,
    AttemptStartGate gate,
    RunningAttempts running,
    WorkspaceManager workspaces,
    AttemptPipeline pipeline,
    AttemptEvents events,
    TimeProvider clock,
    ILogger<RunAgentJobConsumer> logger) : IConsumer<RunAgentJob>
{
    public async Task Consume(ConsumeContext<RunAgentJob> context)
    {
        var job = context.Message;
        using var entry = running.Receive(job.TaskId, job.Agent);
        var delivery = AgentAttempt.Of(context, catalog.Get(job.Agent).WithModel(job.Model), options.Value.Id);
        AgentAttempt? attempt;
        try
        {
            attempt = await gate.LeaseAsync(delivery);
        }
        catch (OperationCanceledException)
        {
            // The connection dropped while it asked: a lease granted to it, whose answer never came, is given back.
            gate.ReleaseLease(delivery);
            throw;
        }

        if (attempt is null)
            return;
        entry.Lease(attempt.Id, attempt.Number, clock.GetUtcNow().UtcDateTime);

        Workspace workspace;
        try
        {
            // Cancelled while it asked (the cancel reached this worker before the saga's answer did): it never starts.
            entry.Cancelled.ThrowIfCancellationRequested();
            LogStarting(job.TaskId, attempt.Number, job.Agent, System.Diagnostics.Activity.Current?.TraceId.ToString() ?? "-");
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken, entry.Cancelled);
            workspace = await workspaces.CreateAsync(job.TaskId, attempt.Number, job.Repository, stop.Token);
        }
        catch (OperationCanceledException) when (entry.Cancelled.IsCancellationRequested)
        {
            await events.StoppedBeforeStartAsync(attempt, entry.CancelReason ?? "cancelled");
            return;
        }
        catch (OperationCanceledException)
        {
            gate.ReleaseLease(attempt);
            throw;
        }
        catch (WorkspaceException e)
        {
            await events.FailedAsync(attempt, null, new Classification(ErrorClasses.Invalid, e.Message), null, 0, null, events.Started(attempt, null));
            throw new AgentAttemptException(attempt.Id, ErrorClasses.Invalid, e.Message);
        }
        catch (RemoteGitException e)
        {
            // The remote refused or could not be reached before the agent started: retried later like an agent's failure of
            // the same class (the network), or over at once (credentials, a repository that does not exist).
            var delay = RetryPolicy.NextDelay(attempt.Profile.Retry, e.ErrorClass, attempt.Counters, null, Random.Shared);
            await events.FailedAsync(attempt, null, new Classification(e.ErrorClass, e.Message), delay, 0, null, events.Started(attempt, null));
            if (delay is null)
                throw new AgentAttemptException(attempt.Id, e.ErrorClass, e.Message);
            await events.RedeliverAsync(attempt, delay.Value, e.ErrorClass);
            return;
        }

        await pipeline.RunAsync(attempt, workspace, entry);
    }

    [LoggerMessage(LogLevel.Information, "Task {TaskId} attempt {Attempt}: starting {Agent} (trace {TraceId})")]
    partial void LogStarting(Guid taskId, int attempt, string agent, string traceId);
}
