using Supervisor.Contracts;
using Supervisor.Rules.Limits;
using Supervisor.Rules.Redaction;

namespace Supervisor.Worker.Jobs;

/// <summary>
/// What the worker makes of a limit signal read from an agent's output: the report it publishes for the account, the note
/// it writes into the attempt's output, and whether the attempt ends at once or the CLI is left to wait the limit out.
/// </summary>
public static class LimitReports
{
    /// <summary>
    /// <paramref name="signal"/> as the report of <paramref name="account"/>, observed at <paramref name="now"/> (the
    /// worker's clock, which a relative reset counts from). The evidence is redacted as the output is: it is read from
    /// the agent's raw output, before the output collector's redaction.
    /// </summary>
    public static LimitReport From(LimitSignal signal, string account, DateTime now, IReadOnlyList<string> secrets)
    {
        ArgumentNullException.ThrowIfNull(signal);
        var redactor = new SecretRedactor(secrets);
        var evidence = redactor.Push(signal.Evidence) + redactor.Flush();
        return new LimitReport(account, LimitNames.Of(signal.Kind), signal.ResetAt, signal.ResetIn?.TotalSeconds, signal.Window, evidence, now);
    }

    /// <summary>How far ahead of <paramref name="now"/> the signal's reset is; null when it names none.</summary>
    public static TimeSpan? Ahead(LimitSignal signal, DateTime now)
    {
        ArgumentNullException.ThrowIfNull(signal);
        return signal.ResetAt is { } at ? at - now : signal.ResetIn;
    }

    /// <summary>
    /// Whether an agent whose output shows <paramref name="signal"/> is stopped at once: its reset is further ahead than
    /// <paramref name="beyond"/> (<c>Limits:EndAttemptWhenBlockedBeyond</c>), so the CLI would only sleep on its own retry
    /// holding a worker. An exhausted quota or a billing stop without a reset counts as beyond (no retry of the CLI lifts
    /// it); a rate limit or usage window without one is left to the CLI, which ends on it soon enough.
    /// </summary>
    public static bool EndsAttempt(LimitSignal signal, DateTime now, TimeSpan beyond) =>
        Ahead(signal, now) is { } ahead ? ahead > beyond : signal.Kind is LimitKind.Quota or LimitKind.Billing;

    /// <summary>Whether two signals of one attempt say the same (kind and reset): only a change is published again.</summary>
    public static bool Same(LimitSignal first, LimitSignal second)
    {
        ArgumentNullException.ThrowIfNull(first);
        ArgumentNullException.ThrowIfNull(second);
        return first.Kind == second.Kind && first.ResetAt == second.ResetAt && first.ResetIn == second.ResetIn;
    }

    /// <summary>The limit and its reset in prose: <c>rate limit on claude/3fa9c2d1e0b4, resets in 20s (15:04:05Z)</c>.</summary>
    public static string Describe(LimitSignal signal, string account, DateTime now)
    {
        ArgumentNullException.ThrowIfNull(signal);
        var kind = LimitText.Kind(signal.Kind) + (signal.Window is { } window ? $" ({window})" : "");
        if (Ahead(signal, now) is not { } ahead)
            return $"{kind} on {account}, no reset given";
        // Whole seconds: the reset is never known better, and "19.998s" reads as noise.
        var seconds = TimeSpan.FromSeconds(Math.Max(0, Math.Round(ahead.TotalSeconds)));
        return $"{kind} on {account}, resets in {LimitText.Duration(seconds)} ({LimitText.Time(signal.ResetAt ?? now + seconds, now)})";
    }

    /// <summary>The supervisor's note in the attempt's output when a limit shows (one line, ending in a newline).</summary>
    public static string Line(LimitSignal signal, string account, DateTime now) =>
        $"[supervisor: limit: {Describe(signal, account, now)}; reported to the service for the whole fleet]\n";

    /// <summary>Why an attempt <see cref="EndsAttempt"/> ended it: its failure's message.</summary>
    public static string EndMessage(LimitSignal signal, string account, DateTime now, TimeSpan beyond) =>
        $"{Describe(signal, account, now)}: beyond EndAttemptWhenBlockedBeyond ({LimitText.Duration(beyond)}), the agent was stopped rather than left to wait";
}
