namespace Supervisor.Contracts;

/// <summary>A worker dropped a job without starting it because its task no longer wanted it (paused, cancelled, moved on).</summary>
public sealed record AgentJobDeclined(Guid TaskId, int Pass, string Agent, string WorkerId, string Reason, DateTime At);
