namespace Supervisor.Contracts;

/// <summary>
/// Sent by every worker at a fixed interval (and once when it stops, with <see cref="Stopping"/>): who it is, which
/// agents it serves and which attempts it is running. <see cref="Accounts"/> maps each agent it serves that has a provider
/// account to that account.
/// </summary>
public sealed record WorkerHeartbeat(
    string WorkerId,
    string Host,
    IReadOnlyList<string> Agents,
    IReadOnlyList<RunningAttempt> Running,
    int Capacity,
    bool Stopping,
    DateTime At,
    IReadOnlyDictionary<string, string>? Accounts = null);
