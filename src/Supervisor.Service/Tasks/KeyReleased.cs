namespace Supervisor.Service.Tasks;

/// <summary>
/// A task queued on its concurrency key may start: the key has room for it. Sent by the release step each second while
/// the task is queued and the key has room; the saga checks again under the key's lock, so a copy that comes too late, or
/// twice, changes nothing.
/// </summary>
public sealed record KeyReleased(Guid TaskId);
