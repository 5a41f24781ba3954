namespace Supervisor.Rules.Limits;

/// <summary>What kind of provider limit an agent ran into; it decides how long the account is blocked by default.</summary>
public enum LimitKind
{
    /// <summary>Requests per minute or tokens per minute: a short cool-down (HTTP 429 with a retry-after).</summary>
    RateLimit,

    /// <summary>A subscription's usage window (Claude's five-hour or weekly limit, Codex's usage limit): hours.</summary>
    UsageWindow,

    /// <summary>A quota that is used up (a daily quota, an exhausted plan).</summary>
    Quota,

    /// <summary>The account cannot pay (credit balance too low): only a person can lift it.</summary>
    Billing,
}

/// <summary>
/// One normalised limit signal, read from an agent's live output or its final report. <see cref="ResetAt"/> is an
/// absolute time (UTC) when the CLI gives one; <see cref="ResetIn"/> a delay from when the line was seen when it gives a
/// relative one (a retry-after); both null when the CLI does not say. <see cref="Window"/> names the provider's window
/// when it does (<c>five_hour</c>, <c>seven_day</c>). <see cref="Evidence"/> is the short text it was read from, for the
/// record (never more than a line, secrets already redacted by the caller).
/// </summary>
public sealed record LimitSignal(LimitKind Kind, DateTime? ResetAt, TimeSpan? ResetIn, string? Window, string Evidence);
