using MassTransit;
using Supervisor.Contracts;
using Supervisor.Rules.Chains;

namespace Supervisor.Service.Tasks;

/// <summary>How events change a task's record. Every method is idempotent: a redelivered event changes nothing more.</summary>
static class TaskRecording
{
    public static void Accept(this TaskState task, SubmitTask message, ChainResolution chain, DateTime now)
    {
        task.Prompt = message.Prompt ?? "";
        task.Agents = [.. chain.Chain];
        task.ChainIndex = 0;
        task.RepositoryPath = message.Repository?.Path;
        task.RepositoryUrl = message.Repository?.Url;
        task.BaseRef = message.Repository?.BaseRef;
        task.Risk = message.Risk;
        task.TimeoutSeconds = message.TimeoutSeconds;
        task.Verify = message.Verify;
        task.ExpectChanges = message.ExpectChanges;
        task.Labels = message.Labels?.ToDictionary(StringComparer.Ordinal) ?? [];
        task.SubmittedBy = message.SubmittedBy;
        task.CreatedAt = now;
        task.UpdatedAt = now;
        task.Error = chain.Error is null ? null : $"{ErrorClasses.Invalid}: {chain.Error}";
        if (string.IsNullOrWhiteSpace(message.Prompt))
            task.Error = $"{ErrorClasses.Invalid}: the prompt is empty";
    }

    public static void RecordStart(this TaskState task, AgentJobStarted message)
    {
        // A second start of the same job while an attempt is still open means that worker vanished mid-attempt.
        foreach (var open in task.Attempts.Where(a => a.Pass == message.Pass && a.FinishedAt is null && a.Id != message.AttemptId))
        {
            open.FinishedAt = message.StartedAt;
            open.ErrorClass = ErrorClasses.ContainerCrash;
            open.Message = "worker lost: the job was redelivered to another worker";
        }

        var attempt = task.Attempt(message.AttemptId, message.Pass, message.Attempt, message.Agent);
        attempt.Worker = message.WorkerId;
        attempt.Host = message.Host;
        attempt.Redelivery = message.Redelivery;
        attempt.Branch = message.Branch;
        attempt.StartedAt = message.StartedAt;
        task.AttemptCount = Math.Max(task.AttemptCount, message.Attempt);
    }

    public static void RecordFailure(this TaskState task, AgentAttemptFailed message)
    {
        if (message.Start is { } start)
            task.RecordStart(start);
        var attempt = task.Attempt(message.AttemptId, message.Pass, message.Attempt, message.Agent);
        attempt.Worker ??= message.WorkerId;
        attempt.FinishedAt = message.FinishedAt;
        attempt.ExitCode = message.ExitCode;
        attempt.ErrorClass = message.ErrorClass;
        attempt.Message = message.Message;
        attempt.NextRetryAt = message.NextRetryAt;
        attempt.OutputChunks = message.OutputChunks;
        attempt.RecordUsage(message.Usage);
        task.AttemptCount = Math.Max(task.AttemptCount, message.Attempt);
    }

    public static void RecordSuccess(this TaskState task, AgentJobCompleted message)
    {
        task.RecordCompletionOfStaleJob(message);
        task.ResultAgent = message.Result.Agent;
        task.ResultBranch = message.Result.Branch;
        task.ResultCommit = message.Result.Commit;
        task.ResultDiffStat = message.Result.DiffStat;
        task.ResultSummary = message.Result.Summary;
        task.Error = null;
        task.FinishedAt = message.FinishedAt;
    }

    public static void RecordCompletionOfStaleJob(this TaskState task, AgentJobCompleted message)
    {
        if (message.Start is { } start)
            task.RecordStart(start);
        var attempt = task.Attempt(message.AttemptId, message.Pass, message.Attempt, message.Agent);
        attempt.Worker ??= message.WorkerId;
        attempt.FinishedAt = message.FinishedAt;
        attempt.ExitCode = message.ExitCode;
        attempt.ErrorClass = null;
        attempt.NextRetryAt = null;
        attempt.OutputChunks = message.OutputChunks;
        attempt.RecordUsage(message.Usage);
        task.AttemptCount = Math.Max(task.AttemptCount, message.Attempt);
    }

    /// <summary>The current agent gave up on the task; its last failure says whether another agent may try.</summary>
    public static void RecordFault(this TaskState task, Fault<RunAgentJob> fault, DateTime now)
    {
        var last = task.Attempts.Where(a => a.Pass == fault.Message.Pass).MaxBy(a => a.Number);
        var reason = fault.Exceptions?.FirstOrDefault(e => e is not null)?.Message ?? "the agent gave up";
        task.Error = last is { ErrorClass: not null }
            ? $"{task.CurrentAgent}: {last.ErrorClass}: {last.Message}"
            : $"{task.CurrentAgent}: {reason}";
        if (last is { ErrorClass: ErrorClasses.Invalid } || FaultClass(fault) == ErrorClasses.Invalid)
            task.ChainIndex = task.Agents.Count; // the task itself cannot run: no other agent would do better
        task.UpdatedAt = now;
    }

    public static void RecordCancellation(this TaskState task, AgentJobCancelled message)
    {
        if (message.Start is { } start)
            task.RecordStart(start);
        var attempt = task.Attempt(message.AttemptId, message.Pass, message.Attempt, message.Agent);
        attempt.Worker ??= message.WorkerId;
        attempt.FinishedAt = message.FinishedAt;
        attempt.Message = "stopped: the task was cancelled";
        attempt.OutputChunks = message.OutputChunks;
    }

    /// <summary>The task ends without a result (cancelled, rejected): why, and who decided.</summary>
    public static void End(this TaskState task, string why, string? by, string? reason, DateTime now)
    {
        task.Decision = (by, reason);
        task.Error = why;
        task.FinishedAt = now;
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
        task.Error = null;
        task.FinishedAt = null;
        task.ResultAgent = task.ResultBranch = task.ResultCommit = task.ResultDiffStat = task.ResultSummary = null;
    }

    public static bool CanFallBack(this TaskState task) => task.ChainIndex + 1 < task.Agents.Count;

    public static void Fail(this TaskState task, DateTime now)
    {
        task.FinishedAt = now;
        task.Error ??= "every agent of the chain failed";
    }

    static string? FaultClass(Fault<RunAgentJob> fault) =>
        (fault.Exceptions ?? []).Select(e => e?.Data?.TryGetValue("errorClass", out var value) == true ? value?.ToString() : null)
            .FirstOrDefault(c => c is not null);

    static void RecordUsage(this TaskAttempt attempt, AttemptUsage? usage)
    {
        attempt.InputTokens = usage?.InputTokens;
        attempt.OutputTokens = usage?.OutputTokens;
        attempt.CostUsd = usage?.CostUsd;
    }

    static TaskAttempt Attempt(this TaskState task, Guid id, int pass, int number, string agent)
    {
        var attempt = task.Attempts.FirstOrDefault(a => a.Id == id);
        if (attempt is null)
        {
            attempt = new TaskAttempt { Id = id, TaskId = task.CorrelationId, Pass = pass, Number = number, Agent = agent };
            task.Attempts.Add(attempt);
        }

        return attempt;
    }
}
