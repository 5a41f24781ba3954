namespace Supervisor.Contracts;

/// <summary>
/// Published by a worker as soon as a running agent's output shows a provider limit (a CLI's own retry notice included),
/// before the attempt ends, and again only when the limit's kind or reset changes: the account is limited for the whole
/// fleet from then on.
/// </summary>
public sealed record AccountLimitSignalled(Guid TaskId, Guid AttemptId, string Agent, string WorkerId, LimitReport Limit);
