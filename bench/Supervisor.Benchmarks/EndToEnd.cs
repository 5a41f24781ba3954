using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http.Json;
using Npgsql;

namespace Supervisor.Benchmarks;

/// <summary>
/// Submits tasks to a running service over HTTP (bounded concurrency, or paced at a fixed offered rate), waits until
/// every one is terminal by reading the database, then reports throughput and latencies; optionally after a warm-up
/// from the same process. Submit times are taken on
/// this client just before each POST; "started" is the attempt's started_at (the worker's clock, same machine),
/// "finished" is the task's finished_at (written by the saga in the transition to its terminal state).
/// </summary>
static class EndToEnd
{
    static readonly string[] Terminal = ["Succeeded", "Failed", "Cancelled", "Rejected"];

    public static async Task<int> RunAsync(BenchArgs args)
    {
        var api = new Uri(args.Get("api"));
        var n = args.Int("n", 2000);
        var concurrency = args.Int("concurrency", 32);
        var rate = args.Double("rate", 0);
        var warmup = args.Int("warmup", 0);
        var prefix = args.Values.TryGetValue("prefix", out var p) ? p : "e2e";
        var timeout = TimeSpan.FromSeconds(args.Int("timeout", 600));

        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = concurrency }) { BaseAddress = api };
        // The service requires a token, as a deployment does: bench.sh makes one for the run and passes it here.
        if (Environment.GetEnvironmentVariable("SUPERVISOR_TOKEN") is { Length: > 0 } token)
            http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        await using var dataSource = NpgsqlDataSource.Create(args.Get("pg"));

        // Warm-up tasks from this same process, as fast as allowed: the stack and this client are done compiling their
        // hot code before the measured tasks (a fresh client would otherwise spend a share of the machine on its JIT).
        if (warmup > 0 && await SubmitAndWaitAsync(http, dataSource, warmup, concurrency, 0, timeout, $"{prefix} warm-up") is null)
            return 1;

        // --ready FILE: say "warmed up" by creating FILE, and start measuring once the caller has deleted it (the
        // caller reads the processes' CPU counters in between).
        if (args.Values.TryGetValue("ready", out var ready))
        {
            await File.WriteAllTextAsync(ready, "");
            while (File.Exists(ready))
                await Task.Delay(20);
        }

        var run = await SubmitAndWaitAsync(http, dataSource, n, concurrency, rate, timeout, prefix);
        if (run is null)
            return 1;
        var (ids, submitted, wallStart, submitSeconds) = run.Value;

        var rows = await ReadAsync(dataSource, ids);
        var startedMs = new List<double>(n);
        var finishedMs = new List<double>(n);
        var succeeded = 0;
        var lastFinished = DateTime.MinValue;
        foreach (var row in rows)
        {
            var at = submitted[row.Id];
            if (row.State == "Succeeded")
                succeeded++;
            if (row.Started is { } started)
                startedMs.Add((started - at).TotalMilliseconds);
            if (row.Finished is { } finished)
            {
                finishedMs.Add((finished - at).TotalMilliseconds);
                lastFinished = finished > lastFinished ? finished : lastFinished;
            }
        }

        startedMs.Sort();
        finishedMs.Sort();
        var seconds = (lastFinished - wallStart).TotalSeconds;
        BenchArgs.Result($"{prefix}.tasks", n);
        BenchArgs.Result($"{prefix}.succeeded", succeeded);
        BenchArgs.Result($"{prefix}.submit_seconds", submitSeconds);
        BenchArgs.Result($"{prefix}.seconds", seconds);
        BenchArgs.Result($"{prefix}.tasks_per_s", n / seconds);
        foreach (var percent in new[] { 50, 95, 99 })
        {
            BenchArgs.Result($"{prefix}.started_p{percent}_ms", Percentiles.Of(startedMs, percent));
            BenchArgs.Result($"{prefix}.finished_p{percent}_ms", Percentiles.Of(finishedMs, percent));
        }

        // Slot freed → next attempt started, on each worker, while tasks wait for a slot: in a run submitted back to back,
        // some task waits from the first submit until the last attempt starts. (Paced below capacity, slots stand idle and
        // a gap would measure the offered rate, not the worker.)
        if (rate <= 0)
        {
            var attempts = await ReadAttemptsAsync(dataSource, ids);
            var gaps = SlotGaps(attempts, wallStart, attempts.Count == 0 ? wallStart : attempts.Max(a => a.Started));
            BenchArgs.Result($"{prefix}.slot_gaps", gaps.Count);
            foreach (var percent in new[] { 50, 95, 99 })
                BenchArgs.Result($"{prefix}.slot_gap_p{percent}_ms", Percentiles.Of(gaps, percent));
        }

        return succeeded == n ? 0 : 1;
    }

    /// <summary>
    /// For each attempt that ended on a worker inside [from, until], the time until the next attempt not yet paired
    /// started on the same worker: the first start at or after the end takes the slot that end freed (each start is
    /// paired once, in order). An attempt's end is the worker's time of its agent's exit; a start is when the service
    /// granted its lease. So a gap holds the worker's clean-up and report, the next delivery and the start check.
    /// </summary>
    static List<double> SlotGaps(IEnumerable<AttemptRow> attempts, DateTime from, DateTime until)
    {
        var gaps = new List<double>();
        foreach (var worker in attempts.GroupBy(a => a.Worker, StringComparer.Ordinal))
        {
            var starts = worker.Select(a => a.Started).Order().ToArray();
            var next = 0;
            foreach (var end in worker.Select(a => a.Finished).Order())
            {
                while (next < starts.Length && starts[next] < end)
                    next++;
                if (next == starts.Length)
                    break;
                if (end >= from && end <= until)
                    gaps.Add((starts[next] - end).TotalMilliseconds);
                next++;
            }
        }

        gaps.Sort();
        return gaps;
    }

    static async Task<List<AttemptRow>> ReadAttemptsAsync(NpgsqlDataSource dataSource, Guid[] ids)
    {
        await using var command = dataSource.CreateCommand("""
            SELECT worker, started_at, finished_at FROM task_attempts
            WHERE task_id = ANY($1) AND worker IS NOT NULL AND started_at IS NOT NULL AND finished_at IS NOT NULL
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = ids });
        var rows = new List<AttemptRow>(ids.Length);
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
            rows.Add(new AttemptRow(reader.GetString(0), reader.GetDateTime(1), reader.GetDateTime(2)));
        return rows;
    }

    sealed record AttemptRow(string Worker, DateTime Started, DateTime Finished);

    /// <summary>Submits n tasks (paced at rate when it is above 0) and waits until all are terminal; null after the timeout.</summary>
    static async Task<(Guid[] Ids, ConcurrentDictionary<Guid, DateTime> Submitted, DateTime WallStart, double SubmitSeconds)?> SubmitAndWaitAsync(
        HttpClient http, NpgsqlDataSource dataSource, int n, int concurrency, double rate, TimeSpan timeout, string what)
    {
        var submitted = new ConcurrentDictionary<Guid, DateTime>();
        var ids = Enumerable.Range(0, n).Select(_ => Guid.NewGuid()).ToArray();
        var gate = new SemaphoreSlim(concurrency);
        var clock = Stopwatch.StartNew();
        var wallStart = DateTime.UtcNow;
        var posts = new List<Task>(n);
        for (var i = 0; i < n; i++)
        {
            if (rate > 0)
            {
                var due = TimeSpan.FromSeconds(i / rate) - clock.Elapsed;
                if (due > TimeSpan.Zero)
                    await Task.Delay(due);
            }

            await gate.WaitAsync();
            var id = ids[i];
            posts.Add(Task.Run(async () =>
            {
                try
                {
                    submitted[id] = DateTime.UtcNow;
                    using var response = await http.PostAsJsonAsync("api/tasks", new { id, prompt = "true", agent = "shell" });
                    response.EnsureSuccessStatusCode();
                }
                finally
                {
                    gate.Release();
                }
            }));
        }

        await Task.WhenAll(posts);
        var submitSeconds = clock.Elapsed.TotalSeconds;

        var deadline = DateTime.UtcNow + timeout;
        long done;
        while ((done = await CountTerminalAsync(dataSource, ids)) < n)
        {
            if (DateTime.UtcNow > deadline)
            {
                await Console.Error.WriteLineAsync($"{what}: only {done} of {n} tasks terminal after {timeout.TotalSeconds:0} s");
                return null;
            }

            // Throughput and latencies come from the stored timestamps; polling more often would only load the database under test.
            await Task.Delay(500);
        }

        return (ids, submitted, wallStart, submitSeconds);
    }

    static async Task<long> CountTerminalAsync(NpgsqlDataSource dataSource, Guid[] ids)
    {
        await using var command = dataSource.CreateCommand("SELECT count(*) FROM tasks WHERE id = ANY($1) AND state = ANY($2)");
        command.Parameters.Add(new NpgsqlParameter { Value = ids });
        command.Parameters.Add(new NpgsqlParameter { Value = Terminal });
        return (long)(await command.ExecuteScalarAsync())!;
    }

    static async Task<List<Row>> ReadAsync(NpgsqlDataSource dataSource, Guid[] ids)
    {
        await using var command = dataSource.CreateCommand("""
            SELECT t.id, t.state, min(a.started_at), t.finished_at
            FROM tasks t LEFT JOIN task_attempts a ON a.task_id = t.id
            WHERE t.id = ANY($1)
            GROUP BY t.id, t.state, t.finished_at
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = ids });
        var rows = new List<Row>(ids.Length);
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            rows.Add(new Row(reader.GetGuid(0), reader.GetString(1),
                await reader.IsDBNullAsync(2) ? null : await reader.GetFieldValueAsync<DateTime>(2),
                await reader.IsDBNullAsync(3) ? null : await reader.GetFieldValueAsync<DateTime>(3)));
        }

        return rows;
    }

    sealed record Row(Guid Id, string State, DateTime? Started, DateTime? Finished);
}
