using MassTransit;
using Supervisor.Contracts;
using Supervisor.Rules.Chains;
using Supervisor.Rules.Limits;
using Supervisor.Rules.Redaction;

namespace Supervisor.Service.Tasks;

/// <summary>How events change a task's record. Every method is idempotent: a redelivered event changes nothing more.</summary>
static class TaskRecording
{
    public static void Accept(this TaskState task, SubmitTask message, ChainResolution chain, DateTime now)
    {
        // Stored, shown and given to the agent without the credentials it may carry (docs/security.md).
        task.Prompt = SecretRedactor.RedactCredentials(message.Prompt ?? "");
        task.Agents = [.. chain.Chain];
        task.ChainIndex = 0;
        task.RepositoryPath = message.Repository?.Path;
        task.RepositoryUrl = message.Repository?.Url;
        task.BaseRef = message.Repository?.BaseRef;
        task.PushTo = message.Repository?.PushTo;
        task.OpenPullRequest = message.Repository?.OpenPullRequest ?? false;
        task.PullRequestTitle = message.Repository?.PullRequestTitle;
        task.PullRequestBody = message.Repository?.PullRequestBody;
        task.Risk = message.Risk;
        task.TimeoutSeconds = message.TimeoutSeconds;
        task.Verify = message.Verify;
        task.Model = message.Model;
        task.OnLimit = message.OnLimit;
        task.MaxWaitSeconds = message.MaxWait is { } maxWait ? (int)Math.Ceiling(maxWait.TotalSeconds) : null;
        task.MaxWindows = message.MaxWindows;
        task.ConcurrencyKey = message.ConcurrencyKey;
        task.ConcurrencyLimit = message.ConcurrencyLimit;
        task.ConcurrencyStrategy = message.ConcurrencyStrategy;
        task.MaxCostUsd = message.MaxCostUsd;
        task.MaxTokens = message.MaxTokens;
        task.OnBudget = message.OnBudget;
        task.ExpectChanges = message.ExpectChanges;
        task.Labels = message.Labels?.ToDictionary(StringComparer.Ordinal) ?? [];
        task.SubmittedBy = message.SubmittedBy;
        // UTC by contract; a local time sent anyway is converted, an unspecified one taken as UTC
        task.RunAt = message.RunAt is { } at ? (at.Kind == DateTimeKind.Local ? at.ToUniversalTime() : DateTime.SpecifyKind(at, DateTimeKind.Utc)) : null;
        task.CreatedAt = now;
        task.UpdatedAt = now;
        task.Error = chain.Error is null ? null : $"{ErrorClasses.Invalid}: {chain.Error}";
        if (LimitPolicyError(message) is { } limitError)
            task.Error = $"{ErrorClasses.Invalid}: {limitError}";
        if (string.IsNullOrWhiteSpace(message.Prompt))
            task.Error = $"{ErrorClasses.Invalid}: the prompt is empty";
    }

    /// <summary>What is wrong with the task's limit policy, for a submit that did not come through the API's validation.</summary>
    static string? LimitPolicyError(SubmitTask message) => message switch
    {
        { OnLimit: { } onLimit } when LimitNames.OnLimitOrNull(onLimit) is null => $"onLimit '{onLimit}' is not wait or fallback",
        { MaxWait: { } maxWait } when maxWait < TimeSpan.Zero || maxWait > LimitBounds.MaxWait => $"maxWait {maxWait} is not between 0s and 7 days",
        { MaxWindows: < 1 or > LimitBounds.MaxWindows } => $"maxWindows {message.MaxWindows} is not between 1 and {LimitBounds.MaxWindows}",
        { ConcurrencyKey: { } key } when string.IsNullOrWhiteSpace(key) || key.Length > ConcurrencyStrategies.MaxKeyLength =>
            $"concurrencyKey must be 1-{ConcurrencyStrategies.MaxKeyLength} characters, not blank",
        { ConcurrencyKey: null, ConcurrencyLimit: not null } or { ConcurrencyKey: null, ConcurrencyStrategy: not null } =>
            "concurrencyLimit and concurrencyStrategy need a concurrencyKey",
        { ConcurrencyLimit: < 1 or > ConcurrencyStrategies.MaxLimit } =>
            $"concurrencyLimit {message.ConcurrencyLimit} is not between 1 and {ConcurrencyStrategies.MaxLimit}",
        { ConcurrencyStrategy: { } strategy } when !ConcurrencyStrategies.All.Contains(strategy, StringComparer.Ordinal) =>
            $"concurrencyStrategy '{strategy}' is not one of {string.Join(", ", ConcurrencyStrategies.All)}",
        { MaxCostUsd: <= 0 or > BudgetPolicies.MaxCostUsd } => $"maxCostUsd {message.MaxCostUsd} is not above 0 and at most {BudgetPolicies.MaxCostUsd}",
        { MaxTokens: <= 0 or > BudgetPolicies.MaxTokens } => $"maxTokens {message.MaxTokens} is not between 1 and {BudgetPolicies.MaxTokens}",
        { OnBudget: { } onBudget } when !BudgetPolicies.All.Contains(onBudget, StringComparer.Ordinal) =>
            $"onBudget '{onBudget}' is not one of {string.Join(", ", BudgetPolicies.All)}",
        _ => null,
    };

    /// <summary>What the worker adds to the record of the attempt the start check created: its branch, host and redelivery.</summary>
    public static void RecordStart(this TaskState task, AgentJobStarted message)
    {
        if (task.Attempts.FirstOrDefault(a => a.Id == message.AttemptId) is not { } attempt)
            return;
        attempt.Worker ??= message.WorkerId;
        attempt.Host ??= message.Host;
        attempt.Redelivery = message.Redelivery;
        attempt.Branch = message.Branch;
        attempt.Model ??= message.Model;
    }

    /// <summary>
    /// The holder's failure: on its record, and the lease is free. A retry makes a job expected when it is due, on the
    /// service's clock (the worker's delay, not its clock).
    /// </summary>
    public static void RecordFailure(this TaskState task, AgentAttemptFailed message, DateTime now)
    {
        var held = task.RecordReport(message.AttemptId, message.Start, attempt =>
        {
            attempt.FinishedAt = message.FinishedAt;
            attempt.ExitCode = message.ExitCode;
            attempt.ErrorClass = message.ErrorClass;
            attempt.Message = SecretRedactor.RedactCredentials(message.Message);
            attempt.NextRetryAt = message.NextRetryAt;
            attempt.OutputChunks = message.OutputChunks;
            attempt.RecordUsage(message.Usage);
        }, $"failed: {message.ErrorClass}");
        if (held && message.NextRetryAt is { } next)
            task.ExpectStart(now + (next - message.FinishedAt));
    }

    public static void RecordSuccess(this TaskState task, AgentJobCompleted message)
    {
        task.RecordCompletion(message);
        task.ResultAgent = message.Result.Agent;
        task.ResultBranch = message.Result.Branch;
        task.ResultCommit = message.Result.Commit;
        task.ResultDiffStat = message.Result.DiffStat;
        task.ResultSummary = message.Result.Summary;
        task.ResultRemote = message.Result.Remote;
        task.ResultLink = message.Result.Link;
        task.ResultPullRequest = message.Result.PullRequest;
        task.Error = null;
        task.FinishedAt = message.FinishedAt;
    }

    /// <summary>A completion that does not make the task's result: the task ended meanwhile (its holder raced a cancel), or it was superseded.</summary>
    public static bool RecordCompletion(this TaskState task, AgentJobCompleted message) =>
        task.RecordReport(message.AttemptId, message.Start, attempt =>
        {
            attempt.FinishedAt = message.FinishedAt;
            attempt.ExitCode = message.ExitCode;
            attempt.ErrorClass = null;
            attempt.NextRetryAt = null;
            attempt.OutputChunks = message.OutputChunks;
            attempt.RecordUsage(message.Usage);
        }, "succeeded");

    /// <summary>
    /// The current agent gave up on the task: its last failure allows no retry, its job faulted, or its attempts keep
    /// losing their worker. The last failure says whether another agent may try.
    /// </summary>
    public static void RecordGiveUp(this TaskState task, string? errorClass, string reason, DateTime now)
    {
        var last = task.Attempts.Where(a => a.Pass == task.Pass).MaxBy(a => a.Number);
        task.Error = SecretRedactor.RedactCredentials(last is { ErrorClass: not null }
            ? $"{task.CurrentAgent}: {last.ErrorClass}: {last.Message}"
            : $"{task.CurrentAgent}: {reason}");
        task.LeavingForLimit = errorClass == ErrorClasses.RateLimited || last is { ErrorClass: ErrorClasses.RateLimited };
        if (last is { ErrorClass: ErrorClasses.Invalid } || errorClass == ErrorClasses.Invalid)
            task.ChainIndex = task.Agents.Count; // the task itself cannot run: no other agent would do better
        task.ClearLease();
        task.StartAllowedAt = null;
        task.UpdatedAt = now;
    }

    /// <summary>
    /// Whether a fault of the job is the current agent giving up: the fault of the attempt that holds the lease (its
    /// failure report was lost), or of a delivery that failed before it held one while no attempt holds it.
    /// </summary>
    public static bool IsCurrentFault(this TaskState task, Fault<RunAgentJob> fault) =>
        fault.Message.Pass == task.Pass && (FaultData(fault, "attemptId") is { } id ? Guid.TryParse(id, out var attempt) && task.Holds(attempt) : task.LeaseId is null);

    /// <summary>The holder's attempt, when its failure report was lost: ended by the fault.</summary>
    public static void RecordFault(this TaskState task, Fault<RunAgentJob> fault, DateTime now)
    {
        var reason = SecretRedactor.RedactCredentials(fault.Exceptions?.FirstOrDefault(e => e is not null)?.Message) ?? "the agent gave up";
        if (task.Attempts.FirstOrDefault(a => a.Id == task.LeaseId) is { FinishedAt: null } held)
        {
            held.FinishedAt = now;
            held.ErrorClass = FaultData(fault, "errorClass") ?? ErrorClasses.AgentFailure;
            held.Message = reason;
        }

        task.RecordGiveUp(FaultData(fault, "errorClass"), reason, now);
    }

    public static bool RecordCancellation(this TaskState task, AgentJobCancelled message) =>
        task.RecordReport(message.AttemptId, message.Start, attempt =>
        {
            attempt.FinishedAt = message.FinishedAt;
            attempt.Message = "stopped: the task was cancelled";
            attempt.OutputChunks = message.OutputChunks;
        }, "stopped");

    /// <summary>The task ends without a result (cancelled, rejected): why, and who decided.</summary>
    public static void End(this TaskState task, string why, string? by, string? reason, DateTime now)
    {
        task.Decision = (by, reason);
        task.Error = SecretRedactor.RedactCredentials(why);
        task.FinishedAt = now;
        task.StartAllowedAt = null; // the lease, if one is held, stays until its holder confirms it stopped
        task.ClearHold(); // an ended task waits on no account and no key (its waiter row goes with the next release step)
    }

    public static void Pause(this TaskState task, string? by, string? reason)
    {
        task.Decision = (by, reason);
        task.PausedFrom = task.CurrentState;
        task.DispatchOnResume = false;
    }

    /// <summary>A new pass through the whole chain; attempts and audit trail stay.</summary>
    public static void Restart(this TaskState task, string? by, string? reason)
    {
        task.Decision = (by, reason);
        task.ChainIndex = 0;
        task.ClearWait();
        task.BudgetHeld = false;
        task.Error = null;
        task.FinishedAt = null;
        task.ResultAgent = task.ResultBranch = task.ResultCommit = task.ResultDiffStat = task.ResultSummary = task.ResultRemote = task.ResultLink = task.ResultPullRequest = null;
    }

    /// <summary>
    /// Whether the chain has an agent to take the task over from the current one. A spill-only agent (<c>Limits:SpillOnly</c>)
    /// counts only when the current agent's account holds the task back (<paramref name="forLimit"/>, or
    /// <see cref="TaskState.LeavingForLimit"/>).
    /// </summary>
    public static bool CanFallBack(this TaskState task, Func<string, bool> spillOnly, bool forLimit = false) =>
        task.NextAgent(spillOnly, forLimit || task.LeavingForLimit) is not null;

    static int? NextAgent(this TaskState task, Func<string, bool> spillOnly, bool forLimit)
    {
        for (var index = task.ChainIndex + 1; index < task.Agents.Count; index++)
        {
            if (forLimit || !spillOnly(task.Agents[index]))
                return index;
        }

        return null;
    }

    public static void Fail(this TaskState task, DateTime now)
    {
        task.FinishedAt = now;
        task.StartAllowedAt = null;
        task.ClearHold();
        task.Error ??= "every agent of the chain failed";
    }

    static string? FaultData(Fault<RunAgentJob> fault, string key) =>
        (fault.Exceptions ?? []).Select(e => e?.Data?.TryGetValue(key, out var value) == true ? value?.ToString() : null)
            .FirstOrDefault(c => c is not null);

    static void RecordUsage(this TaskAttempt attempt, AttemptUsage? usage)
    {
        attempt.InputTokens = usage?.InputTokens;
        attempt.OutputTokens = usage?.OutputTokens;
        attempt.CostUsd = usage?.CostUsd;
    }

    /// <summary>
    /// An attempt's end: applied to its record and freeing the lease when the attempt holds it; otherwise noted on its
    /// record as superseded. A start carried in the report is recorded first.
    /// </summary>
    static bool RecordReport(this TaskState task, Guid attemptId, AgentJobStarted? start, Action<TaskAttempt> apply, string what)
    {
        if (start is not null)
            task.RecordStart(start);
        if (!task.Holds(attemptId))
        {
            task.RecordSuperseded(attemptId, what);
            return false;
        }

        apply(task.Attempts.First(a => a.Id == attemptId));
        task.ClearLease();
        return true;
    }

    /// <summary>The chain's next agent takes the task over (its first pass is the next one dispatched): its waits on the last agent's account no longer count.</summary>
    public static void MoveToNextAgent(this TaskState task, Func<string, bool> spillOnly)
    {
        task.ChainIndex = task.NextAgent(spillOnly, task.LeavingForLimit) ?? task.Agents.Count;
        task.ClearWait();
    }

    /// <summary>The task parks on <paramref name="account"/> as the limit gate decided: no job is expected until a release.</summary>
    public static void Hold(this TaskState task, string account, Rules.Limits.StartDecision decision, DateTime now)
    {
        var first = task.HoldAccount != account || task.HoldMessage != decision.Message;
        task.HoldAccount = account;
        task.HoldReason = LimitNames.Of(decision.Reason!.Value);
        task.HoldUntil = decision.Until;
        task.HoldDeadline = decision.Deadline;
        task.HoldMessage = decision.Message;
        task.WaitSince = decision.Wait!.Since;
        task.WaitWindows = decision.Wait.Windows;
        task.WaitWindowSince = decision.Wait.WindowSince;
        task.StartAllowedAt = null;
        task.UpdatedAt = now;
        if (first)
            task.Note("Waiting", decision.Message!, now);
    }

    /// <summary>The task waits in Submitted for room under its concurrency key; the first time (or with news) on the audit trail.</summary>
    public static void QueueOnKey(this TaskState task, string message, DateTime now)
    {
        var first = task.HoldReason != TaskStateMachine.ConcurrencyHold || task.HoldMessage != message;
        task.HoldAccount = null;
        task.HoldReason = TaskStateMachine.ConcurrencyHold;
        task.HoldUntil = task.HoldDeadline = null;
        task.HoldMessage = message;
        task.WaitSince ??= now;
        task.UpdatedAt = now;
        if (first)
            task.Note("Queued", message, now);
    }

    /// <summary>The task's key has room: its wait in the key's queue ends, and counts for nothing later (an account's maxWait starts afresh).</summary>
    public static void LeaveKeyQueue(this TaskState task) => task.ClearWait();

    /// <summary>The task waits on no account now (its wait so far in this agent's turn still counts).</summary>
    public static void ClearHold(this TaskState task)
    {
        task.HoldAccount = task.HoldReason = task.HoldMessage = null;
        task.HoldUntil = task.HoldDeadline = null;
    }

    /// <summary>The limit gate sent the task on from its agent (a fallback on a limit, or a wait beyond its bounds): why, on the record.</summary>
    public static void LeaveForLimit(this TaskState task, Rules.Limits.StartDecision decision, DateTime now)
    {
        task.ClearHold();
        task.LeavingForLimit = true;
        // A spent account budget is no provider limit: said as what it is.
        var errorClass = decision.Reason == WaitReason.Budget ? ErrorClasses.BudgetExceeded : ErrorClasses.RateLimited;
        task.Error = $"{task.CurrentAgent}: {errorClass}: {decision.Message}";
        task.StartAllowedAt = null;
        task.UpdatedAt = now;
        task.Note(decision.Action == StartAction.FallBack ? "LimitFallback" : "LimitGaveUp", decision.Message!, now);
    }

    /// <summary>A new turn of an agent (the next of the chain, or the first again on a retry): its waits and limit failures start afresh.</summary>
    static void ClearWait(this TaskState task)
    {
        task.TurnPass = task.Pass + 1;
        task.ClearHold();
        task.WaitSince = task.WaitWindowSince = null;
        task.WaitWindows = 0;
    }
}
