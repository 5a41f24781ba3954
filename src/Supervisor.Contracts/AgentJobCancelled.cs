namespace Supervisor.Contracts;

/// <summary>An attempt was stopped because its task was cancelled; it is neither retried nor a failure of the agent.</summary>
public sealed record AgentJobCancelled(
    Guid TaskId,
    Guid AttemptId,
    int Pass,
    int Attempt,
    string Agent,
    string WorkerId,
    DateTime FinishedAt,
    long OutputChunks);
