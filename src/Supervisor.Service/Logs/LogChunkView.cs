namespace Supervisor.Service.Logs;

/// <summary>One output chunk as the API shows it (<c>GET /api/tasks/{id}/logs</c>, and each event of its follow stream).</summary>
public sealed record LogChunkView(int Attempt, long Sequence, string Stream, string Text, DateTime At);
