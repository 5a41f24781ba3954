namespace Supervisor.Contracts;

/// <summary>
/// The answer to <see cref="AttemptStartRequest"/>. When <see cref="Allowed"/> is false the job is dropped, unless
/// <see cref="AskAgainInSeconds"/> is set: then another worker holds the attempt and its result is awaited.
/// <see cref="Duplicate"/>: the attempt has already run elsewhere, and its result is that run's.
/// </summary>
public sealed record AttemptStartResponse(Guid TaskId, bool Allowed, string? State, string? Reason, double? AskAgainInSeconds = null,
    bool Duplicate = false);
