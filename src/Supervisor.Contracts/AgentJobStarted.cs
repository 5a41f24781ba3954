namespace Supervisor.Contracts;

/// <summary>
/// A worker started an attempt of a job. Published once the attempt has run for <c>Supervisor:Worker:AnnounceStartAfter</c>;
/// a shorter attempt carries it in its result instead. <see cref="StartedAt"/> is when the agent process was started;
/// <see cref="Model"/> the model the agent was asked to use (null for a profile that names none).
/// </summary>
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
    DateTime StartedAt,
    string? Model = null);
