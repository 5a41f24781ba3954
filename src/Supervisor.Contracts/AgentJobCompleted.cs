namespace Supervisor.Contracts;

/// <summary>
/// An attempt succeeded; the task's result is in <see cref="Result"/>. <see cref="OutputChunks"/> is how many
/// <see cref="AgentLogChunk"/>s the attempt published, so a reader knows when its stored output is complete.
/// <see cref="Start"/> carries the attempt's start when the worker did not publish it on its own (an attempt shorter than
/// <c>Supervisor:Worker:AnnounceStartAfter</c>); the start is recorded first.
/// </summary>
public sealed record AgentJobCompleted(
    Guid TaskId,
    Guid AttemptId,
    int Pass,
    int Attempt,
    string Agent,
    string WorkerId,
    int ExitCode,
    DateTime FinishedAt,
    TaskResult Result,
    long OutputChunks,
    AttemptUsage? Usage,
    AgentJobStarted? Start = null);
