namespace Supervisor.Service.Tasks;

/// <summary>Scheduled by the saga when a delayed task is submitted; starts it if it is still waiting.</summary>
public sealed record RunAtReached(Guid TaskId);
