namespace Supervisor.Contracts;

/// <summary>
/// A provider limit an agent ran into, as its worker read it from the agent's output: the <see cref="Account"/> it
/// applies to (<c>agent/fingerprint</c> of the profile's endpoint and key, or the profile's <c>Limits:Account</c>), its
/// <see cref="Kind"/> (one of <see cref="LimitKinds"/>), and when it resets: <see cref="ResetAt"/> (UTC) when the agent
/// gave a time, <see cref="ResetInSeconds"/> when it gave a delay counted from <see cref="ObservedAt"/> (the worker's
/// clock). <see cref="Evidence"/> is the line it was read from, redacted and cut to about 200 characters.
/// </summary>
public sealed record LimitReport(
    string Account,
    string Kind,
    DateTime? ResetAt,
    double? ResetInSeconds,
    string? Window,
    string Evidence,
    DateTime ObservedAt);
