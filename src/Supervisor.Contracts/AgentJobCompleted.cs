namespace Supervisor.Contracts;

/// <summary>
/// An attempt succeeded; the task's result is in <see cref="Result"/>. <see cref="OutputChunks"/> is how many
/// <see cref="AgentLogChunk"/>s the attempt published, so a reader knows when its stored output is complete.
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
    AttemptUsage? Usage);
