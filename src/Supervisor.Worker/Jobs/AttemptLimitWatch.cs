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
/// attempt ends) and noted in the attempt's output; one without a reset after one with a reset restates it and is dropped. A reset beyond <c>Limits:EndAttemptWhenBlockedBeyond</c> ends the
/// attempt: an agent still running <see cref="Grace"/> later is stopped (<see cref="Stop"/> is cancelled); a nearer
/// reset is left for the CLI to wait out.
/// </summary>
public sealed class AttemptLimitWatch(
    AgentAttempt attempt,
    string? account,
    IReadOnlyList<string> secrets,
    TimeSpan endBeyond,
    Func<string, string, ValueTask> output,
    AttemptEvents events,
    WorkerMetrics metrics,
    TimeProvider clock) : IDisposable
{
    /// <summary>
    /// How long an agent whose limit ends the attempt may still exit by itself. Many limit lines are the CLI's last words
    /// (a terminal quota error, its final result), and an agent that exits keeps its own exit code and report; only one
    /// that goes on to sleep on its own retry is stopped.
    /// </summary>
    public static readonly TimeSpan Grace = TimeSpan.FromSeconds(3);

    readonly Lock _gate = new();
    readonly Queue<LimitSignal> _pending = new();
    readonly CancellationTokenSource _stop = new();
    ITimer? _timer;
    LimitSignal? _published;
    LimitReport? _last;
    string? _endedBecause;

    /// <summary>The account the attempt's limits apply to; null for a profile without one.</summary>
    public string? Account => account;

    /// <summary>Cancelled when the agent is to be stopped: a limit ended the attempt and the agent did not exit within <see cref="Grace"/>.</summary>
    public CancellationToken Stop => _stop.Token;

    /// <summary>Why the agent was stopped on a limit; null unless it was.</summary>
    public string? StoppedBecause
    {
        get
        {
            lock (_gate)
                return _stop.IsCancellationRequested ? _endedBecause : null;
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

    /// <summary>Takes up the signals seen so far, writing its notes into the attempt's output.</summary>
    public async ValueTask AfterOutputAsync()
    {
        if (account is null)
            return;
        var notes = new List<string>();
        lock (_gate)
        {
            while (_pending.TryDequeue(out var signal))
            {
                var now = clock.GetUtcNow().UtcDateTime;
                // A limit without a reset after one that named it is the CLI restating it (claude's final "Request rejected
                // (429)" after its retry notice): it is no news, and the reset already known stays the attempt's.
                if (_published is { ResetAt: not null } or { ResetIn: not null } && signal is { ResetAt: null, ResetIn: null })
                    continue;
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
                    _endedBecause = LimitReports.EndMessage(signal, account, now, endBeyond);
                    _timer = clock.CreateTimer(_ => StopAgent(), null, Grace, Timeout.InfiniteTimeSpan);
                    notes.Add($"[supervisor: the limit resets beyond EndAttemptWhenBlockedBeyond ({LimitText.Duration(endBeyond)}): ending the attempt "
                              + $"(the agent is stopped unless it exits within {LimitText.Duration(Grace)})]\n");
                }
            }
        }

        foreach (var note in notes)
            await output(OutputCollector.SystemStream, note);
    }

    /// <summary>
    /// The limit a failed attempt reports: the live signal seen last, else <paramref name="final"/> (read from the output at
    /// the attempt's end), counted as a final signal; null for a profile without an account. A live signal with a reset
    /// wins over a final one without.
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

    void StopAgent()
    {
        try
        {
            _stop.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // The attempt ended (and disposed the watch) just as the grace ran out: nothing left to stop.
        }
    }

    public void Dispose()
    {
        ITimer? timer;
        lock (_gate)
            timer = _timer;
        timer?.Dispose();
        _stop.Dispose();
    }
}
