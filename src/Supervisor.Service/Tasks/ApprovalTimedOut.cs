namespace Supervisor.Service.Tasks;

/// <summary>Scheduled by the saga when a task starts waiting for approval; rejects it if it is still waiting.</summary>
public sealed record ApprovalTimedOut(Guid TaskId);
