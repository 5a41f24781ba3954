using System.Diagnostics;
using System.Globalization;
using Npgsql;
using Supervisor.IntegrationTests.Infrastructure;
using Xunit.Abstractions;

namespace Supervisor.IntegrationTests.FaultInjection;

/// <summary>
/// A stack of one service and two workers of the agent <c>load</c> (TestAgents/load-agent.sh: 0.1–2 s per attempt,
/// one task in five fails once as overloaded), 300 tasks submitted, a fault injected while they run, and the
/// invariants checked on the record afterwards.
/// </summary>
sealed class LoadRun : IAsyncDisposable
{
    public const int Tasks = 300;
    /// <summary>
    /// The slowest legitimate recoveries: the watchdog's 90 s (below) and a restart; or a claim whose worker never
    /// learned it had it (its start check's reply lost with the connection), taken over after the 2-minute result grace.
    /// </summary>
    static readonly TimeSpan Deadline = TimeSpan.FromMinutes(5);

    readonly ITestOutputHelper _output;
    readonly string _state;
    readonly Stopwatch _clock = new();

    LoadRun(ITestOutputHelper output, SupervisorStack stack, string state)
    {
        _output = output;
        _state = state;
        Stack = stack;
    }

    public SupervisorStack Stack { get; }

    public List<Guid> Ids { get; } = [];

    public static async Task<LoadRun> StartAsync(string name, ITestOutputHelper output)
    {
        var state = Directory.CreateTempSubdirectory("supervisor-load-").FullName;
        var script = Path.Combine(AppContext.BaseDirectory, "TestAgents", "load-agent.sh");
        var config = new Dictionary<string, string>
        {
            ["Supervisor__Agents__load__Command"] = "/bin/sh",
            ["Supervisor__Agents__load__Args__0"] = script,
            ["Supervisor__Agents__load__Args__1"] = "{prompt}",
            ["Supervisor__Agents__load__Env__LOAD_STATE"] = state,
            ["Supervisor__Agents__load__Isolation"] = "none",
            ["Supervisor__Agents__load__Concurrency"] = "8",
            ["Supervisor__Agents__load__Retry__Intervals__0"] = "00:00:00.3",
            ["Supervisor__Agents__load__Retry__Intervals__1"] = "00:00:00.3",
            ["Supervisor__Agents__load__Retry__Intervals__2"] = "00:00:00.3",
            ["Supervisor__Agents__load__Retry__Jitter"] = "0",
            // well within the time the run is given after its fault
            ["Supervisor__Watchdog__StuckAfter"] = "00:01:30",
        };
        var stack = await SupervisorStack.StartAsync(name, config, services: 1, ("load", 2));
        var run = new LoadRun(output, stack, state);
        run._clock.Start();
        var random = new Random(name.GetHashCode(StringComparison.Ordinal));
        var prompts = Enumerable.Range(0, Tasks).Select(_ => string.Create(CultureInfo.InvariantCulture,
            $"{0.1 + (random.NextDouble() * 1.9):0.00} {(random.Next(5) == 0 ? 1 : 0)}")).ToList();
        foreach (var chunk in prompts.Chunk(16))
            run.Ids.AddRange(await Task.WhenAll(chunk.Select(p => stack.Api.SubmitAsync(new { prompt = p, agent = "load" }))));
        run.Log($"submitted {Tasks} tasks");
        return run;
    }

    public void Log(string message) => _output.WriteLine($"[{_clock.Elapsed.TotalSeconds,6:0.0}s] {message}");

    /// <summary>Waits until at least <paramref name="count"/> tasks have succeeded: the fault then hits a run in full flow.</summary>
    public async Task WaitForSucceededAsync(int count)
    {
        while (await CountAsync("SELECT count(*) FROM tasks WHERE state = 'Succeeded'") < count)
            await Task.Delay(200);
        Log($"{count}+ tasks succeeded, {await CountAsync("SELECT count(*) FROM tasks WHERE state IN ('Dispatched', 'Running', 'RetryScheduled')")} in flight");
    }

    /// <summary>Waits until every task is terminal, then checks the invariants and reports the figures.</summary>
    public async Task AssertAllSettledCorrectlyAsync()
    {
        var deadline = DateTime.UtcNow + Deadline;
        long open;
        while ((open = await CountAsync("SELECT count(*) FROM tasks WHERE state NOT IN ('Succeeded', 'Failed', 'Cancelled', 'Rejected')")) > 0)
        {
            if (DateTime.UtcNow >= deadline)
            {
                await ReportStuckAsync();
                Assert.Fail($"{open} tasks still not terminal after {Deadline.TotalMinutes} min");
            }

            await Task.Delay(250);
        }

        Log("every task terminal");
        await using var connection = new NpgsqlConnection(Stack.Resources.InspectionPostgres);
        await connection.OpenAsync();

        var states = await RowsAsync(connection, "SELECT state, count(*)::text FROM tasks GROUP BY state ORDER BY state");
        Log("tasks by state: " + string.Join(", ", states.Select(r => $"{r[0]} {r[1]}")));
        var stored = await RowsAsync(connection, "SELECT id::text FROM tasks");
        Assert.Equal(Tasks, stored.Count);
        Assert.Equal(Ids.Select(i => i.ToString()).Order(), stored.Select(r => r[0]).Order());

        var attempts = await RowsAsync(connection, """
            SELECT coalesce(error_class, CASE WHEN finished_at IS NULL THEN 'unfinished' ELSE 'succeeded' END), count(*)::text
            FROM task_attempts GROUP BY 1 ORDER BY 1
            """);
        Log("attempts: " + string.Join(", ", attempts.Select(r => $"{r[0]} {r[1]}")));

        var wrongSuccesses = await RowsAsync(connection, """
            SELECT t.id::text, count(a.id) FILTER (WHERE a.error_class IS NULL AND a.finished_at IS NOT NULL)::text
            FROM tasks t LEFT JOIN task_attempts a ON a.task_id = t.id
            WHERE t.state = 'Succeeded'
            GROUP BY t.id
            HAVING count(a.id) FILTER (WHERE a.error_class IS NULL AND a.finished_at IS NOT NULL) <> 1
            """);
        Assert.True(wrongSuccesses.Count == 0,
            "succeeded tasks without exactly one successful attempt: " + string.Join(", ", wrongSuccesses.Select(r => $"{r[0]} ({r[1]})")));

        // The audit trail is a chain: each transition starts where the previous one ended, and the last ends in the task's state.
        var broken = await RowsAsync(connection, """
            WITH ordered AS (
                SELECT task_id, from_state, to_state, lag(to_state) OVER (PARTITION BY task_id ORDER BY id) AS previous,
                       row_number() OVER (PARTITION BY task_id ORDER BY id DESC) AS from_end
                FROM task_transitions)
            SELECT o.task_id::text, o.from_state || '->' || o.to_state
            FROM ordered o JOIN tasks t ON t.id = o.task_id
            WHERE (o.previous IS NOT NULL AND o.previous <> o.from_state) OR (o.from_end = 1 AND o.to_state <> t.state)
            """);
        Assert.True(broken.Count == 0, "broken audit trails: " + string.Join(", ", broken.Take(10).Select(r => $"{r[0]} {r[1]}")));
        var without = await CountAsync("SELECT count(*) FROM tasks t WHERE NOT EXISTS (SELECT 1 FROM task_transitions x WHERE x.task_id = t.id)");
        Assert.Equal(0, without);

        var retried = await CountAsync("SELECT count(*) FROM (SELECT task_id FROM task_attempts GROUP BY task_id HAVING count(*) > 1) m");
        Log($"tasks with more than one attempt: {retried}; invariants hold");
    }

    /// <summary>Where the unfinished tasks are: their states, the queues, and the logs of the processes involved.</summary>
    async Task ReportStuckAsync()
    {
        await using var connection = new NpgsqlConnection(Stack.Resources.InspectionPostgres);
        await connection.OpenAsync();
        var states = await RowsAsync(connection, "SELECT state, count(*)::text FROM tasks GROUP BY state ORDER BY state");
        Log("tasks by state: " + string.Join(", ", states.Select(r => $"{r[0]} {r[1]}")));
        Log("queues: " + string.Join("; ", await Stack.Resources.DescribeQueuesAsync()));
        Log("process logs: " + string.Join(", ", Stack.LogFiles));
    }

    async Task<long> CountAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(Stack.Resources.InspectionPostgres);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    static async Task<List<string[]>> RowsAsync(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<string[]>();
        while (await reader.ReadAsync())
            rows.Add([.. Enumerable.Range(0, reader.FieldCount).Select(i => reader.GetString(i))]);
        return rows;
    }

    public async ValueTask DisposeAsync()
    {
        await Stack.DisposeAsync();
        Directory.Delete(_state, recursive: true);
    }
}
