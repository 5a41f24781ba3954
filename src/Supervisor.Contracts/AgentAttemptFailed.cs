namespace Supervisor.Contracts;

/// <summary>
/// An attempt failed. <see cref="ErrorClass"/> is one of <see cref="ErrorClasses"/>. <see cref="NextRetryAt"/> is set when
/// the job will be redelivered to the same agent; null when the agent is given up on. <see cref="OutputChunks"/> is how
/// many <see cref="AgentLogChunk"/>s the attempt published.
/// <see cref="Start"/> carries the attempt's start when the worker did not publish it on its own (an attempt shorter than
/// <c>Supervisor:Worker:AnnounceStartAfter</c>); the start is recorded first. <see cref="Limit"/> is the provider limit the
/// attempt ended on, when its output named one.
/// </summary>
public sealed record AgentAttemptFailed(
    Guid TaskId,
    Guid AttemptId,
    int Pass,
    int Attempt,
    string Agent,
    string WorkerId,
    int? ExitCode,
    string ErrorClass,
    string Message,
    DateTime FinishedAt,
    DateTime? NextRetryAt,
    long OutputChunks,
    AttemptUsage? Usage,
    AgentJobStarted? Start = null,
    LimitReport? Limit = null);
