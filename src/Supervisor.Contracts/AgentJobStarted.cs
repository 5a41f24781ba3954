namespace Supervisor.Contracts;

/// <summary>A worker started an attempt of a job.</summary>
public sealed record AgentJobStarted(
    Guid TaskId,
    Guid AttemptId,
    int Pass,
    int Attempt,
    int Redelivery,
    string Agent,
    string WorkerId,
    string Host,
    string? Branch,
    DateTime StartedAt);
