using System.Globalization;
using Npgsql;
using Supervisor.IntegrationTests.Infrastructure;
using Supervisor.Worker.Containers;

namespace Supervisor.IntegrationTests.Nemesis;

/// <summary>
/// The campaign's invariants, checked once the faults have stopped, every one of them (not up to the first broken one),
/// on what any client can see: the API's answers, the agent's own marks, the broker's queues, and the database's rows
/// (read only). Each gives a <see cref="Verdict"/> with its evidence.
/// </summary>
sealed class Invariants(SupervisorStack stack, FleetApi api, Workload workload, string runsLog, Timeline timeline)
{
    static readonly string[] Terminal = ["Succeeded", "Failed", "Cancelled", "Rejected"];

    /// <summary>How long tasks still open at the bound are watched further, to tell a late task from a stuck one.</summary>
    static readonly TimeSpan LateWindow = TimeSpan.FromSeconds(60);

    public async Task<IReadOnlyList<Verdict>> CheckAsync(TimeSpan bound)
    {
        var verdicts = new List<Verdict> { await Checked("every task terminal within the bound", () => TerminalWithinAsync(bound)) };
        var runs = AgentRuns.Read(runsLog);
        timeline.Log($"agent runs marked: {runs.Count} ({runs.Count(r => r.Outcome == "ok")} ok)");
        verdicts.Add(await Checked("at most one success per task", () => OneSuccessAsync(runs)));
        verdicts.Add(await Checked("no agent started after its task's cancel was acknowledged", () => Task.FromResult(NoStartAfterCancel(runs))));
        verdicts.Add(await Checked("every _error queue empty or accounted for", () => new DeadLetterCheck(stack, api).CheckAsync()));
        verdicts.Add(await Checked("every audit trail a consistent chain", AuditChainsAsync));
        verdicts.Add(await Checked("/metrics totals equal a recount", () => new MetricsCheck(stack, api).CheckAsync()));
        verdicts.Add(await Checked("no agent process outlives its task", () => NoOrphansAsync(runs)));
        verdicts.Add(await Checked("no delayed task started before its time", NotBeforeRunAtAsync));
        return verdicts;
    }

    static async Task<Verdict> Checked(string invariant, Func<Task<(bool Holds, string Evidence)>> check)
    {
        try
        {
            var (holds, evidence) = await check();
            return new Verdict(invariant, holds, evidence);
        }
        catch (Exception e) when (e is NpgsqlException or HttpRequestException or InvalidOperationException or IOException)
        {
            return new Verdict(invariant, false, $"could not be checked: {e.GetType().Name}: {e.Message}");
        }
    }

    async Task<(bool, string)> TerminalWithinAsync(TimeSpan bound)
    {
        var accepted = workload.Accepted.Keys.ToArray();
        var deadline = DateTime.UtcNow + bound;
        var started = DateTime.UtcNow;
        List<string[]> open, missing;
        while (true)
        {
            await using var connection = await OpenAsync();
            open = await RowsAsync(connection, "SELECT id::text, state FROM tasks WHERE state <> ALL(@terminal)", ("terminal", Terminal));
            missing = await RowsAsync(connection, "SELECT a::text FROM unnest(@accepted) a WHERE NOT EXISTS (SELECT 1 FROM tasks t WHERE t.id = a)", ("accepted", accepted));
            if ((open.Count == 0 && missing.Count == 0) || DateTime.UtcNow >= deadline)
                break;
            await Task.Delay(TimeSpan.FromSeconds(1));
        }

        await using var db = await OpenAsync();
        var states = await RowsAsync(db, "SELECT state, count(*)::text FROM tasks GROUP BY 1 ORDER BY 1");
        var summary = $"{accepted.Length} accepted of {workload.Tasks.Count}; by state: {string.Join(", ", states.Select(r => $"{r[0]} {r[1]}"))}";
        if (open.Count == 0 && missing.Count == 0)
            return (true, $"{summary}; all terminal {(DateTime.UtcNow - started).TotalSeconds:0} s after the faults and the operator stopped");
        var details = await RowsAsync(db, """
            SELECT t.id::text || ' ' || t.state || ' since ' || to_char(t.updated_at, 'HH24:MI:SS')
                   || ' (last: ' || coalesce((SELECT x.from_state || '->' || x.to_state || ' ' || x.event FROM task_transitions x
                                              WHERE x.task_id = t.id ORDER BY x.id DESC LIMIT 1), '-')
                   || '; attempts: ' || coalesce((SELECT string_agg(a.number || '/' || a.agent || '@' || coalesce(a.worker, '?') || ':'
                                                   || coalesce(a.error_class, CASE WHEN a.finished_at IS NULL THEN 'open' ELSE 'ok' END), ' ' ORDER BY a.id)
                                                  FROM task_attempts a WHERE a.task_id = t.id), 'none') || ')'
            FROM tasks t WHERE t.state <> ALL(@terminal) ORDER BY t.updated_at LIMIT 12
            """, ("terminal", Terminal));
        var late = await EndedLaterAsync(open.Select(r => Guid.Parse(r[0])).ToArray());
        return (false, $"{summary}; after {bound.TotalSeconds:0} s {open.Count} not terminal ("
            + string.Join(", ", open.GroupBy(r => r[1]).Select(g => $"{g.Key} {g.Count()}")) + $"), {missing.Count} accepted (202) but absent"
            + (missing.Count > 0 ? $" [{string.Join(", ", missing.Take(8).Select(r => r[0]))}]" : "")
            + (details.Count > 0 ? "; oldest: " + string.Join("; ", details.Select(r => r[0])) : "") + "; " + late);
    }

    /// <summary>Which of the tasks open at the bound end within another <see cref="LateWindow"/>: late, or stuck.</summary>
    async Task<string> EndedLaterAsync(Guid[] open)
    {
        var until = DateTime.UtcNow + LateWindow;
        var ended = new Dictionary<Guid, DateTime>();
        while (ended.Count < open.Length && DateTime.UtcNow < until)
        {
            await Task.Delay(TimeSpan.FromSeconds(2));
            await using var connection = await OpenAsync();
            foreach (var row in await RowsAsync(connection, "SELECT id::text FROM tasks WHERE id = ANY(@open) AND state = ANY(@terminal)", ("open", open), ("terminal", Terminal)))
                ended.TryAdd(Guid.Parse(row[0]), DateTime.UtcNow);
        }

        return $"of these, {ended.Count} ended within {LateWindow.TotalSeconds:0} s more (late), {open.Length - ended.Count} did not (stuck)"
            + (ended.Count < open.Length ? $" [{string.Join(", ", open.Where(o => !ended.ContainsKey(o)).Take(10))}]" : "");
    }

    async Task<(bool, string)> OneSuccessAsync(IReadOnlyList<AgentRun> runs)
    {
        await using var connection = await OpenAsync();
        var recorded = await RowsAsync(connection, """
            SELECT t.id::text || ' ' || t.state || ': ' || count(a.id) FILTER (WHERE a.error_class IS NULL AND a.finished_at IS NOT NULL AND a.exit_code = 0)
                   || ' successful attempts (' || string_agg(a.number || '/' || a.agent || '@' || coalesce(a.worker, '?') || ':'
                   || coalesce(a.error_class, CASE WHEN a.finished_at IS NULL THEN 'open' WHEN a.exit_code = 0 THEN 'ok' ELSE 'cancelled' END), ' ' ORDER BY a.id) || ')'
            FROM tasks t LEFT JOIN task_attempts a ON a.task_id = t.id
            GROUP BY t.id
            HAVING count(a.id) FILTER (WHERE a.error_class IS NULL AND a.finished_at IS NOT NULL AND a.exit_code = 0) > 1
                OR (t.state = 'Succeeded' AND count(a.id) FILTER (WHERE a.error_class IS NULL AND a.finished_at IS NOT NULL AND a.exit_code = 0) <> 1)
            """);
        // A run that ended ok while its worker was stopped or cut off may have been superseded (its lease taken over): the
        // record must then say so. Wrong is an ok run the record does not know, or two ok runs the record counts as successes.
        var twice = runs.Where(r => r.Outcome == "ok").GroupBy(r => r.Task).Where(g => g.Count() > 1).ToList();
        var attempts = (await RowsAsync(connection, """
            SELECT a.task_id::text, a.number::text, coalesce(a.error_class, CASE WHEN a.finished_at IS NULL THEN 'open' WHEN a.exit_code = 0 THEN 'ok' ELSE 'cancelled' END),
                   t.state
            FROM task_attempts a JOIN tasks t ON t.id = a.task_id WHERE a.task_id = ANY(@ids)
            """, ("ids", twice.Select(g => g.Key).ToArray())))
            .ToDictionary(r => (Guid.Parse(r[0]), int.Parse(r[1], CultureInfo.InvariantCulture)), r => (Class: r[2], State: r[3]));
        var marked = twice
            .Where(g => g.Any(r => !attempts.ContainsKey((g.Key, r.Attempt))) || g.Count(r => attempts.GetValueOrDefault((g.Key, r.Attempt)).Class == "ok") > 1)
            .Select(g => $"{g.Key}: " + string.Join(" and ", g.Select(r =>
                $"attempt {r.Attempt} {r.StartedAt:HH:mm:ss.fff}-{r.EndedAt:HH:mm:ss.fff} pid {r.Pid} (recorded {(attempts.TryGetValue((g.Key, r.Attempt), out var rec) ? rec.Class : "nowhere")})")))
            .ToList();
        var holds = recorded.Count == 0 && marked.Count == 0;
        return (holds, $"on the record: {recorded.Count} tasks with a wrong number of successes"
            + (recorded.Count > 0 ? $" [{string.Join("; ", recorded.Take(8).Select(r => r[0]))}]" : "")
            + $"; from the agent's marks: {twice.Count} tasks whose agent finished ok more than once (superseded runs), {marked.Count} of them not so on the record"
            + (marked.Count > 0 ? $" [{string.Join("; ", marked.Take(8))}]" : ""));
    }

    (bool, string) NoStartAfterCancel(IReadOnlyList<AgentRun> runs)
    {
        var late = runs
            .Where(r => workload.CancelAcks.TryGetValue(r.Task, out var ack) && r.StartedAt > ack)
            .Select(r => $"{r.Task} attempt {r.Attempt} ({r.Agent}, pid {r.Pid}) started {(r.StartedAt - workload.CancelAcks[r.Task]).TotalSeconds:0.00} s after the cancel's 202 at {workload.CancelAcks[r.Task]:HH:mm:ss.fff}")
            .ToList();
        return (late.Count == 0, $"{workload.CancelAcks.Count} cancels acknowledged (Cancelled, agent stopped); {late.Count} agent starts after one"
            + (late.Count > 0 ? $" [{string.Join("; ", late.Take(10))}]" : ""));
    }

    async Task<(bool, string)> NoOrphansAsync(IReadOnlyList<AgentRun> runs)
    {
        await using var connection = await OpenAsync();
        var ended = (await RowsAsync(connection, "SELECT id::text FROM tasks WHERE state = ANY(@terminal)", ("terminal", Terminal)))
            .Select(r => Guid.Parse(r[0])).ToHashSet();
        var alive = runs.Where(r => r.Outcome is null && ended.Contains(r.Task) && AgentRuns.StillRuns(r.Pid)).ToList();
        // the boxed agent's runs are containers: none of an ended task may still run
        using var docker = DockerConnection.FromEnvironment();
        var boxes = (await docker.Containers.ListContainersAsync(ContainerRequests.Labelled(ContainerRequests.TaskLabel)))
            .Select(c => (Task: c.Labels is { } labels && labels.TryGetValue(ContainerRequests.TaskLabel, out var label) && Guid.TryParse(label, out var task) ? task : Guid.Empty,
                Name: c.Names?.FirstOrDefault() ?? c.ID, c.State))
            .Where(c => workload.Accepted.ContainsKey(c.Task)).ToList();
        var running = boxes.Where(c => c.State == "running" && ended.Contains(c.Task)).ToList();
        return (alive.Count == 0 && running.Count == 0,
            $"{runs.Count(r => r.Outcome is null)} runs never marked their end; {alive.Count} still running although their task has ended"
            + (alive.Count > 0 ? $" [{string.Join("; ", alive.Take(8).Select(r => $"{r.Task} attempt {r.Attempt} pid {r.Pid} since {r.StartedAt:HH:mm:ss}"))}]" : "")
            + $"; {boxes.Count} attempt containers of the campaign's tasks left ({boxes.Count(c => c.State != "running")} stopped), {running.Count} running although their task has ended"
            + (running.Count > 0 ? $" [{string.Join("; ", running.Take(8).Select(c => $"{c.Name} of {c.Task}"))}]" : ""));
    }

    /// <summary>Judged on the service's clock, which both the runAt and the record of an attempt's start are on.</summary>
    async Task<(bool, string)> NotBeforeRunAtAsync()
    {
        await using var connection = await OpenAsync();
        var delayed = await RowsAsync(connection, """
            SELECT count(*)::text, count(*) FILTER (WHERE t.state = 'Succeeded')::text, count(*) FILTER (WHERE t.state = 'Cancelled')::text
            FROM tasks t WHERE t.run_at IS NOT NULL
            """);
        var early = await RowsAsync(connection, """
            SELECT t.id::text || ' runAt ' || to_char(t.run_at, 'HH24:MI:SS.MS') || ': ' || x.what || ' at ' || to_char(x.at, 'HH24:MI:SS.MS')
            FROM tasks t
            JOIN LATERAL (SELECT 'attempt ' || a.number AS what, a.started_at AS at FROM task_attempts a WHERE a.task_id = t.id
                          UNION ALL
                          SELECT 'Submitted->' || x.to_state, x.at FROM task_transitions x
                          WHERE x.task_id = t.id AND x.from_state = 'Submitted' AND x.to_state NOT IN ('Cancelled', 'Failed')) x ON x.at < t.run_at
            WHERE t.run_at IS NOT NULL
            """);
        return (early.Count == 0, $"{delayed[0][0]} delayed tasks ({delayed[0][1]} succeeded, {delayed[0][2]} cancelled); {early.Count} starts before their time"
            + (early.Count > 0 ? $" [{string.Join("; ", early.Take(10).Select(r => r[0]))}]" : ""));
    }

    async Task<(bool, string)> AuditChainsAsync()
    {
        await using var connection = await OpenAsync();
        // each transition starts where the previous one ended, and the last ends in the task's state
        var broken = await RowsAsync(connection, """
            WITH ordered AS (
                SELECT task_id, from_state, to_state, event, lag(to_state) OVER (PARTITION BY task_id ORDER BY id) AS previous,
                       row_number() OVER (PARTITION BY task_id ORDER BY id DESC) AS from_end
                FROM task_transitions)
            SELECT o.task_id::text || ' ' || coalesce(o.previous, '') || ' then ' || o.from_state || '->' || o.to_state || ' (' || o.event || '), task ' || t.state
            FROM ordered o JOIN tasks t ON t.id = o.task_id
            WHERE (o.previous IS NOT NULL AND o.previous <> o.from_state) OR (o.from_end = 1 AND o.to_state <> t.state)
            """);
        var without = await RowsAsync(connection, "SELECT id::text FROM tasks t WHERE NOT EXISTS (SELECT 1 FROM task_transitions x WHERE x.task_id = t.id)");
        return (broken.Count == 0 && without.Count == 0, $"{broken.Count} broken links, {without.Count} tasks without a trail"
            + (broken.Count > 0 ? $" [{string.Join("; ", broken.Take(10).Select(r => r[0]))}]" : "")
            + (without.Count > 0 ? $" [no trail: {string.Join(", ", without.Take(5).Select(r => r[0]))}]" : ""));
    }

    async Task<NpgsqlConnection> OpenAsync()
    {
        var connection = new NpgsqlConnection(stack.Resources.InspectionPostgres);
        await connection.OpenAsync();
        return connection;
    }

    /// <summary>The rows of <paramref name="sql"/>, every column as text.</summary>
    public static async Task<List<string[]>> RowsAsync(NpgsqlConnection connection, string sql, params (string Name, object Value)[] parameters)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var (name, value) in parameters)
            command.Parameters.AddWithValue(name, value);
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<string[]>();
        while (await reader.ReadAsync())
            rows.Add([.. Enumerable.Range(0, reader.FieldCount).Select(i => Convert.ToString(reader.GetValue(i), CultureInfo.InvariantCulture) ?? "")]);
        return rows;
    }
}
