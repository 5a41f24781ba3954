using Supervisor.Contracts;

namespace Supervisor.Service.Tasks;

/// <summary>What the start check decided for a delivery of a job.</summary>
public enum StartDecision
{
    /// <summary>The delivery holds the lease of a new attempt (or of the one it already held).</summary>
    Grant,

    /// <summary>The delivery asks again later: another one holds the lease, or the job's retry is not due yet.</summary>
    Wait,

    /// <summary>The delivery is dropped: the task does not want it.</summary>
    Decline,

    /// <summary>The job's attempts keep losing their workers: the agent is given up on (the chain moves on).</summary>
    GiveUp,

    /// <summary>The lease would be granted, and the attempt's account decides (the limit gate): not an answer yet.</summary>
    AskAccount,

    /// <summary>The account is blocked, probing or full: the task waits on it without a job, until a release.</summary>
    Park,

    /// <summary>The account is blocked beyond what the task waits for, or the task falls back on a limit: the agent is left.</summary>
    LeaveForLimit,

    /// <summary>The task's budget is spent: no attempt starts, and the task stops or parks as its <c>onBudget</c> says.</summary>
    OverBudget,
}

/// <summary>How long a lease lasts without a heartbeat, and how many lost attempts make a job poison.</summary>
public sealed record LeaseTerms(TimeSpan LostAfter, int MaxLostAttempts);

/// <summary>
/// The task's lease: which attempt may run and report. The saga grants it in answer to a worker's start check, on the
/// task's row and in its transaction, so there is one source of truth for who runs what; it numbers attempts itself
/// (unique per task across passes); and it judges expiry on the service's clock. Every method runs on the locked task.
/// </summary>
static class AttemptLeases
{
    /// <summary>How a lost attempt's message starts: what counts towards <see cref="LeaseTerms.MaxLostAttempts"/>.</summary>
    public const string WorkerLost = "worker lost";

    /// <summary>How long a waiting delivery waits before it asks again, at most (while the holder keeps its lease).</summary>
    const double AskAgainSeconds = 2;

    /// <summary>How long a waiting delivery waits before it asks again, at least.</summary>
    const double AskAgainAtLeastSeconds = 0.1;

    /// <summary>Decides on a start check for a task that is Dispatched, Running or RetryScheduled; sets <see cref="TaskState.StartAnswer"/>.</summary>
    public static StartDecision Decide(this TaskState task, AttemptStartRequest request, LeaseTerms terms, DateTime now)
    {
        if (request.Pass != task.Pass)
            return task.Answer(StartDecision.Decline, $"the task has moved on to pass {task.Pass}", duplicate: true);

        if (task.LeaseId is { } held && task.Attempts.FirstOrDefault(a => a.Id == held) is { } holder)
        {
            if (request.Claim is { } claim && claim == task.LeaseClaim)
                return task.Answer(StartDecision.Grant, $"attempt {holder.Number} is this delivery's already (its answer was lost)", attempt: holder);
            // Expired on the service's clock, and the asker itself has waited that long: when the broker was away (a restart),
            // the holder's heartbeats were too, and the first of them after the reconnect renews its lease.
            if (task.LeaseExpiresAt > now || request.WaitedSeconds < terms.LostAfter.TotalSeconds)
            {
                // Asked again as soon as the lease could be taken over, not up to AskAgainSeconds later: a lost worker's job
                // then starts LostAfter after the delivery first asked. A holder that keeps beating pushes that time out.
                var takeoverIn = Math.Max(((task.LeaseExpiresAt ?? now) - now).TotalSeconds, terms.LostAfter.TotalSeconds - request.WaitedSeconds);
                return task.Answer(StartDecision.Wait, $"attempt {holder.Number} is held by worker {holder.Worker}",
                    waitSeconds: Math.Clamp(takeoverIn, AskAgainAtLeastSeconds, AskAgainSeconds));
            }

            task.LoseLease($"{WorkerLost}: {holder.Worker} sent no heartbeat for {terms.LostAfter:g}; the job went to another worker", now);
            if (task.LostAttemptsInPass() >= terms.MaxLostAttempts)
                return task.Answer(StartDecision.GiveUp, $"{task.LostAttemptsInPass()} attempts of this job lost their worker", duplicate: true);
        }

        if (task.StartAllowedAt is not { } allowed)
            return task.Answer(StartDecision.Decline, "this copy of the job is not wanted: the job it copies has already run or been replaced", duplicate: true);
        if (allowed > now)
        {
            // A copy of a job whose retry is not due yet (its worker was lost after reporting the failure and before the
            // scheduled redelivery left): it waits for the retry's time, which is then its own.
            return task.Answer(StartDecision.Wait, $"the retry is due at {allowed:O}",
                waitSeconds: Math.Clamp((allowed - now).TotalSeconds, AskAgainSeconds, 30));
        }

        if (task.OverBudget() is { } spent)
            return task.Answer(StartDecision.OverBudget, spent);

        // An attempt on a provider account starts only if the account lets it (LimitGate, in the same transaction).
        if (request.Account is not null)
            return task.StartDecision = StartDecision.AskAccount;
        return task.GrantStart(request, terms, now, null);
    }

    /// <summary>Grants the lease to the asking delivery: a new attempt, on <see cref="AttemptStartRequest.Account"/> when it has one.</summary>
    public static StartDecision GrantStart(this TaskState task, AttemptStartRequest request, LeaseTerms terms, DateTime now, string? note) =>
        task.Answer(StartDecision.Grant, note, attempt: task.GrantLease(request, terms, now));

    /// <summary>The asking delivery is dropped without an attempt: the task parks on an account, or leaves its agent for a limit.</summary>
    public static StartDecision DeclineForLimit(this TaskState task, StartDecision decision, string reason) => task.Answer(decision, reason);

    /// <summary>A start check for a task that is not running a job: declined, and for a paused task remembered if it was the job.</summary>
    public static void DeclineStart(this TaskState task, AttemptStartRequest request, bool paused)
    {
        if (paused && request.Pass == task.Pass && task.LeaseId is null && task.StartAllowedAt is not null)
        {
            // The job the task was waiting for: it is dropped now and dispatched again on resume, so no job is lost.
            task.DispatchOnResume = true;
            task.StartAllowedAt = null;
            task.Answer(StartDecision.Decline, "the task is Paused; it is dispatched again when resumed");
            return;
        }

        // The holder of an ended task's lease asking again (its answer was lost): it never ran, and the lease ends here.
        if (request.Claim is { } claim && claim == task.LeaseClaim && task.Attempts.FirstOrDefault(a => a.Id == task.LeaseId) is { } held)
        {
            held.FinishedAt = held.StartedAt;
            held.Message = $"never started: the task was {task.CurrentState} before its worker learned it held the lease";
            task.ClearLease();
        }

        task.Answer(StartDecision.Decline, $"the task is {task.CurrentState}", duplicate: request.Pass != task.Pass);
    }

    /// <summary>The holder gave the lease back before its agent ran; the job's redelivered copy may take it at once.</summary>
    public static bool Release(this TaskState task, ReleaseAttemptClaim release, DateTime now)
    {
        if (release.Claim != task.LeaseClaim || task.Attempts.FirstOrDefault(a => a.Id == task.LeaseId) is not { } held)
            return false;
        held.FinishedAt = now;
        held.ErrorClass = ErrorClasses.ContainerCrash;
        held.Message = $"given back by {release.Worker} before its agent started (its delivery of the job ended)";
        task.ClearLease();
        task.StartAllowedAt ??= now;
        return true;
    }

    /// <summary>Whether <paramref name="attemptId"/> holds the lease: only its events change the task.</summary>
    public static bool Holds(this TaskState task, Guid attemptId) => task.LeaseId == attemptId;

    /// <summary>The holder's end is recorded: nobody holds the lease, and no job is expected until one is dispatched or due.</summary>
    public static void ClearLease(this TaskState task)
    {
        task.LeaseId = null;
        task.LeaseClaim = null;
        task.LeaseExpiresAt = null;
        task.LeaseAccount = null;
    }

    /// <summary>The holder is lost (its lease expired): its attempt is on the record as <c>ContainerCrash</c>, and a job is expected again.</summary>
    public static void LoseLease(this TaskState task, string why, DateTime now)
    {
        task.Note("LeaseExpired", why, now);
        task.LostAttempt = task.LeaseId;
        if (task.Attempts.FirstOrDefault(a => a.Id == task.LeaseId) is { } lost)
        {
            lost.FinishedAt = now;
            lost.ErrorClass = ErrorClasses.ContainerCrash;
            lost.Message = why;
        }

        task.ClearLease();
        task.StartAllowedAt = now;
    }

    /// <summary>Attempts of the current pass that lost their worker: a job that keeps killing workers is poison.</summary>
    public static int LostAttemptsInPass(this TaskState task) =>
        task.Attempts.Count(a => a.Pass == task.Pass && a.Message?.StartsWith(WorkerLost, StringComparison.Ordinal) == true);

    /// <summary>A job was dispatched (or is due again): the next delivery that asks may start it.</summary>
    public static void ExpectStart(this TaskState task, DateTime at) => task.StartAllowedAt = at;

    /// <summary>
    /// An event of an attempt that no longer holds the lease (it was taken over, or the task moved on): on the attempt's
    /// record, changing nothing else.
    /// </summary>
    public static void RecordSuperseded(this TaskState task, Guid attemptId, string what)
    {
        if (task.Attempts.FirstOrDefault(a => a.Id == attemptId) is { } attempt && attempt.Message?.Contains("superseded", StringComparison.Ordinal) != true)
            attempt.Message = $"{attempt.Message} (its late report, {what}, was superseded and changed nothing)".TrimStart();
    }

    /// <summary>A line on the audit trail for something the service did that leaves the task's state as it was.</summary>
    public static void Note(this TaskState task, string what, string reason, DateTime now) =>
        task.Transitions.Add(new TaskTransition
        {
            TaskId = task.CorrelationId,
            From = task.CurrentState,
            To = task.CurrentState,
            Event = what,
            At = now,
            By = "service",
            Reason = reason,
        });

    static TaskAttempt GrantLease(this TaskState task, AttemptStartRequest request, LeaseTerms terms, DateTime now)
    {
        var attempt = new TaskAttempt
        {
            Id = MassTransit.NewId.NextGuid(),
            TaskId = task.CorrelationId,
            Pass = task.Pass,
            Number = ++task.AttemptCount,
            Agent = task.CurrentAgent ?? "",
            Worker = request.Worker,
            Host = request.Host,
            Account = request.Account,
            StartedAt = now,
        };
        task.Attempts.Add(attempt);
        task.LeaseId = attempt.Id;
        task.LeaseClaim = request.Claim;
        task.LeaseExpiresAt = now + terms.LostAfter;
        task.LeaseAccount = request.Account;
        task.StartAllowedAt = null;
        return attempt;
    }

    static StartDecision Answer(this TaskState task, StartDecision decision, string? reason, bool duplicate = false, double? waitSeconds = null,
        TaskAttempt? attempt = null)
    {
        task.StartDecision = decision;
        task.StartAnswer = new AttemptStartResponse(task.CorrelationId, decision == StartDecision.Grant, task.CurrentState, reason, waitSeconds,
            duplicate, attempt?.Number ?? 0, attempt?.Id, attempt is null ? null : task.BudgetLeft());
        return decision;
    }
}
