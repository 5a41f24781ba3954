using Microsoft.Extensions.Options;
using Supervisor.Agents;
using Supervisor.Contracts;
using Supervisor.Hosting;
using Supervisor.Rules;
using Supervisor.Rules.Failures;
using Supervisor.Rules.Interpretation;
using Supervisor.Rules.Limits;
using Supervisor.Worker.Attempts;
using Supervisor.Worker.Execution;
using Supervisor.Worker.Metrics;
using Supervisor.Worker.Settings;
using Supervisor.Worker.Workspaces;

namespace Supervisor.Worker.Jobs;

/// <summary>
/// Runs the agent in the attempt's workspace: its process with the configured command and environment only, output
/// streamed back redacted and capped, its provider limits signalled as they show (<see cref="AttemptLimitWatch"/>), its
/// spending held to its task's budget (<see cref="BudgetWatch"/>), its outcome interpreted and classified, then the task's
/// verify command and the commit of what the agent changed.
/// </summary>
public sealed class AgentRunner(
    AgentCatalog catalog,
    IOptions<WorkerOptions> options,
    AttemptExecutor executor,
    CommandRunner commands,
    WorkspaceManager workspaces,
    WorkerShutdown shutdown,
    WorkerMetrics metrics,
    AttemptEvents events,
    PullRequests pullRequests,
    TimeProvider clock)
{
    /// <param name="attempt">The attempt, holding its task's lease.</param>
    /// <param name="workspace">Its fresh workspace.</param>
    /// <param name="entry">Where a cancellation of the task reaches the attempt.</param>
    /// <param name="user">The attempt's own uid, which its agent and verify command run as; null when the sandbox is off.</param>
    public async Task<AgentRun> RunAsync(AgentAttempt attempt, Workspace workspace, RunningAttempts.Entry entry, AgentUser? user)
    {
        var job = attempt.Job;
        var agent = attempt.Profile;
        // The worker's git tokens too: an agent never gets them, but one that found a copy would see it redacted.
        IReadOnlyList<string> secrets = [.. AgentEnvironment.SecretValues(agent), .. options.Value.Git.Tokens().Where(t => t.Length >= 4)];
        var collector = new OutputCollector(options.Value.MaxOutputBytes, TimeSpan.FromMilliseconds(200), 32 * 1024, secrets,
            chunk => events.OutputAsync(attempt, chunk));
        var environment = AgentEnvironment.For(agent, job, attempt.Number, workspace.Path);
        AgentHome.Create(agent, workspace.Path);
        // The agent's directories are its uid's alone, so another attempt's agent (another uid) cannot read them.
        user?.Hand(workspace.Path, workspace.Upper);
        user?.Hand(AgentHome.PathFor(agent, workspace.Path));
        var retries = new RetryWatch(agent.OutputFormat, collector.WriteAsync, agent.GiveUpAfterOwnRetries, clock);
        using var limits = new AttemptLimitWatch(attempt, AccountIdentity.Of(attempt.Agent, agent), secrets, agent.Limits.EndAttemptWhenBlockedBeyond,
            collector.WriteAsync, events, metrics, clock);
        retries.LimitSeen += limits.Seen;
        using var budget = BudgetWatch.For(attempt.Budget, agent.OutputFormat, collector.WriteAsync);
        if (budget is null && BudgetOverrun.Bounds(attempt.Budget))
        {
            await collector.WriteAsync(OutputCollector.SystemStream,
                $"[supervisor: {agent.OutputFormat} output reports no usage while the agent runs: the task's budget is not watched during this attempt]\n");
        }

        var timeout = TimeSpan.FromSeconds(job.TimeoutSeconds ?? agent.TimeoutSeconds);
        var spec = new ProcessSpec(agent.Command!, AgentEnvironment.Arguments(agent, job.Prompt, workspace.Path), workspace.Path, environment, timeout,
            MemoryMb: agent.Isolation == IsolationModes.Container ? null : agent.MemoryMb, RunAs: user?.Uid);

        // Not the consume token: MassTransit cancels it when the broker connection drops, and the attempt must not die with
        // the connection. It carries on and publishes its result once the broker is back; the broker's redelivered copy of
        // the job meanwhile waits on this attempt's lease, which the heartbeats keep, and is dropped when the result is recorded.
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(shutdown.GraceExpired, entry.Cancelled);
        using var idle = new IdleWatch(agent.IdleTimeoutSeconds is { } idleSeconds ? TimeSpan.FromSeconds(idleSeconds) : null, clock);
        var (outcome, stoppedOnLimit) = await RunAgentAsync(attempt, spec, entry, retries, limits, idle, budget, stop.Token);
        var report = outcome.Cancelled ? null : OutputInterpreter.Interpret(agent.OutputFormat, outcome, collector.StdoutTail, collector.StderrTail);
        // Over budget is final whether the watch stopped the agent or it exited by itself meanwhile; a cancelled attempt stays cancelled.
        var failure = budget?.ExceededBecause is { } overrun && !outcome.Cancelled
            ? new Classification(ErrorClasses.BudgetExceeded, overrun)
            : stoppedOnLimit
            ? new Classification(ErrorClasses.RateLimited, limits.StoppedBecause!)
            : idle.HasStalled && outcome.TimedOut
            ? new Classification(ErrorClasses.Timeout, $"the agent stalled: no output for {idle.Limit!.Value.TotalSeconds:0} s (IdleTimeoutSeconds), killed")
            : Classify(agent, outcome, report, collector);
        // The limit of the agent's own run: a verify command that fails after the CLI waited out a rate limit did not fail on it,
        // nor did an agent stopped on its budget.
        var limit = failure is null or { ErrorClass: ErrorClasses.BudgetExceeded } ? null
            : limits.ForFailure(OutputInterpreter.FinalLimit(agent.OutputFormat, outcome, collector.StdoutTail, collector.StderrTail, LimitContext.At(clock)));

        if (failure is null && !outcome.Cancelled && job.Verify is { } verify)
        {
            var verified = await VerifyAsync(agent, verify, workspace.Path, environment, timeout, user, collector, stop.Token);
            outcome = verified.Cancelled ? verified : outcome;
            failure = verified is { Cancelled: false, ExitCode: not 0 } or { TimedOut: true }
                ? new Classification(verified.Crash is null ? ErrorClasses.AgentFailure : ErrorClasses.ContainerCrash,
                    $"the verify command failed ({Describe(verified)}): {LastLine(collector.StdoutTail)}")
                : null;
        }

        // Back to the worker before its git reads the workspace, with nothing of the agent's uid left running to change it meanwhile.
        if (user is not null)
            await user.ReclaimAsync(workspace.Path, workspace.Upper);
        WorkspaceCommit? commit = null;
        if (failure is null && !outcome.Cancelled)
        {
            commit = await workspaces.CommitAsync(workspace, $"supervisor: task {attempt.TaskId} attempt {attempt.Number} ({attempt.Agent})",
                CancellationToken.None);
            if (commit is null && job.ExpectChanges)
                failure = new Classification(ErrorClasses.AgentFailure, "the agent exited 0 but changed nothing, and the task expects changes");
            else if (commit is { } made && workspace.Remote is not null)
                (commit, failure) = await PushAsync(workspace, made, job.Repository!, report, collector);
        }

        await collector.CompleteAsync();
        return new AgentRun(outcome, report, failure, commit, collector, entry, limit, budget?.Seen);
    }

    /// <summary>
    /// The commit pushed to the task's remote (and its pull request opened, when the task asks for one), or the failure of
    /// either (the commit stays in the mirror when the push failed).
    /// </summary>
    async Task<(WorkspaceCommit?, Classification?)> PushAsync(Workspace workspace, WorkspaceCommit commit, RepositorySpec repository, AgentReport? report,
        OutputCollector collector)
    {
        try
        {
            var pushed = await workspaces.PushAsync(workspace, commit, repository.PushTo, CancellationToken.None);
            await collector.WriteAsync(OutputCollector.SystemStream, $"[supervisor: pushed {commit.Commit[..12]} to {pushed.Branch} on {pushed.Remote}]\n");
            if (!repository.OpenPullRequest)
                return (pushed, null);
            var summary = AttemptPipeline.Summary(report, collector.StdoutTail) ?? $"Changes by {workspace.Branch}";
            var page = await pullRequests.OpenAsync(workspace.Remote!, options.Value.Git.For(workspace.Remote!), pushed.Branch!,
                workspace.BaseBranch ?? throw new RemoteGitException(ErrorClasses.Invalid, $"{workspace.Remote} has no default branch to open a pull request into"),
                repository.PullRequestTitle ?? FirstLine(summary), repository.PullRequestBody ?? summary, CancellationToken.None);
            await collector.WriteAsync(OutputCollector.SystemStream, $"[supervisor: opened pull request {page}]\n");
            return (pushed with { PullRequest = page }, null);
        }
        catch (RemoteGitException e)
        {
            return (commit, new Classification(e.ErrorClass, e.Message));
        }
    }

    static string FirstLine(string text)
    {
        var line = text.Trim().Split('\n', 2)[0].Trim();
        return line.Length > 200 ? line[..200] + "…" : line;
    }

    /// <summary>
    /// The agent's process, traced, its output a sign of life for the heartbeat and the idle watch, counted for the
    /// metrics and read for limits and spending. A run the idle watch ended is a timeout, one the limit or budget watch
    /// ended a failure (its class is the watch's), not a cancellation.
    /// </summary>
    async Task<(ProcessOutcome Outcome, bool StoppedOnLimit)> RunAgentAsync(AgentAttempt attempt, ProcessSpec spec, RunningAttempts.Entry entry,
        RetryWatch retries, AttemptLimitWatch limits, IdleWatch idle, BudgetWatch? budget, CancellationToken cancellationToken)
    {
        using var span = SupervisorTelemetry.Source.StartActivity($"agent {attempt.Agent}");
        span?.SetTag("supervisor.task_id", attempt.TaskId.ToString()).SetTag("supervisor.attempt", attempt.Number).SetTag("supervisor.agent", attempt.Agent);
        using var run = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, idle.Stalled, limits.Stop, budget?.Exceeded ?? CancellationToken.None);
        var outcome = await executor.RunAsync(attempt.Profile, spec, async (stream, text) =>
        {
            idle.Touch();
            entry.Touch(clock.GetUtcNow().UtcDateTime);
            metrics.Output(attempt.Agent, System.Text.Encoding.UTF8.GetByteCount(text));
            await retries.WriteAsync(stream, text);
            await limits.AfterOutputAsync();
            if (budget is not null)
                await budget.WriteAsync(stream, text);
        }, run.Token);
        if (outcome.Cancelled && idle.HasStalled && !cancellationToken.IsCancellationRequested)
            outcome = outcome with { Cancelled = false, TimedOut = true };
        var stoppedOnLimit = outcome.Cancelled && limits.Stop.IsCancellationRequested && !cancellationToken.IsCancellationRequested;
        var stoppedOnBudget = outcome.Cancelled && budget is { Exceeded.IsCancellationRequested: true } && !cancellationToken.IsCancellationRequested;
        if (stoppedOnLimit || stoppedOnBudget)
            outcome = outcome with { Cancelled = false };
        span?.SetTag("process.exit_code", outcome.ExitCode).SetTag("supervisor.timed_out", outcome.TimedOut);
        span?.Stop();
        return (outcome, stoppedOnLimit);
    }

    /// <summary>Why the agent's run failed, if it did: the agent's own report first, then the output patterns.</summary>
    Classification? Classify(AgentOptions agent, ProcessOutcome outcome, AgentReport? report, OutputCollector collector) => outcome switch
    {
        { Cancelled: true } => null,
        { ExitCode: 0, TimedOut: false } when report?.ErrorClass is { } reported => new Classification(reported, report.Message ?? reported),
        { ExitCode: 0, TimedOut: false } => null,
        _ when report?.ErrorClass is { } reported => new Classification(reported, report.Message ?? reported),
        _ => FailureClassifier.Classify(agent.ErrorPatterns, catalog.DefaultErrorPatterns, outcome, collector.StdoutTail, collector.StderrTail),
    };

    /// <summary>
    /// The task's verify command, run in the attempt's workspace after the agent exited 0 with the agent's environment:
    /// in a container of its own for a container agent, else with CliWrap. Its output joins the attempt's.
    /// </summary>
    async Task<ProcessOutcome> VerifyAsync(AgentOptions agent, string verify, string workspace, IReadOnlyDictionary<string, string> environment,
        TimeSpan timeout, AgentUser? user, OutputCollector collector, CancellationToken cancellationToken)
    {
        await collector.WriteAsync(OutputCollector.SystemStream, $"[supervisor: running verify: {verify}]\n");
        var spec = new ProcessSpec("/bin/sh", ["-c", verify], workspace, environment, timeout, RunAs: user?.Uid);
        var outcome = agent.Isolation == IsolationModes.Container
            ? await executor.RunAsync(agent, spec, collector.WriteAsync, cancellationToken)
            : await commands.RunAsync(spec, collector.WriteAsync, cancellationToken);
        await collector.WriteAsync(OutputCollector.SystemStream, $"[supervisor: verify {Describe(outcome)}]\n");
        return outcome;
    }

    static string Describe(ProcessOutcome outcome) =>
        outcome.StartError ?? outcome.Crash ?? (outcome.TimedOut ? "timed out" : outcome.Cancelled ? "was interrupted" : $"exited with code {outcome.ExitCode}");

    static string LastLine(string text) => text.TrimEnd().Split('\n').LastOrDefault()?.Trim() ?? "";
}
