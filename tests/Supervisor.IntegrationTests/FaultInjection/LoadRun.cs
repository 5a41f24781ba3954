using System.Data;
using System.Diagnostics;
using System.Globalization;
using Npgsql;
using Supervisor.IntegrationTests.Infrastructure;
using Xunit.Abstractions;

namespace Supervisor.IntegrationTests.FaultInjection;

/// <summary>
/// A stack of one service and two workers of the agent <c>load</c> (TestAgents/load-agent.sh: 0.1–2 s per attempt,
/// one task in five fails once as overloaded), 200 tasks submitted, a fault injected while they run (<see cref="FaultAfter"/>
/// succeeded, ten times the stack's 16 slots still to go), and the invariants checked on the record afterwards.
/// </summary>
sealed class LoadRun : IAsyncDisposable
{
    public const int Tasks = 200;

    /// <summary>How many tasks have succeeded when the fault comes: the run is in full flow.</summary>
    public const int FaultAfter = 40;
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

    /// <summary>Starts the stack on <paramref name="services"/> (containers of the test's own) or on the shared ones, and submits the tasks.</summary>
    public static async Task<LoadRun> StartAsync(string name, ITestOutputHelper output, ServiceContainers? services = null)
    {
        var state = TestEnvironment.SharedDirectory("supervisor-load-");
        var script = TestEnvironment.AgentScript("load-agent.sh");
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
        var stack = await SupervisorStack.StartOnAsync(services, name, config, services: 1, ("load", 2));
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
        // Lost and given back attempts are both ContainerCrash: their messages tell which.
        var crashes = await RowsAsync(connection, """
            SELECT regexp_replace(left(message, 48), '[0-9a-f-]{8,}|worker-[0-9a-z-]+', '…', 'g'), count(*)::text
            FROM task_attempts WHERE error_class = 'ContainerCrash' GROUP BY 1 ORDER BY 1
            """);
        if (crashes.Count > 0)
            Log("ContainerCrash attempts: " + string.Join("; ", crashes.Select(r => $"{r[0]}… {r[1]}")));

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

        await AssertMetricTotalsMatchARecountAsync(connection);

        var retried = await CountAsync("SELECT count(*) FROM (SELECT task_id FROM task_attempts GROUP BY task_id HAVING count(*) > 1) m");
        Log($"tasks with more than one attempt: {retried}; invariants hold");
    }

    /// <summary>
    /// GET /metrics reads running totals that triggers keep (migration 0004). Whatever the fault did, they must equal a
    /// recount of the history written here independently of the triggers, read in the same snapshot.
    /// </summary>
    async Task AssertMetricTotalsMatchARecountAsync(NpgsqlConnection connection)
    {
        await using var tx = await connection.BeginTransactionAsync(IsolationLevel.RepeatableRead);
        var kept = await SeriesAsync(connection, tx, """
            SELECT family, agent, label, sum(value)
            FROM (SELECT family, agent, label, value FROM metric_totals UNION ALL SELECT family, agent, label, value FROM metric_deltas) AS s
            GROUP BY 1, 2, 3
            """);
        var recount = await SeriesAsync(connection, tx, """
            WITH observed AS (
                SELECT 'supervisor_attempt_duration_seconds' AS family, agent, extract(epoch FROM finished_at - started_at)::float8 AS v
                FROM task_attempts WHERE finished_at IS NOT NULL AND started_at IS NOT NULL
                UNION ALL
                SELECT 'supervisor_queue_wait_seconds', a.agent, extract(epoch FROM a.started_at - t.created_at)::float8
                FROM task_attempts a JOIN tasks t ON t.id = a.task_id
                WHERE a.number = 1 AND a.started_at IS NOT NULL
                  AND NOT EXISTS (SELECT 1 FROM task_transitions x
                                  WHERE x.task_id = t.id AND x.from_state = 'Submitted' AND x.to_state = 'AwaitingApproval'))
            SELECT 'supervisor_tasks', '', state, count(*)::float8 FROM tasks GROUP BY state
            UNION ALL
            SELECT 'supervisor_attempts_total', agent, coalesce(error_class, CASE WHEN exit_code = 0 THEN 'succeeded' ELSE 'cancelled' END), count(*)
            FROM task_attempts WHERE finished_at IS NOT NULL GROUP BY 2, 3
            UNION ALL
            SELECT 'supervisor_redeliveries_total', agent, '', count(*) FROM task_attempts WHERE redelivery > 0 GROUP BY 2
            UNION ALL
            SELECT 'supervisor_fallbacks_total', '', '', count(*) FROM task_transitions
            WHERE event = 'RunAgentJobFaulted' AND to_state = 'Dispatched'
            UNION ALL
            SELECT family, agent, coalesce((SELECT min(b) FROM unnest(metric_bounds(family)) AS b WHERE v <= b)::text, '+Inf'), count(*)
            FROM observed GROUP BY 1, 2, 3
            UNION ALL
            SELECT family, agent, 'sum', sum(v) FROM observed GROUP BY 1, 2
            """);
        await tx.CommitAsync();

        var differing = kept.Keys.Union(recount.Keys)
            .Select(key => (key, kept: kept.GetValueOrDefault(key), recount: recount.GetValueOrDefault(key)))
            .Where(d => Math.Abs(d.kept - d.recount) > 1e-6 * Math.Max(1, Math.Abs(d.recount)))
            .ToList();
        Assert.True(differing.Count == 0,
            "metric totals differ from a recount: " + string.Join("; ", differing.Select(d => $"{d.key} kept {d.kept}, recount {d.recount}")));
        Log($"metric totals match a recount of the history ({recount.Count} series)");
    }

    static async Task<Dictionary<string, double>> SeriesAsync(NpgsqlConnection connection, NpgsqlTransaction tx, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection, tx);
        await using var reader = await command.ExecuteReaderAsync();
        var series = new Dictionary<string, double>();
        while (await reader.ReadAsync())
            series[$"{reader.GetString(0)}{{{reader.GetString(1)}|{reader.GetString(2)}}}"] = Convert.ToDouble(reader.GetValue(3), CultureInfo.InvariantCulture);
        return series;
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
