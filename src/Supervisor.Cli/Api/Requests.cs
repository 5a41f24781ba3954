using Supervisor.Contracts;

namespace Supervisor.Cli.Api;

/// <summary>
/// Body of <c>POST /api/tasks</c>; null members are left out of the JSON. <c>RunAt</c> (UTC, written "O" by
/// <see cref="UtcDateTimeOffsetConverter"/>) delays the start; left out, the task runs now. <c>MaxWait</c> is TimeSpan text
/// (<c>00:15:00</c>), as the service reads and writes durations.
/// </summary>
sealed record SubmitRequest(
    Guid? Id,
    string Prompt,
    string? Agent,
    IReadOnlyList<string>? Agents,
    RepositorySpec? Repository,
    string? Risk,
    int? TimeoutSeconds,
    string? Verify,
    bool? ExpectChanges,
    IReadOnlyDictionary<string, string>? Labels,
    DateTimeOffset? RunAt,
    bool? Fallback,
    string? Model,
    string? OnLimit,
    string? MaxWait,
    int? MaxWindows,
    string? ConcurrencyKey,
    int? ConcurrencyLimit,
    string? ConcurrencyStrategy,
    decimal? MaxCostUsd = null,
    long? MaxTokens = null,
    string? OnBudget = null);

/// <summary>Body of <c>POST /api/tasks/{id}/{verb}</c>.</summary>
sealed record TaskActionRequest(string? Reason);
