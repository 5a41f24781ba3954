namespace Supervisor.Service.Api;

/// <summary>Body of <c>POST /api/tasks</c>.</summary>
public sealed record SubmitTaskRequest(
    Guid? Id,
    string? Prompt,
    string[]? Agents,
    string? Agent,
    RepositoryRequest? Repository,
    string? Risk,
    int? TimeoutSeconds,
    string? Verify,
    bool? ExpectChanges,
    Dictionary<string, string>? Labels);

public sealed record RepositoryRequest(string? Path, string? Url, string? BaseRef);
