using System.Collections.Concurrent;
using System.Diagnostics;
using Hangfire;
using Hangfire.PostgreSql;

namespace Supervisor.Benchmarks;

/// <summary>
/// The peer a .NET user would pick instead: Hangfire with its PostgreSQL storage, on the same PostgreSQL, running the same
/// job as the e2e part (<c>/bin/sh -c true</c>, started as a worker starts an agent: <see cref="AgentProcessFloor.RunOneAsync"/>) with the same concurrency
/// (<c>--workers</c>, 16 = two workers of 8). A warm-up first, then <c>--n</c> jobs enqueued with <c>--concurrency</c>
/// (32) enqueues in flight, as the e2e client submits; jobs/s from the first enqueue to the last job done, and
/// enqueue→done percentiles. A peer in this tool only, never in the product.
/// </summary>
static class HangfirePeer
{
    public static async Task<int> RunAsync(BenchArgs args)
    {
        var n = args.Int("n", 2000);
        var warmup = args.Int("warmup", 500);
        var workers = args.Int("workers", 16);
        var concurrency = args.Int("concurrency", 32);
        GlobalConfiguration.Configuration
            .SetDataCompatibilityLevel(CompatibilityLevel.Version_180)
            .UseSimpleAssemblyNameTypeSerializer()
            .UseRecommendedSerializerSettings()
            // Its defaults, as a user starts: long polling (LISTEN/NOTIFY) measured slower here with a backlog, 76 against 91 jobs/s.
            .UsePostgreSqlStorage(o => o.UseNpgsqlConnection(args.Get("pg")), new PostgreSqlStorageOptions { PrepareSchemaIfNecessary = true });
        using var server = new BackgroundJobServer(new BackgroundJobServerOptions { WorkerCount = workers });
        var client = new BackgroundJobClient();

        await RunBatchAsync(client, warmup, concurrency);
        var (seconds, latencies) = await RunBatchAsync(client, n, concurrency);

        BenchArgs.Result("hangfire.jobs", n);
        BenchArgs.Result("hangfire.jobs_per_s", n / seconds);
        BenchArgs.Result("hangfire.finished_p50_ms", Percentiles.Of(latencies, 50));
        BenchArgs.Result("hangfire.finished_p99_ms", Percentiles.Of(latencies, 99));
        return 0;
    }

    static async Task<(double Seconds, List<double> LatenciesMs)> RunBatchAsync(BackgroundJobClient client, int count, int concurrency)
    {
        PeerJob.Expect(count);
        var clock = Stopwatch.StartNew();
        // As the e2e client submits: this many enqueues in flight (each is a transaction of its own).
        await Parallel.ForAsync(0, count, new ParallelOptions { MaxDegreeOfParallelism = concurrency }, (_, _) =>
        {
            client.Enqueue(() => PeerJob.RunAsync(Stopwatch.GetTimestamp()));
            return ValueTask.CompletedTask;
        });
        await PeerJob.AllDone.WaitAsync(TimeSpan.FromMinutes(10));
        var seconds = clock.Elapsed.TotalSeconds;
        var latencies = PeerJob.Latencies.Order().ToList();
        return (seconds, latencies);
    }
}

/// <summary>The job Hangfire runs: one agent-like process, and how long after its enqueue it was done.</summary>
public static class PeerJob
{
    static int _remaining;
    static TaskCompletionSource _allDone = new(TaskCreationOptions.RunContinuationsAsynchronously);

    internal static ConcurrentBag<double> Latencies { get; private set; } = [];

    internal static Task AllDone => _allDone.Task;

    internal static void Expect(int count)
    {
        Latencies = [];
        _allDone = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Volatile.Write(ref _remaining, count);
    }

    public static async Task RunAsync(long enqueuedAt)
    {
        await AgentProcessFloor.RunOneAsync();
        Latencies.Add(Stopwatch.GetElapsedTime(enqueuedAt).TotalMilliseconds);
        if (Interlocked.Decrement(ref _remaining) == 0)
            _allDone.TrySetResult();
    }
}
