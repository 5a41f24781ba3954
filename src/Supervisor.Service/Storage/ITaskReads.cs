namespace Supervisor.Service.Storage;

/// <summary>Reads of the tasks the saga keeps, for the API and the log follower; never through the saga.</summary>
public interface ITaskReads
{
    /// <summary>The newest tasks first, optionally of one state and within a range of ids.</summary>
    Task<IReadOnlyList<TaskSummary>> ListAsync(string? state, int limit, TaskIdRange? ids, CancellationToken cancellationToken);

    /// <summary>A task with its attempts and its audit trail, or null when there is no such task.</summary>
    Task<TaskRecord?> GetAsync(Guid id, CancellationToken cancellationToken);

    /// <summary>The task's state, or null when there is no such task; asked on every submit that names its id.</summary>
    Task<string?> GetStateAsync(Guid id, CancellationToken cancellationToken);

    /// <summary>
    /// Whether the task is Cancelled and no attempt of it holds its lease (none is running or about to start its agent):
    /// its cancel is confirmed.
    /// </summary>
    Task<bool> CancelConfirmedAsync(Guid id, CancellationToken cancellationToken);
}

/// <summary>The ids that start with a prefix, as a range of the primary key (ids ordered as their hex text).</summary>
public sealed record TaskIdRange(Guid From, Guid To)
{
    /// <summary>The range of a prefix of 1 to 32 hexadecimal digits (dashes allowed), or null for anything else.</summary>
    public static TaskIdRange? Of(string prefix)
    {
        var hex = prefix.Replace("-", "", StringComparison.Ordinal).ToLowerInvariant();
        if (hex.Length is < 1 or > 32 || !hex.All(char.IsAsciiHexDigit))
            return null;
        return new TaskIdRange(Guid.ParseExact(hex.PadRight(32, '0'), "N"), Guid.ParseExact(hex.PadRight(32, 'f'), "N"));
    }
}

/// <summary>One line of a task list.</summary>
public sealed record TaskSummary(
    Guid Id, string State, IReadOnlyList<string> Agents, string? CurrentAgent, string Prompt,
    DateTime CreatedAt, DateTime UpdatedAt, DateTime? FinishedAt, IReadOnlyDictionary<string, string> Labels, DateTime? RunAt);

/// <summary>A task as stored: its state, what was submitted, its result, its attempts and its audit trail.</summary>
public sealed record TaskRecord(
    Guid Id, string State, string Prompt, IReadOnlyList<string> Agents, string? CurrentAgent, string? Risk,
    IReadOnlyDictionary<string, string> Labels, string? RepositoryPath, string? RepositoryUrl, string? BaseRef, int? TimeoutSeconds,
    string? Verify, bool ExpectChanges, string? SubmittedBy, DateTime CreatedAt, DateTime UpdatedAt, DateTime? FinishedAt, string? Error,
    string? ResultAgent, string? ResultBranch, string? ResultCommit, string? ResultDiffStat, string? ResultSummary,
    IReadOnlyList<AttemptRecord> Attempts, IReadOnlyList<TransitionRecord> Transitions, DateTime? RunAt, string? Model = null);

/// <summary>One run of one agent on a task.</summary>
public sealed record AttemptRecord(
    Guid Id, int Number, int Pass, string Agent, string? Worker, string? Host, int Redelivery, string? Branch, DateTime? StartedAt,
    DateTime? FinishedAt, int? ExitCode, string? ErrorClass, string? Message, DateTime? NextRetryAt, long? OutputChunks,
    long? InputTokens, long? OutputTokens, decimal? CostUsd, string? Model = null);

/// <summary>One line of a task's audit trail.</summary>
public sealed record TransitionRecord(string From, string To, string Event, DateTime At, string? By, string? Reason);
