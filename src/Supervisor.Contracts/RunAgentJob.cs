namespace Supervisor.Contracts;

/// <summary>
/// Sent by the saga to the queue <c>agent-&lt;Agent&gt;</c>: run one agent on the task. Redeliveries of the same job are
/// further attempts; <see cref="FirstAttempt"/> plus the redelivery count numbers them. <see cref="Model"/>, when set, replaces
/// the profile's <c>Model</c> (the <c>{model}</c> placeholder).
/// </summary>
public sealed record RunAgentJob(
    Guid TaskId,
    int Pass,
    int FirstAttempt,
    string Agent,
    string Prompt,
    RepositorySpec? Repository,
    int? TimeoutSeconds,
    string? Verify,
    bool ExpectChanges,
    string? Model = null);
