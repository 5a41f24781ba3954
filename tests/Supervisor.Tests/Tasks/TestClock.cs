namespace Supervisor.Tests.Tasks;

/// <summary>The time of a spec: the real time plus however far the spec has moved it on.</summary>
/// <remarks>
/// It runs on from the real time because MassTransit reckons the time of a saga's schedule from
/// <see cref="DateTime.UtcNow"/> plus its delay, not from a <see cref="TimeProvider"/>: <see cref="FromRealTime"/> turns
/// such a time into this clock's.
/// </remarks>
sealed class TestClock : TimeProvider
{
    long _movedTicks;

    TimeSpan Moved => TimeSpan.FromTicks(Interlocked.Read(ref _movedTicks));

    public override DateTimeOffset GetUtcNow() => base.GetUtcNow() + Moved;

    /// <summary>The time on this clock of a moment reckoned on the real one.</summary>
    public DateTime FromRealTime(DateTime time) => time.ToUniversalTime() + Moved;

    public void Advance(TimeSpan by)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(by, TimeSpan.Zero);
        Interlocked.Add(ref _movedTicks, by.Ticks);
    }
}
