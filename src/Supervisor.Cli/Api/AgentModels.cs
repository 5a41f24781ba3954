namespace Supervisor.Cli.Api;

/// <summary>An item of <c>GET /api/agents</c>. <see cref="Workers"/> is null when the service does not report workers.</summary>
sealed record AgentView(
    string Name,
    string? Command,
    string? Isolation,
    string? Fallback,
    int? Concurrency,
    int? TimeoutSeconds,
    long? QueueDepth,
    IReadOnlyList<WorkerView>? Workers);

sealed record WorkerView(
    string Id,
    string? Host,
    bool Busy,
    Guid? CurrentTask,
    DateTimeOffset? LastHeartbeat,
    bool Lost);
