namespace Supervisor.Contracts;

/// <summary>
/// A piece of an attempt's output, already redacted by the worker. <see cref="Sequence"/> orders the chunks of one attempt.
/// <see cref="Stream"/> is <c>stdout</c>, <c>stderr</c> or <c>system</c> (supervisor notes such as a truncation marker).
/// </summary>
public sealed record AgentLogChunk(
    Guid TaskId,
    Guid AttemptId,
    int Attempt,
    long Sequence,
    string Stream,
    string Text,
    DateTime At);
