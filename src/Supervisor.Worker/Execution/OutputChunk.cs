namespace Supervisor.Worker.Execution;

/// <summary>
/// One published piece of an attempt's redacted output. <see cref="Stream"/> is <c>stdout</c>, <c>stderr</c> or
/// <c>system</c> (the collector's own notes); <see cref="At"/> is UTC, when the first of its text arrived.
/// </summary>
public sealed record OutputChunk(long Sequence, string Stream, string Text, DateTime At);
