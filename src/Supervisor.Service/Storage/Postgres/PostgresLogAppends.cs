using Npgsql;

namespace Supervisor.Service.Storage.Postgres;

/// <summary>
/// The one connection that LISTENs for appended output, shared by every log follower of this instance: a follower costs
/// no connection while it waits, so followers cannot starve the saga's pool. Each notification wakes the followers,
/// which read what is new. When the connection fails, the followers are woken (they read, and go on polling on their
/// slow timer) and it is opened again with a growing pause.
/// </summary>
sealed partial class PostgresLogAppends(NpgsqlDataSource dataSource, ILogger<PostgresLogAppends> logger) : BackgroundService
{
    public const string Channel = "task_logs";

    TaskCompletionSource _next = NewSignal();
    long _version;

    /// <summary>Appends from now on, for one follower.</summary>
    public ILogAppends Subscribe() => new Subscription(this, Interlocked.Read(ref _version));

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var pause = TimeSpan.FromSeconds(1);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var connection = await dataSource.OpenConnectionAsync(stoppingToken);
                connection.Notification += (_, _) => Signal();
                await using (var listen = new NpgsqlCommand($"LISTEN {Channel}", connection))
                    await listen.ExecuteNonQueryAsync(stoppingToken);
                pause = TimeSpan.FromSeconds(1);
                // Appends made while no one listened are found by the followers' next read.
                Signal();
                while (true)
                    await connection.WaitAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                // Whatever broke the connection (the database restarting, a network fault): followers poll meanwhile.
                LogListenFailed(e.Message, (int)pause.TotalSeconds);
                Signal();
                await Task.Delay(pause, stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
                pause = TimeSpan.FromTicks(Math.Min(pause.Ticks * 2, TimeSpan.FromSeconds(30).Ticks));
            }
        }
    }

    void Signal()
    {
        Interlocked.Increment(ref _version);
        Interlocked.Exchange(ref _next, NewSignal()).TrySetResult();
    }

    static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    [LoggerMessage(LogLevel.Warning, "Listening for appended output failed ({Reason}); log followers poll until it is back (again in {Seconds}s)")]
    partial void LogListenFailed(string reason, int seconds);

    /// <summary>One follower's view: an append since its last wait returns at once, so none is missed between reads.</summary>
    sealed class Subscription(PostgresLogAppends owner, long seen) : ILogAppends
    {
        long _seen = seen;

        public async Task WaitAsync(TimeSpan timeout, CancellationToken cancellationToken)
        {
            // Take the signal before comparing versions: an append between the two completes it.
            var next = Volatile.Read(ref owner._next);
            var current = Interlocked.Read(ref owner._version);
            if (current == _seen)
            {
                try
                {
                    await next.Task.WaitAsync(timeout, cancellationToken);
                }
                catch (TimeoutException)
                {
                    // The slow timer: the follower reads anyway.
                }
            }

            _seen = Interlocked.Read(ref owner._version);
        }

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
