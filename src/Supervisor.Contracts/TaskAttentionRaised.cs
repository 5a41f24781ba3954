namespace Supervisor.Contracts;

/// <summary>
/// Published by the service when a task needs a person: it waits for approval, it failed, it is blocked by a provider
/// account's limit (<see cref="AttentionKinds"/>). The saga publishes it with its state change, after the change is saved;
/// the service turns each into webhook notifications, and any application may subscribe to it too. A dead-lettered job
/// is told by the job's fault itself, not by this event.
/// </summary>
/// <param name="TaskId">The task.</param>
/// <param name="Kind">One of <see cref="AttentionKinds"/>.</param>
/// <param name="State">The task's state as it entered it (<see cref="TaskStates"/>).</param>
/// <param name="Agent">The agent the task was on, when it had one.</param>
/// <param name="Reason">Why, in words, without credentials: the task's error, the account's block, the risk that needs approval.</param>
/// <param name="At">When, UTC.</param>
public sealed record TaskAttentionRaised(Guid TaskId, string Kind, string State, string? Agent, string? Reason, DateTime At);
