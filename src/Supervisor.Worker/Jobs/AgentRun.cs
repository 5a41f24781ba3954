using Supervisor.Contracts;
using Supervisor.Rules;
using Supervisor.Rules.Failures;
using Supervisor.Rules.Interpretation;
using Supervisor.Worker.Attempts;
using Supervisor.Worker.Execution;
using Supervisor.Worker.Workspaces;

namespace Supervisor.Worker.Jobs;

/// <summary>
/// What the agent's run left for the attempt's end: the process outcome, the agent's own report, the failure if any (and
/// the provider limit it ran into), what it spent, the commit and the collected output.
/// </summary>
public sealed class AgentRun(
    ProcessOutcome outcome,
    AgentReport? report,
    Classification? failure,
    WorkspaceCommit? commit,
    OutputCollector output,
    RunningAttempts.Entry entry,
    LimitReport? limit = null,
    AttemptUsage? liveUsage = null)
{
    /// <summary>The agent's outcome, or the verify command's when that was interrupted.</summary>
    public ProcessOutcome Outcome { get; } = outcome;

    /// <summary>What the agent's structured output said; null when the run was interrupted.</summary>
    public AgentReport? Report { get; } = report;

    /// <summary>Why the attempt failed; null when it succeeded or was interrupted.</summary>
    public Classification? Failure { get; } = failure;

    public WorkspaceCommit? Commit { get; } = commit;

    /// <summary>The provider limit the agent's run failed on, for a profile with an account; null otherwise.</summary>
    public LimitReport? Limit { get; } = limit;

    /// <summary>
    /// What the agent spent: its own final report, else what its output showed as it ran (an agent stopped on its budget
    /// never wrote its final report); null when neither says.
    /// </summary>
    public AttemptUsage? Usage { get; } = report?.Usage ?? liveUsage;

    public OutputCollector Output { get; } = output;

    /// <summary>Why the attempt was killed, when its task was cancelled.</summary>
    public string? CancelReason => entry.CancelReason;

}
