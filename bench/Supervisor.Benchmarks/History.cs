using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using Npgsql;

namespace Supervisor.Benchmarks;

/// <summary>
/// Cost flat in history: a running service whose fresh database is seeded with <c>--tasks</c> finished tasks
/// (<see cref="HistorySeed"/>), then, one request at a time after <c>--warmup</c> requests of each, <c>--requests</c> of each
/// read the API and the dashboard make, and of a submit; p50 / p99 in ms of each. Requests that differ per call (a page, a
/// task, a text) take theirs from a sample of the seeded tasks, so no answer is served from a warm cache of its own.
/// <c>--seed 0</c> measures a database seeded before; <c>--only list_text,show</c> measures those alone.
/// </summary>
static class History
{
    public static async Task<int> RunAsync(BenchArgs args)
    {
        var api = new Uri(args.Get("api"));
        var n = args.Int("tasks", 1_000_000);
        var requests = args.Int("requests", 300);
        var warmup = args.Int("warmup", 20);

        using var http = new HttpClient { BaseAddress = api, Timeout = TimeSpan.FromMinutes(2) };
        if (Environment.GetEnvironmentVariable("SUPERVISOR_TOKEN") is { Length: > 0 } token)
            http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        await using var db = NpgsqlDataSource.Create(args.Get("pg"));

        if (args.Int("seed", 1) == 1)
            BenchArgs.Result("history.seed_seconds", await HistorySeed.RunAsync(db, n));
        await using (var count = db.CreateCommand("SELECT count(*) FROM tasks"))
            BenchArgs.Result("history.tasks", (long)(await count.ExecuteScalarAsync())!);

        var ids = new List<Guid>();
        await using (var sample = db.CreateCommand("SELECT id FROM tasks TABLESAMPLE SYSTEM (1) LIMIT 2000"))
        await using (var reader = await sample.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
                ids.Add(reader.GetGuid(0));
        }

        if (ids.Count == 0)
        {
            await Console.Error.WriteLineAsync("history: no tasks stored");
            return 1;
        }

        var random = new Random(21);
        Guid AnyTask() => ids[random.Next(ids.Count)];
        var reads = new (string Name, Func<string> Path)[]
        {
            ("list", () => "api/tasks"),
            ("list_page", () => $"api/tasks?before={AnyTask()}"),
            ("list_state", () => "api/tasks?state=Failed"),
            ("list_agent", () => "api/tasks?agent=copilot"),
            ("list_label", () => $"api/tasks?label=repo%3Drepo-{random.Next(50)}"),
            // Filters that no stored task passes (an agent or a label not used so far): the whole history is looked at for them.
            ("list_agent_rare", () => $"api/tasks?agent=aider-{random.Next(50)}"),
            ("list_label_rare", () => $"api/tasks?label=ticket%3DT-{random.Next(50000)}"),
            ("list_text", () => string.Create(CultureInfo.InvariantCulture, $"api/tasks?text=issue%20%23{random.Next(50000)}%20")),
            ("counts", () => "api/tasks/counts"),
            ("show", () => $"api/tasks/{AnyTask()}"),
            ("metrics", () => "metrics"),
        };

        // --only list_text,show: those alone.
        var only = args.Values.TryGetValue("only", out var names) ? names.Split(',') : null;
        bool Measured(string name) => only is null || only.Contains(name, StringComparer.Ordinal);
        var failed = false;
        foreach (var (name, path) in reads.Where(r => Measured(r.Name)))
            failed |= !await MeasureAsync(name, warmup, requests, () => http.GetAsync(path()));

        // The bench's shell agent may have no worker: what counts is how long the API takes to accept the task.
        if (Measured("submit"))
        {
            failed |= !await MeasureAsync("submit", warmup, requests, () =>
                http.PostAsJsonAsync("api/tasks", new { prompt = "true", agent = "shell", labels = new Dictionary<string, string>(StringComparer.Ordinal) { ["bench"] = "history" } }));
        }

        return failed ? 1 : 0;
    }

    /// <summary>
    /// Times <paramref name="requests"/> calls one after the other, after <paramref name="warmup"/> untimed ones, or as many as
    /// fit in a minute (at least 20; a read of the whole history can take a second); false when one failed.
    /// </summary>
    static async Task<bool> MeasureAsync(string name, int warmup, int requests, Func<Task<HttpResponseMessage>> call)
    {
        var latencies = new List<double>(requests);
        var budget = Stopwatch.StartNew();
        for (var i = 0; i < warmup + requests && !(latencies.Count >= 20 && budget.Elapsed > TimeSpan.FromMinutes(1)); i++)
        {
            var clock = Stopwatch.StartNew();
            using var response = await call();
            await response.Content.ReadAsByteArrayAsync();
            var ms = clock.Elapsed.TotalMilliseconds;
            if (!response.IsSuccessStatusCode)
            {
                await Console.Error.WriteLineAsync($"history: {name}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
                return false;
            }

            if (i >= warmup)
                latencies.Add(ms);
        }

        latencies.Sort();
        BenchArgs.Result($"history.{name}_requests", latencies.Count);
        BenchArgs.Result($"history.{name}_p50_ms", Percentiles.Of(latencies, 50));
        BenchArgs.Result($"history.{name}_p99_ms", Percentiles.Of(latencies, 99));
        return true;
    }
}
