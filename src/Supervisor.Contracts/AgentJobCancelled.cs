namespace Supervisor.Contracts;

/// <summary>
/// An attempt was stopped because its task was cancelled; it is neither retried nor a failure of the agent.
/// <see cref="Start"/> carries the attempt's start when the worker did not publish it on its own (an attempt shorter than
/// <c>Supervisor:Worker:AnnounceStartAfter</c>); the start is recorded first.
/// </summary>
public sealed record AgentJobCancelled(
    Guid TaskId,
    Guid AttemptId,
    int Pass,
    int Attempt,
    string Agent,
    string WorkerId,
    DateTime FinishedAt,
    long OutputChunks,
    AgentJobStarted? Start = null);
