namespace Supervisor.Contracts;

/// <summary>The answer to <see cref="AttemptStartRequest"/>; when <see cref="Allowed"/> is false the job is dropped.</summary>
public sealed record AttemptStartResponse(Guid TaskId, bool Allowed, string? State, string? Reason);
