namespace Supervisor.Service.Logs;

/// <summary>One output chunk as the API shows it (<c>GET /api/tasks/{id}/logs</c>, and each event of its follow stream).</summary>
public sealed record LogChunkView(int Attempt, long Sequence, string Stream, string Text, DateTime At);

/// <summary>The data of the follow stream's last event: the state the task ended in (null when there is no such task).</summary>
public sealed record LogStreamEnd(string? State);
