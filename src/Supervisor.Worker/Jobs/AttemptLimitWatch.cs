using Supervisor.Contracts;
using Supervisor.Rules.Interpretation;
using Supervisor.Rules.Limits;
using Supervisor.Worker.Execution;
using Supervisor.Worker.Metrics;

namespace Supervisor.Worker.Jobs;

/// <summary>
/// The provider limits one attempt's agent runs into, for a profile with an account (<see cref="Attempts.AccountIdentity"/>;
/// without one it does nothing). Each signal the output watch raises (<see cref="Seen"/>) is taken up after the output
/// that carried it (<see cref="AfterOutputAsync"/>): the first, and each that changes the kind or the reset, is published
/// at once as <see cref="AccountLimitSignalled"/> (the account is limited fleet-wide from then on, not only when the
/// attempt ends) and noted in the attempt's output. A reset beyond <c>Limits:EndAttemptWhenBlockedBeyond</c> ends the
/// attempt (<see cref="LimitEndedAttemptException"/>, which kills the agent); a nearer one is left for the CLI to wait out.
/// </summary>
public sealed class AttemptLimitWatch(
    AgentAttempt attempt,
    string? account,
    IReadOnlyList<string> secrets,
    TimeSpan endBeyond,
    Func<string, string, ValueTask> output,
    AttemptEvents events,
    WorkerMetrics metrics,
    TimeProvider clock)
{
    readonly Lock _gate = new();
    readonly Queue<LimitSignal> _pending = new();
    LimitSignal? _published;
    LimitReport? _last;
    string? _endedBecause;

    /// <summary>The account the attempt's limits apply to; null for a profile without one.</summary>
    public string? Account => account;

    /// <summary>Why the attempt was ended on a limit; null unless it was.</summary>
    public string? EndedBecause
    {
        get
        {
            lock (_gate)
                return _endedBecause;
        }
    }

    /// <summary>The live signal seen last, as reported; null when none showed.</summary>
    public LimitReport? Last
    {
        get
        {
            lock (_gate)
                return _last;
        }
    }

    /// <summary>For <see cref="RetryWatch.LimitSeen"/>: raised on the output path, so only queued here.</summary>
    public void Seen(LimitSignal signal)
    {
        if (account is null)
            return;
        lock (_gate)
            _pending.Enqueue(signal);
    }

    /// <summary>
    /// Takes up the signals seen so far, writing its notes into the attempt's output; throws
    /// <see cref="LimitEndedAttemptException"/> once, when a signal ends the attempt.
    /// </summary>
    public async ValueTask AfterOutputAsync()
    {
        if (account is null)
            return;
        var notes = new List<string>();
        string? end = null;
        lock (_gate)
        {
            while (_pending.TryDequeue(out var signal))
            {
                var now = clock.GetUtcNow().UtcDateTime;
                var report = LimitReports.From(signal, account, now, secrets);
                _last = report;
                // A CLI announces each of its retries: the same limit again is no news for the fleet.
                if (_published is { } previous && LimitReports.Same(previous, signal))
                    continue;
                _published = signal;
                metrics.LimitSignal(attempt.Agent, report.Kind, WorkerMetrics.LiveSignal);
                events.LimitSignalled(attempt, report);
                notes.Add(LimitReports.Line(signal, account, now));
                if (_endedBecause is null && LimitReports.EndsAttempt(signal, now, endBeyond))
                {
                    _endedBecause = end = LimitReports.EndMessage(signal, account, now, endBeyond);
                    notes.Add($"[supervisor: the limit resets beyond EndAttemptWhenBlockedBeyond ({LimitText.Duration(endBeyond)}): ending the attempt]\n");
                }
            }
        }

        foreach (var note in notes)
            await output(OutputCollector.SystemStream, note);
        if (end is not null)
            throw new LimitEndedAttemptException(end);
    }

    /// <summary>
    /// The limit a failed attempt reports: the live signal seen last, else <paramref name="final"/> (read from the output at
    /// the attempt's end), counted as a final signal; null for a profile without an account.
    /// </summary>
    public LimitReport? ForFailure(LimitSignal? final)
    {
        if (account is null)
            return null;
        var report = final is null ? null : LimitReports.From(final, account, clock.GetUtcNow().UtcDateTime, secrets);
        if (report is not null)
            metrics.LimitSignal(attempt.Agent, report.Kind, WorkerMetrics.FinalSignal);
        return Last ?? report;
    }
}

/// <summary>An agent's output showed a limit that resets beyond <c>Limits:EndAttemptWhenBlockedBeyond</c>; the attempt is ended.</summary>
public sealed class LimitEndedAttemptException(string message) : Exception(message);
