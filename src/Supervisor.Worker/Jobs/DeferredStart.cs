using Supervisor.Contracts;

namespace Supervisor.Worker.Jobs;

/// <summary>
/// The start event of an attempt, published once the attempt has run for a while. A short attempt carries its start in
/// its result instead: on a busy fleet most attempts of small jobs are short, and each start folded into a result saves
/// the broker a message and the saga a transaction. The task shows Running that much later; the recorded start time is
/// still when the agent process started.
/// </summary>
public sealed class DeferredStart : IAsyncDisposable
{
    const int Pending = 0;
    const int Published = 1;
    const int Taken = 2;

    readonly AgentJobStarted _started;
    readonly Func<AgentJobStarted, Task> _publish;
    readonly TaskCompletionSource _publishing = new(TaskCreationOptions.RunContinuationsAsynchronously);
    readonly ITimer? _timer;
    int _state;

    /// <param name="started">The start event to publish.</param>
    /// <param name="delay">How long the attempt runs before its start is published on its own; zero publishes it at once.</param>
    /// <param name="clock">The clock the delay runs on.</param>
    /// <param name="publish">Publishes the start event.</param>
    public DeferredStart(AgentJobStarted started, TimeSpan delay, TimeProvider clock, Func<AgentJobStarted, Task> publish)
    {
        _started = started;
        _publish = publish;
        if (delay <= TimeSpan.Zero)
            Announce();
        else
            _timer = clock.CreateTimer(_ => Announce(), null, delay, Timeout.InfiniteTimeSpan);
    }

    /// <summary>The start for the attempt's result to carry, or null when it was published on its own (returned once that publish is done).</summary>
    public async Task<AgentJobStarted?> TakeAsync()
    {
        _timer?.Dispose();
        if (Interlocked.CompareExchange(ref _state, Taken, Pending) == Pending)
            return _started;
        if (Volatile.Read(ref _state) == Published)
            await _publishing.Task;
        return null;
    }

    /// <summary>
    /// An attempt that ends without a result (the consumer threw) still gets its start on the record, if the broker takes
    /// it: a failure here must not replace the one the attempt is ending with.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        _timer?.Dispose();
        Announce();
        if (Volatile.Read(ref _state) == Published)
            await _publishing.Task.ContinueWith(_ => { }, CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
    }

    void Announce()
    {
        if (Interlocked.CompareExchange(ref _state, Published, Pending) == Pending)
            _ = PublishAsync();
    }

    async Task PublishAsync()
    {
        try
        {
            await _publish(_started);
            _publishing.SetResult();
        }
        catch (Exception e)
        {
            _publishing.SetException(e);
        }
    }
}
