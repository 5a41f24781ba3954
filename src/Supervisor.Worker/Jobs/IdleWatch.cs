namespace Supervisor.Worker.Jobs;

/// <summary>
/// An agent's <c>IdleTimeoutSeconds</c>: <see cref="Stalled"/> is cancelled once the agent has shown no sign of life
/// (<see cref="Touch"/>, on each piece of its output) for that long. Without a limit it never is.
/// </summary>
sealed class IdleWatch : IDisposable
{
    readonly TimeProvider _clock;
    readonly CancellationTokenSource _stalled = new();
    readonly ITimer? _timer;
    long _lastSign;

    public IdleWatch(TimeSpan? limit, TimeProvider clock)
    {
        _clock = clock;
        _lastSign = clock.GetTimestamp();
        Limit = limit;
        if (limit is { } idle)
        {
            // Checked ten times per limit (between 100 ms and 5 s apart): a stall is seen within a tenth of the limit.
            var period = TimeSpan.FromTicks(Math.Clamp(idle.Ticks / 10, TimeSpan.FromMilliseconds(100).Ticks, TimeSpan.FromSeconds(5).Ticks));
            _timer = clock.CreateTimer(_ => Check(idle), null, period, period);
        }
    }

    public TimeSpan? Limit { get; }

    public CancellationToken Stalled => _stalled.Token;

    public bool HasStalled => _stalled.IsCancellationRequested;

    public void Touch() => Interlocked.Exchange(ref _lastSign, _clock.GetTimestamp());

    void Check(TimeSpan limit)
    {
        if (_clock.GetElapsedTime(Interlocked.Read(ref _lastSign)) >= limit && !_stalled.IsCancellationRequested)
            _stalled.Cancel();
    }

    public void Dispose()
    {
        _timer?.Dispose();
        _stalled.Dispose();
    }
}
