namespace Supervisor.Contracts;

/// <summary>An attempt a worker is running, as its heartbeat reports it.</summary>
public sealed record RunningAttempt(Guid TaskId, Guid AttemptId, int Attempt, string Agent, DateTime StartedAt, DateTime? LastOutputAt);
