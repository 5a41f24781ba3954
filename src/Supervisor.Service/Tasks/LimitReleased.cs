namespace Supervisor.Service.Tasks;

/// <summary>
/// The release step lets a task parked on <paramref name="Account"/> go: the saga dispatches it again, and its start check
/// decides afresh (a release that races a new block parks it again). Sent until the task is no longer held on the account,
/// so a lost copy costs a few seconds; a copy for a task that has moved on changes nothing. <paramref name="Probe"/> when
/// the task goes alone to test the account after a block.
/// </summary>
public sealed record LimitReleased(Guid TaskId, string Account, bool Probe);
