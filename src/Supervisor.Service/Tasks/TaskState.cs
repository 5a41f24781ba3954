using MassTransit;

namespace Supervisor.Service.Tasks;

/// <summary>The saga instance: one row of <c>tasks</c>, the single source of truth for a task.</summary>
public sealed class TaskState : SagaStateMachineInstance
{
    public Guid CorrelationId { get; set; }

    public string CurrentState { get; set; } = "Initial";

    public string Prompt { get; set; } = "";

    /// <summary>The agent chain of the current pass, in order.</summary>
    public List<string> Agents { get; set; } = [];

    /// <summary>Index into <see cref="Agents"/> of the agent now responsible.</summary>
    public int ChainIndex { get; set; }

    /// <summary>Increases with every job dispatched; events from an older job change the record, not the state.</summary>
    public int Pass { get; set; }

    public int AttemptCount { get; set; }

    public string? RepositoryPath { get; set; }

    public string? RepositoryUrl { get; set; }

    public string? BaseRef { get; set; }

    /// <summary>The branch a remote task's result is pushed to; null: the attempt's own.</summary>
    public string? PushTo { get; set; }

    public bool OpenPullRequest { get; set; }

    public string? PullRequestTitle { get; set; }

    public string? PullRequestBody { get; set; }

    public string? Risk { get; set; }

    public int? TimeoutSeconds { get; set; }

    public string? Verify { get; set; }

    public bool ExpectChanges { get; set; }

    public Dictionary<string, string> Labels { get; set; } = [];

    public string? SubmittedBy { get; set; }

    public DateTime CreatedAt { get; set; }

    public DateTime UpdatedAt { get; set; }

    public DateTime? FinishedAt { get; set; }

    /// <summary>Why the task ended unsuccessfully.</summary>
    public string? Error { get; set; }

    public string? ResultAgent { get; set; }

    public string? ResultBranch { get; set; }

    public string? ResultCommit { get; set; }

    public string? ResultDiffStat { get; set; }

    public string? ResultSummary { get; set; }

    /// <summary>The remote the result's branch was pushed to (as submitted: no credentials).</summary>
    public string? ResultRemote { get; set; }

    /// <summary>The forge's page comparing the pushed branch with its base.</summary>
    public string? ResultLink { get; set; }

    /// <summary>The page of the pull request opened for the result.</summary>
    public string? ResultPullRequest { get; set; }

    /// <summary>The state a paused task returns to when resumed.</summary>
    public string? PausedFrom { get; set; }

    /// <summary>While paused, the chain moved on (or a job was declined): resuming dispatches the current agent again.</summary>
    public bool DispatchOnResume { get; set; }

    public Guid? ApprovalTimeoutTokenId { get; set; }

    /// <summary>The model the chain's first agent is asked to use instead of its profile's default; null: the default.</summary>
    public string? Model { get; set; }

    /// <summary>When a delayed task starts (UTC); it waits in Submitted until then. Null: at once.</summary>
    public DateTime? RunAt { get; set; }

    /// <summary>The scheduled start of a delayed task that waits for its time.</summary>
    public Guid? RunAtTokenId { get; set; }

    /// <summary>What the task does when its agent's account is blocked: <c>wait</c> or <c>fallback</c>; null: the agent's <c>Limits:OnLimit</c>.</summary>
    public string? OnLimit { get; set; }

    /// <summary>The longest the task waits on one agent's account, in seconds (0: never); null: the agent's <c>Limits:MaxWait</c>.</summary>
    public int? MaxWaitSeconds { get; set; }

    /// <summary>How many blocks of one agent's account the task waits through; null: the agent's <c>Limits:MaxWindows</c>.</summary>
    public int? MaxWindows { get; set; }

    /// <summary>The task's concurrency key: at most <see cref="ConcurrencyLimit"/> tasks of a key are under way at once; null: none.</summary>
    public string? ConcurrencyKey { get; set; }

    /// <summary>How many tasks of <see cref="ConcurrencyKey"/> may be under way at once (default 1).</summary>
    public int? ConcurrencyLimit { get; set; }

    /// <summary>What the task does when its key is full: <c>queue</c>, <c>cancelRunning</c>, <c>dropNewest</c> (default queue).</summary>
    public string? ConcurrencyStrategy { get; set; }

    /// <summary>The most dollars the task's attempts may spend, summed; null: no bound.</summary>
    public decimal? MaxCostUsd { get; set; }

    /// <summary>The most tokens (input and output) the task's attempts may use, summed; null: no bound.</summary>
    public long? MaxTokens { get; set; }

    /// <summary>What the task does when its budget is reached: <c>stop</c> (null: the default) or <c>park</c>.</summary>
    public string? OnBudget { get; set; }

    /// <summary>Its budget stopped or paused the task: raising the budget resumes it (on the agent it stopped on).</summary>
    public bool BudgetHeld { get; set; }

    /// <summary>The account the lease's attempt runs on (null for an agent without one): running attempts count against its cap.</summary>
    public string? LeaseAccount { get; set; }

    /// <summary>The account the task is parked on, without a job out: a release (<c>LimitReleased</c>) dispatches it again.</summary>
    public string? HoldAccount { get; set; }

    /// <summary>Why it is parked: <c>limit</c>, <c>cap</c> or <c>budget</c>.</summary>
    public string? HoldReason { get; set; }

    /// <summary>When the wait should end (the block's reset); null when nobody knows (a probe, a cap).</summary>
    public DateTime? HoldUntil { get; set; }

    /// <summary>When the task stops waiting and falls back or fails (its wait's since + maxWait); null without a time bound.</summary>
    public DateTime? HoldDeadline { get; set; }

    /// <summary>What stands in the way, for a person.</summary>
    public string? HoldMessage { get; set; }

    /// <summary>When the task first parked in its current agent's turn (the start of maxWait); null when it has not.</summary>
    public DateTime? WaitSince { get; set; }

    /// <summary>The account's blocks the task waited in during its current agent's turn.</summary>
    public int WaitWindows { get; set; }

    /// <summary>The start of the last block counted in <see cref="WaitWindows"/>.</summary>
    public DateTime? WaitWindowSince { get; set; }

    /// <summary>
    /// The first pass of the current agent's turn: the turn's limit failures are counted from it, across the passes that
    /// releases after a wait begin, so that waiting does not renew the agent's rate-limit retries.
    /// </summary>
    public int TurnPass { get; set; }

    /// <summary>
    /// The attempt that holds the task's lease: the only one whose events change the task. Null when no attempt holds it.
    /// Granted by the start check, given up when the attempt's end is recorded, and taken away when it expires.
    /// </summary>
    public Guid? LeaseId { get; set; }

    /// <summary>The delivery of the job that holds the lease (<see cref="Supervisor.Contracts.AttemptStartRequest.Claim"/>).</summary>
    public Guid? LeaseClaim { get; set; }

    /// <summary>When the lease expires on the service's clock; every heartbeat of its worker that lists the attempt renews it.</summary>
    public DateTime? LeaseExpiresAt { get; set; }

    /// <summary>
    /// A job of the task is expected to start from this time on (dispatched, or its retry due then). Null when none is:
    /// a copy of a job that asks then is dropped. The reconciler sends the job again when none started in time.
    /// </summary>
    public DateTime? StartAllowedAt { get; set; }

    /// <summary>The answer to the start check being handled, and what it decided (not stored).</summary>
    public Contracts.AttemptStartResponse? StartAnswer { get; set; }

    /// <summary>The attempt whose lease the message being handled took away, if any (not stored): its worker is told to stop it.</summary>
    public Guid? LostAttempt { get; set; }

    /// <summary>The current agent is being left because its account holds the task back (not stored): a spill-only agent may take it.</summary>
    public bool LeavingForLimit { get; set; }

    /// <summary>What the task's concurrency key said about the start being handled (not stored).</summary>
    public KeyVerdict KeyVerdict { get; set; }

    /// <summary>What the start check being handled decided (not stored).</summary>
    public StartDecision StartDecision { get; set; }

    /// <summary>The last message that sent something (a job, a cancellation): a redelivered copy of it sends again.</summary>
    public Guid? LastSendingMessageId { get; set; }

    /// <summary>Who decided the transition being recorded, and why (control commands); saved with the audit trail.</summary>
    public (string? By, string? Reason) Decision { get; set; }

    public List<TaskAttempt> Attempts { get; set; } = [];

    /// <summary>Transitions added while handling the current message; earlier ones are never loaded.</summary>
    public List<TaskTransition> Transitions { get; set; } = [];

    public string? CurrentAgent => ChainIndex < Agents.Count ? Agents[ChainIndex] : null;
}
