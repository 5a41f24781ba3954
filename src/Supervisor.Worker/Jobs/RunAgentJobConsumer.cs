using MassTransit;
using Microsoft.Extensions.Options;
using Supervisor.Agents;
using Supervisor.Contracts;
using Supervisor.Rules.Failures;
using Supervisor.Worker.Settings;
using Supervisor.Worker.Workspaces;

namespace Supervisor.Worker.Jobs;

/// <summary>
/// Runs one attempt of a job: asks the service whether it may start (<see cref="AttemptStartGate"/>), creates a fresh
/// workspace, then runs the attempt there and puts its end on the record (<see cref="AttemptPipeline"/>). Its queue's
/// policy is in <see cref="RunAgentJobConsumerDefinition"/>.
/// </summary>
public sealed partial class RunAgentJobConsumer(
    AgentCatalog catalog,
    IOptions<WorkerOptions> options,
    AttemptStartGate gate,
    WorkspaceManager workspaces,
    AttemptPipeline pipeline,
    AttemptEvents events,
    ILogger<RunAgentJobConsumer> logger) : IConsumer<RunAgentJob>
{
    public async Task Consume(ConsumeContext<RunAgentJob> context)
    {
        var job = context.Message;
        var attempt = AgentAttempt.Of(context, catalog.Get(job.Agent), options.Value.Id);
        Workspace workspace;
        try
        {
            if (!await gate.MayStartAsync(attempt))
                return;

            LogStarting(job.TaskId, attempt.Number, job.Agent, System.Diagnostics.Activity.Current?.TraceId.ToString() ?? "-");
            workspace = await workspaces.CreateAsync(job.TaskId, attempt.Number, job.Repository?.Path, job.Repository?.BaseRef, context.CancellationToken);
        }
        catch (OperationCanceledException)
        {
            gate.ReleaseClaim(attempt);
            throw;
        }
        catch (WorkspaceException e)
        {
            await events.FailedAsync(attempt, null, new Classification(ErrorClasses.Invalid, e.Message), null, 0, null, events.Started(attempt, null));
            throw new AgentAttemptException(ErrorClasses.Invalid, e.Message);
        }

        await pipeline.RunAsync(attempt, workspace);
    }

    [LoggerMessage(LogLevel.Information, "Task {TaskId} attempt {Attempt}: starting {Agent} (trace {TraceId})")]
    partial void LogStarting(Guid taskId, int attempt, string agent, string traceId);
}
