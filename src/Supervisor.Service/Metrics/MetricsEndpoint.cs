using Npgsql;
using Supervisor.Agents;
using Supervisor.Contracts;
using Supervisor.Metrics;
using Supervisor.Service.Fleet;

namespace Supervisor.Service.Metrics;

/// <summary>
/// <c>GET /metrics</c>: computed from the saga's tables at scrape time, so every service instance reports the same
/// fleet-wide figures and nothing is lost when an instance restarts. Counters only grow because records are kept.
/// </summary>
public static class MetricsEndpoint
{
    static readonly double[] DurationBounds = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600];
    static readonly double[] WaitBounds = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 60];

    public static IEndpointRouteBuilder MapMetrics(this IEndpointRouteBuilder app)
    {
        app.MapGet("/metrics", async (NpgsqlDataSource db, AgentCatalog catalog, FleetQueries fleet, QueueDepthProbe queues, CancellationToken cancellationToken) =>
        {
            var text = new PrometheusText();

            text.Family("supervisor_tasks", "gauge", "Tasks by state.");
            var byState = await RowsAsync(db, "SELECT state, count(*) FROM tasks GROUP BY state", cancellationToken);
            foreach (var state in TaskStates.All)
                text.Sample("supervisor_tasks", byState.Where(r => (string)r[0] == state).Sum(r => (long)r[1]), ("state", state));

            text.Family("supervisor_attempts_total", "counter", "Finished attempts by agent and outcome (a failure class, or succeeded / cancelled).");
            foreach (var row in await RowsAsync(db, """
                SELECT agent, coalesce(error_class, CASE WHEN exit_code = 0 THEN 'succeeded' ELSE 'cancelled' END), count(*)
                FROM task_attempts WHERE finished_at IS NOT NULL GROUP BY 1, 2 ORDER BY 1, 2
                """, cancellationToken))
                text.Sample("supervisor_attempts_total", (long)row[2], ("agent", (string)row[0]), ("outcome", (string)row[1]));

            text.Family("supervisor_redeliveries_total", "counter", "Attempts that were scheduled redeliveries of an earlier one, by agent.");
            foreach (var row in await RowsAsync(db, "SELECT agent, count(*) FROM task_attempts WHERE redelivery > 0 GROUP BY 1 ORDER BY 1", cancellationToken))
                text.Sample("supervisor_redeliveries_total", (long)row[1], ("agent", (string)row[0]));

            text.Family("supervisor_fallbacks_total", "counter", "Times a task was handed to the next agent of its chain.");
            var fallbacks = await RowsAsync(db,
                "SELECT count(*) FROM task_transitions WHERE event = 'RunAgentJobFaulted' AND to_state = 'Dispatched'", cancellationToken);
            text.Sample("supervisor_fallbacks_total", (long)fallbacks[0][0]);

            text.Family("supervisor_attempt_duration_seconds", "histogram", "Wall-clock time of finished attempts, by agent.");
            await HistogramAsync(db, text, "supervisor_attempt_duration_seconds", DurationBounds,
                "SELECT agent, extract(epoch FROM finished_at - started_at)::float8 FROM task_attempts WHERE finished_at IS NOT NULL AND started_at IS NOT NULL",
                cancellationToken);

            text.Family("supervisor_queue_wait_seconds", "histogram", "From submit to the start of a task's first attempt (tasks without approval), by agent.");
            await HistogramAsync(db, text, "supervisor_queue_wait_seconds", WaitBounds, """
                SELECT a.agent, extract(epoch FROM a.started_at - t.created_at)::float8
                FROM task_attempts a JOIN tasks t ON t.id = a.task_id
                WHERE a.number = 1 AND a.started_at IS NOT NULL
                  AND NOT EXISTS (SELECT 1 FROM task_transitions x WHERE x.task_id = t.id AND x.to_state = 'AwaitingApproval')
                """, cancellationToken);

            var workers = await fleet.WorkersAsync(cancellationToken);
            text.Family("supervisor_workers", "gauge", "Workers by agent they serve and status (live, lost).");
            text.Family("supervisor_queue_depth", "gauge", "Jobs waiting in each agent's queue.");
            foreach (var agent in catalog.Agents.Keys.Order())
            {
                var serving = workers.Where(w => w.Agents.Contains(agent, StringComparer.OrdinalIgnoreCase) && !w.Stopping).ToList();
                text.Sample("supervisor_workers", serving.Count(w => !w.Lost), ("agent", agent), ("status", "live"));
                text.Sample("supervisor_workers", serving.Count(w => w.Lost), ("agent", agent), ("status", "lost"));
                if (await queues.DepthAsync(agent, cancellationToken) is { } depth)
                    text.Sample("supervisor_queue_depth", depth, ("agent", agent));
            }

            return Results.Text(text.ToString(), "text/plain; version=0.0.4; charset=utf-8");
        });
        return app;
    }

    static async Task HistogramAsync(NpgsqlDataSource db, PrometheusText text, string name, double[] bounds, string sql, CancellationToken cancellationToken)
    {
        // Bucketed in the database so a scrape moves a few rows, not every attempt.
        var buckets = string.Join(", ", bounds.Select((b, i) =>
            $"count(*) FILTER (WHERE v <= {b.ToString(System.Globalization.CultureInfo.InvariantCulture)})"));
        foreach (var row in await RowsAsync(db, $"SELECT k, {buckets}, coalesce(sum(v), 0), count(*) FROM ({sql}) AS s(k, v) GROUP BY k ORDER BY k",
                     cancellationToken))
        {
            var cumulative = Enumerable.Range(1, bounds.Length).Select(i => (long)row[i]).ToList();
            text.Histogram(name, bounds, cumulative, (double)row[bounds.Length + 1], (long)row[bounds.Length + 2], ("agent", (string)row[0]));
        }
    }

    static async Task<List<object[]>> RowsAsync(NpgsqlDataSource db, string sql, CancellationToken cancellationToken)
    {
        await using var command = db.CreateCommand(sql);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var rows = new List<object[]>();
        while (await reader.ReadAsync(cancellationToken))
        {
            var row = new object[reader.FieldCount];
            reader.GetValues(row);
            rows.Add(row);
        }

        return rows;
    }
}
