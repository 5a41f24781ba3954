namespace Supervisor.Contracts;

/// <summary>
/// The answer to <see cref="AttemptStartRequest"/>. <see cref="Allowed"/>: the delivery holds the lease of attempt
/// <see cref="Attempt"/>, whose id is <see cref="AttemptId"/>; every event of the attempt carries that id, and an event
/// whose attempt no longer holds the lease changes nothing. Not allowed: the job is dropped, unless
/// <see cref="AskAgainInSeconds"/> is set (another delivery holds the lease, or the job's retry is not due yet).
/// <see cref="Duplicate"/>: this delivery is a copy of a job that has already run or been replaced. <see cref="Budget"/>: what
/// the granted attempt may still spend of its task's budget (null: the task has none).
/// </summary>
public sealed record AttemptStartResponse(Guid TaskId, bool Allowed, string? State, string? Reason, double? AskAgainInSeconds = null,
    bool Duplicate = false, int Attempt = 0, Guid? AttemptId = null, AttemptBudget? Budget = null);
