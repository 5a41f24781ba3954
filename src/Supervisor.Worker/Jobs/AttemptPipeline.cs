using Microsoft.Extensions.Options;
using Supervisor.Contracts;
using Supervisor.Rules.Failures;
using Supervisor.Worker.Attempts;
using Supervisor.Worker.Execution;
using Supervisor.Worker.Metrics;
using Supervisor.Worker.Settings;
using Supervisor.Worker.Workspaces;

namespace Supervisor.Worker.Jobs;

/// <summary>
/// An attempt that may start, in its fresh workspace: the pre-attempt hook, the agent's run, the post-attempt hook, then
/// its end on the record — cancelled, handed back, completed, or failed and either redelivered through the scheduler
/// (same agent, later) or thrown so that the saga receives the job's fault and falls back to the next agent. The
/// workspace is removed whatever happens.
/// </summary>
public sealed class AttemptPipeline(
    IOptions<WorkerOptions> options,
    AttemptHooks hooks,
    AgentRunner runner,
    AttemptEvents events,
    WorkspaceManager workspaces,
    WorkerShutdown shutdown,
    WorkerMetrics metrics,
    AgentUsers users,
    TimeProvider clock)
{
    /// <param name="attempt">The attempt, holding the task's lease.</param>
    /// <param name="workspace">Its fresh workspace, removed whatever happens.</param>
    /// <param name="entry">Where a cancellation of the task reaches the attempt: before its hook, its agent, or while they run.</param>
    public async Task RunAsync(AgentAttempt attempt, Workspace workspace, RunningAttempts.Entry entry)
    {
        var finishedAs = "error";
        AgentUser? user = null;
        var start = new DeferredStart(events.Started(attempt, workspace.Branch), options.Value.AnnounceStartAfter, clock,
            started => events.PublishAsync(attempt.Context, started, CancellationToken.None));
        try
        {
            metrics.AttemptStarted(attempt.Agent);
            user = await users.ClaimAsync();
            var veto = await PreAttemptVetoAsync(attempt, workspace, entry);
            if (entry.Cancelled.IsCancellationRequested)
            {
                // Cancelled during the hook: the agent never starts.
                await events.CancelledAsync(attempt, entry.CancelReason ?? "cancelled", 0, start);
                finishedAs = "cancelled";
                return;
            }

            if (veto is not null)
            {
                finishedAs = ErrorClasses.Invalid;
                await events.FailedAsync(attempt, null, new Classification(ErrorClasses.Invalid, veto), null, 0, null, await start.TakeAsync());
                throw new AgentAttemptException(attempt.Id, ErrorClasses.Invalid, veto);
            }

            var run = await runner.RunAsync(attempt, workspace, entry, user);
            var (outcome, report, failure, output) = (run.Outcome, run.Report, run.Failure, run.Output);
            if (outcome.Cancelled && run.CancelReason is { } reason)
            {
                await events.CancelledAsync(attempt, reason, output.Published, start);
                finishedAs = "cancelled";
                return;
            }

            if (outcome.Cancelled)
            {
                await events.HandedBackAsync(attempt, output.Published, await start.TakeAsync());
                finishedAs = "handed_back";
                return;
            }

            await PostAttemptAsync(attempt, workspace, run);
            if (failure is null)
            {
                var result = new TaskResult(attempt.Agent, run.Commit is null ? null : run.Commit.Branch ?? workspace.Branch, run.Commit?.Commit, run.Commit?.DiffStat,
                    Summary(report, output.StdoutTail), run.Commit?.Remote, run.Commit?.Link, run.Commit?.PullRequest);
                await events.CompletedAsync(attempt, result, output.Published, run.Usage, start, outcome.Duration);
                finishedAs = "succeeded";
                return;
            }

            var retryAfter = report?.RetryAfter ?? RetryPolicy.RetryAfter(output.StderrTail + "\n" + output.StdoutTail);
            var delay = RetryPolicy.NextDelay(attempt.Profile.Retry, failure.ErrorClass, attempt.Counters, retryAfter, Random.Shared);
            finishedAs = failure.ErrorClass;
            await events.FailedAsync(attempt, outcome.ExitCode, failure, delay, output.Published, run.Usage, await start.TakeAsync(), run.Limit);
            if (delay is null)
                throw new AgentAttemptException(attempt.Id, failure.ErrorClass, failure.Message);

            await events.RedeliverAsync(attempt, delay.Value, failure.ErrorClass);
        }
        finally
        {
            await start.DisposeAsync();
            metrics.AttemptFinished(attempt.Agent, finishedAs);
            try
            {
                // Kills whatever still runs as the attempt's uid, then frees the uid for another attempt.
                if (user is not null)
                    await user.DisposeAsync();
            }
            finally
            {
                AgentHome.Remove(attempt.Profile, workspace.Path);
                await workspaces.RemoveAsync(workspace);
            }
        }
    }

    /// <summary>Why the pre-attempt hook vetoes the attempt; null when there is no hook or it agrees.</summary>
    async Task<string?> PreAttemptVetoAsync(AgentAttempt attempt, Workspace workspace, RunningAttempts.Entry entry)
    {
        if (!hooks.HasPreAttempt)
            return null;
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(shutdown.GraceExpired, entry.Cancelled);
        var veto = await hooks.PreAttemptAsync(
            AttemptHooks.Payload("pre-attempt", attempt.Job, attempt.Id, attempt.Number, attempt.Redelivery, attempt.Worker, workspace.Path, workspace.Branch),
            workspace.Path, stop.Token);
        return veto.Succeeded ? null : veto.Message;
    }

    async Task PostAttemptAsync(AgentAttempt attempt, Workspace workspace, AgentRun run)
    {
        if (!hooks.HasPostAttempt)
            return;
        var failure = run.Failure;
        await hooks.PostAttemptAsync(
            AttemptHooks.Payload("post-attempt", attempt.Job, attempt.Id, attempt.Number, attempt.Redelivery, attempt.Worker, workspace.Path, workspace.Branch,
                new { succeeded = failure is null, exitCode = run.Outcome.ExitCode, errorClass = failure?.ErrorClass, message = failure?.Message, commit = run.Commit?.Commit }),
            workspace.Path, CancellationToken.None);
    }

    /// <summary>The agent's own summary, else the tail of what it printed (at most 1000 characters); null when it printed nothing.</summary>
    internal static string? Summary(Rules.Interpretation.AgentReport? report, string stdoutTail)
    {
        if (report?.Summary is { } summary)
            return summary;
        var text = stdoutTail.Trim();
        return text.Length == 0 ? null : text.Length > 1000 ? "…" + text[^1000..] : text;
    }
}
