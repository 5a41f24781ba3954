using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using Supervisor.Service.Storage;

namespace Supervisor.Service.Dashboard;

/// <summary>
/// Tells open pages that tasks changed (<c>GET /api/events</c>): one query a second for the newest line of any task's audit
/// trail, shared by every listener and asked only while someone listens. A page that hears <c>changed</c> reads what it
/// shows again, so the stream itself carries no task data and needs no role beyond viewer.
/// </summary>
public sealed partial class TaskChanges(ITaskReads reads, ILogger<TaskChanges> logger) : BackgroundService
{
    /// <summary>How often the audit trail is asked while someone listens.</summary>
    public static readonly TimeSpan PollInterval = TimeSpan.FromSeconds(1);

    /// <summary>How long a quiet stream waits before it sends <c>ping</c>, which keeps proxies from closing it.</summary>
    public static readonly TimeSpan PingInterval = TimeSpan.FromSeconds(15);

    TaskCompletionSource<long> _next = new(TaskCreationOptions.RunContinuationsAsynchronously);
    long _last = -1;
    int _listeners;

    /// <summary>How many streams are open now.</summary>
    public int Listeners => Volatile.Read(ref _listeners);

    /// <summary><c>changed</c> (data: the newest audit line's id) at once and on every change; <c>ping</c> when quiet.</summary>
    public async IAsyncEnumerable<SseItem<TaskChange>> StreamAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _listeners);
        try
        {
            yield return new SseItem<TaskChange>(new TaskChange(Volatile.Read(ref _last)), "changed");
            while (!cancellationToken.IsCancellationRequested)
            {
                var next = Volatile.Read(ref _next).Task;
                var quiet = Task.Delay(PingInterval, cancellationToken);
                if (await Task.WhenAny(next, quiet) == next)
                    yield return new SseItem<TaskChange>(new TaskChange(await next), "changed");
                else if (!cancellationToken.IsCancellationRequested)
                    yield return new SseItem<TaskChange>(new TaskChange(Volatile.Read(ref _last)), "ping");
            }
        }
        finally
        {
            Interlocked.Decrement(ref _listeners);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(PollInterval);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            if (Listeners == 0)
                continue;
            try
            {
                var last = await reads.LastTransitionAsync(stoppingToken);
                if (last == Volatile.Read(ref _last))
                    continue;
                Volatile.Write(ref _last, last);
                Interlocked.Exchange(ref _next, new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult(last);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // The database is away: the pages keep what they show, and hear of the next change once it is back.
                NotAsked(logger, e.Message);
            }
        }
    }

    [LoggerMessage(LogLevel.Debug, "The dashboard's change feed could not ask the database: {Reason}")]
    static partial void NotAsked(ILogger logger, string reason);
}

/// <summary>The data of a change event: the id of the newest line of any task's audit trail.</summary>
public sealed record TaskChange(long Transition);
