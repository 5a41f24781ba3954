using System.Diagnostics;
using Npgsql;

namespace Supervisor.Benchmarks;

/// <summary>
/// Fills a fresh service database with <c>n</c> finished tasks, set-based (<c>INSERT … SELECT … FROM generate_series</c>),
/// with the rows the saga writes for them: 80 % Succeeded (one attempt; Initial→Submitted→Dispatched→Running→Succeeded),
/// 12 % Failed (three attempts of AgentFailure, the last two redeliveries; eight transitions), 8 % Cancelled (one attempt
/// cancelled by a person; four transitions). One task every 5 s, so 1 000 000 tasks span about 58 days up to now. Five
/// agent chains (claude+codex 45 %, codex 25 %, shell 18 %, gemini+claude 10 %, copilot 2 %); claude, codex and gemini
/// attempts run on a provider account with tokens and cost, and each account has a short cooling episode every 5 000
/// tasks (placed where no attempt starts: every attempt starts 1 s past a multiple of 5 s, the episodes last from 2 s to
/// 4.5 s past). Labels team (8 values), repo (50) and, on a tenth, priority=high; prompts name an issue number (0–49 999).
/// Ids are md5 of the task's number, so attempts and transitions are made from the same series without a join.
/// The triggers that keep GET /metrics' running totals are switched off while each table fills (inside its own
/// transaction, so no other session ever sees them off) and the totals are then added up from the rows with the triggers'
/// own functions, as migration 0004 counts the history it finds.
/// </summary>
static class HistorySeed
{
    // Shared by the three inserts: the task's number g (1..n), its id, state, chain and times. @n is the task count.
    const string Tasks = """
        SELECT g,
               md5('history-task-' || g)::uuid AS id,
               CASE WHEN g % 100 < 80 THEN 'Succeeded' WHEN g % 100 < 92 THEN 'Failed' ELSE 'Cancelled' END AS state,
               CASE WHEN abs(hashint4(g)) % 100 < 45 THEN '{claude,codex}'::text[] WHEN abs(hashint4(g)) % 100 < 70 THEN '{codex}'::text[]
                    WHEN abs(hashint4(g)) % 100 < 88 THEN '{shell}'::text[] WHEN abs(hashint4(g)) % 100 < 98 THEN '{gemini,claude}'::text[]
                    ELSE '{copilot}'::text[] END AS agents,
               date_trunc('second', now()) - make_interval(secs => (@n - g) * 5 + 3600) AS created_at
        FROM generate_series(1, @n) AS g
        """;

    public static async Task<double> RunAsync(NpgsqlDataSource db, int n)
    {
        await using (var check = db.CreateCommand("SELECT count(*) FROM tasks"))
        {
            if ((long)(await check.ExecuteScalarAsync())! != 0)
                throw new InvalidOperationException("history: the database already holds tasks; it seeds a fresh one only");
        }

        var clock = Stopwatch.StartNew();
        await InTransactionWithoutMetricTriggersAsync(db, "tasks", $$"""
            INSERT INTO tasks (id, state, prompt, agents, chain_index, pass, attempt_count, repository_path, expect_changes, labels,
                               submitted_by, created_at, updated_at, finished_at, error, result_agent, result_branch, result_commit,
                               result_diff_stat, result_summary)
            SELECT t.id, t.state,
                   format('Fix issue #%s in the %s module: the %s handling drops a field when a request is retried. Make the %s tests pass '
                          'again, keep the public API as it is and explain the change in the summary.',
                          g * 7 % 50000, (ARRAY['billing','auth','search','sync','export','import','reports','admin'])[g % 8 + 1],
                          (ARRAY['timeout','retry','cache','paging','encoding','locale'])[g % 6 + 1],
                          (ARRAY['unit','integration','contract'])[g % 3 + 1]),
                   t.agents, CASE WHEN t.state = 'Failed' THEN cardinality(t.agents) - 1 ELSE 0 END, 1,
                   CASE WHEN t.state = 'Failed' THEN 3 ELSE 1 END, '/srv/repos/repo-' || g * 31 % 50, true,
                   jsonb_build_object('team', (ARRAY['payments','platform','mobile','web','data','infra','growth','support'])[g % 8 + 1],
                                      'repo', 'repo-' || g * 31 % 50)
                     || CASE WHEN g % 10 = 0 THEN '{"priority":"high"}'::jsonb ELSE '{}'::jsonb END,
                   'bench', t.created_at, t.created_at + interval '200 seconds', t.created_at + interval '200 seconds',
                   CASE t.state WHEN 'Failed' THEN 'AgentFailure: exit code 1 after 3 attempts' END,
                   CASE WHEN t.state = 'Succeeded' THEN t.agents[1] END,
                   CASE WHEN t.state = 'Succeeded' THEN 'supervisor/' || left(t.id::text, 8) || '/1' END,
                   CASE WHEN t.state = 'Succeeded' THEN left(md5(t.id::text), 40) END,
                   CASE WHEN t.state = 'Succeeded' THEN '2 files changed, 14 insertions(+), 3 deletions(-)' END,
                   CASE WHEN t.state = 'Succeeded' THEN 'Kept the field on retries and added a test for it.' END
            FROM ({{Tasks}}) AS t
            """, n);
        var tasksSeconds = clock.Elapsed.TotalSeconds;

        // Attempts and transitions only reference tasks: two connections fill them at once.
        await Task.WhenAll(
            InTransactionWithoutMetricTriggersAsync(db, "task_attempts", $$"""
                INSERT INTO task_attempts (id, task_id, number, pass, agent, worker, host, redelivery, branch, started_at, finished_at,
                                           exit_code, error_class, message, output_chunks, input_tokens, output_tokens, cost_usd, account, model)
                SELECT md5('history-attempt-' || t.g || '-' || k)::uuid, t.id, k, 1, a.agent, 'worker-' || t.g % 6, 'host-' || t.g % 3, k - 1,
                       'supervisor/' || left(t.id::text, 8) || '/' || k,
                       t.created_at + make_interval(secs => 1 + (k - 1) * 60), t.created_at + make_interval(secs => 1 + (k - 1) * 60 + 20 + t.g % 40),
                       CASE t.state WHEN 'Succeeded' THEN 0 WHEN 'Failed' THEN 1 END,
                       CASE WHEN t.state = 'Failed' THEN 'AgentFailure' END,
                       CASE t.state WHEN 'Failed' THEN 'exit code 1' WHEN 'Cancelled' THEN 'cancelled' END,
                       12 + t.g % 30,
                       CASE WHEN a.account IS NOT NULL THEN 2000 + t.g % 5000 END, CASE WHEN a.account IS NOT NULL THEN 300 + t.g % 900 END,
                       CASE WHEN a.account IS NOT NULL THEN (0.01 + (t.g % 50) / 100.0)::numeric(12, 6) END,
                       a.account, CASE a.agent WHEN 'claude' THEN 'sonnet' END
                FROM ({{Tasks}}) AS t
                CROSS JOIN LATERAL generate_series(1, CASE WHEN t.state = 'Failed' THEN 3 ELSE 1 END) AS k
                CROSS JOIN LATERAL (SELECT t.agents[CASE WHEN t.state = 'Failed' THEN cardinality(t.agents) ELSE 1 END] AS agent) AS c
                CROSS JOIN LATERAL (SELECT c.agent,
                                           CASE c.agent WHEN 'claude' THEN 'claude/3fa9c2d1e0b4' WHEN 'codex' THEN 'codex/9b1c0e7d22aa'
                                                        WHEN 'gemini' THEN 'gemini/51d07e3a9c6f' END AS account) AS a
                """, n),
            InTransactionWithoutMetricTriggersAsync(db, "task_transitions", $$"""
                INSERT INTO task_transitions (task_id, from_state, to_state, event, at, by, reason)
                SELECT t.id, s.from_state, CASE WHEN s.to_state = '*' THEN t.state ELSE s.to_state END, s.event,
                       t.created_at + make_interval(secs => s.at), CASE WHEN t.state = 'Cancelled' AND s.to_state = '*' THEN 'alice' END,
                       CASE WHEN t.state = 'Cancelled' AND s.to_state = '*' THEN 'no longer needed' END
                FROM ({{Tasks}}) AS t
                -- A nested loop over the series in order: ids (identity) follow each task's steps, as the saga appends them.
                CROSS JOIN LATERAL (SELECT * FROM (VALUES ('', 1, 'Initial', 'Submitted', 'SubmitTask', 0),
                             ('', 2, 'Submitted', 'Dispatched', 'SubmitTask', 0),
                             ('', 3, 'Dispatched', 'Running', 'AttemptStartRequested', 1),
                             ('Failed', 4, 'Running', 'RetryScheduled', 'AgentAttemptFailed', 40),
                             ('Failed', 5, 'RetryScheduled', 'Running', 'AttemptStartRequested', 61),
                             ('Failed', 6, 'Running', 'RetryScheduled', 'AgentAttemptFailed', 100),
                             ('Failed', 7, 'RetryScheduled', 'Running', 'AttemptStartRequested', 121),
                             ('Failed', 8, 'Running', '*', 'RunAgentJobFaulted', 180),
                             ('Succeeded', 8, 'Running', '*', 'AgentJobCompleted', 60),
                             ('Cancelled', 8, 'Running', '*', 'CancelTask', 30))
                     AS v (applies, step, from_state, to_state, event, at) WHERE v.applies IN ('', t.state)) AS s
                """, n));
        var rowsSeconds = clock.Elapsed.TotalSeconds;

        await ExecuteAsync(db, $$"""
            INSERT INTO accounts (id, agent, state, updated_at)
            VALUES ('claude/3fa9c2d1e0b4', 'claude', 'ok', now()), ('codex/9b1c0e7d22aa', 'codex', 'ok', now()),
                   ('gemini/51d07e3a9c6f', 'gemini', 'ok', now())
            ON CONFLICT (id) DO NOTHING;
            INSERT INTO account_blocks (account, kind, limit_window, evidence, recorded_at, until, released_at)
            SELECT a.id, 'rateLimit', NULL, 'HTTP 429: rate limit exceeded, retry after 3s', t.created_at + interval '2 seconds',
                   t.created_at + interval '4.5 seconds', t.created_at + interval '4.5 seconds'
            FROM ({{Tasks}}) AS t CROSS JOIN (VALUES ('claude/3fa9c2d1e0b4'), ('codex/9b1c0e7d22aa'), ('gemini/51d07e3a9c6f')) AS a (id)
            WHERE t.g % 5000 = 0;
            -- What the switched-off triggers would have counted (metric_attempt of each attempt row, migration 0004), with the
            -- histograms' observations grouped by value before metric_observation buckets them.
            INSERT INTO metric_totals
            WITH a AS (
                SELECT a.agent, a.redelivery, a.number, a.exit_code, a.error_class, a.finished_at IS NOT NULL AS finished,
                       extract(epoch FROM a.finished_at - a.started_at)::float8 AS duration,
                       CASE WHEN a.number = 1 AND approved.task_id IS NULL THEN extract(epoch FROM a.started_at - t.created_at)::float8 END AS wait
                FROM task_attempts AS a JOIN tasks AS t ON t.id = a.task_id
                LEFT JOIN (SELECT DISTINCT task_id FROM task_transitions WHERE from_state = 'Submitted' AND to_state = 'AwaitingApproval')
                    AS approved ON approved.task_id = a.task_id),
            observed AS (
                SELECT 'supervisor_attempt_duration_seconds' AS family, agent, duration AS v, count(*) AS c FROM a
                WHERE duration IS NOT NULL GROUP BY agent, duration
                UNION ALL
                SELECT 'supervisor_queue_wait_seconds', agent, wait, count(*) FROM a WHERE wait IS NOT NULL GROUP BY agent, wait)
            SELECT family, agent, label, sum(value)
            FROM (SELECT 'supervisor_tasks', '', state, 1::float8 FROM tasks
                  UNION ALL
                  SELECT 'supervisor_redeliveries_total', agent, '', 1 FROM a WHERE redelivery > 0
                  UNION ALL
                  SELECT 'supervisor_attempts_total', agent,
                         coalesce(error_class, CASE WHEN exit_code = 0 THEN 'succeeded' ELSE 'cancelled' END), 1
                  FROM a WHERE finished
                  UNION ALL
                  SELECT o.family, o.agent, o.label, o.value * g.c FROM observed AS g, metric_observation(g.family, g.agent, g.v) AS o
                  UNION ALL
                  SELECT 'supervisor_fallbacks_total', '', '', 1 FROM task_transitions
                  WHERE event = 'RunAgentJobFaulted' AND to_state = 'Dispatched'
                  UNION ALL
                  SELECT 'supervisor_account_blocks_total', account, kind, 1 FROM account_blocks) AS s (family, agent, label, value)
            GROUP BY 1, 2, 3
            ON CONFLICT (family, agent, label) DO UPDATE SET value = metric_totals.value + excluded.value
            """, n);
        var totalsSeconds = clock.Elapsed.TotalSeconds;

        // As autovacuum would leave a table that has been stored for a while: statistics, and the visibility map that lets
        // an index answer alone.
        await ExecuteAsync(db, "VACUUM (ANALYZE) tasks, task_attempts, task_transitions, account_blocks, accounts, metric_totals", n);
        await Console.Error.WriteLineAsync(
            $"history: seeded {n} tasks in {clock.Elapsed.TotalSeconds:0.0} s (tasks {tasksSeconds:0.0} s, attempts and transitions " +
            $"{rowsSeconds - tasksSeconds:0.0} s, totals {totalsSeconds - rowsSeconds:0.0} s, vacuum {clock.Elapsed.TotalSeconds - totalsSeconds:0.0} s)");
        return clock.Elapsed.TotalSeconds;
    }

    /// <summary>
    /// Runs <paramref name="insert"/> into <paramref name="table"/> in one transaction as a bulk load: the metric triggers off
    /// (see the class), and the table's own indexes and foreign keys dropped first and made again from their definitions after
    /// (one index build and one validating join instead of a million index inserts and key checks). Nobody else sees the
    /// table without them: the transaction holds it locked until it commits, with the same schema as before.
    /// </summary>
    static async Task InTransactionWithoutMetricTriggersAsync(NpgsqlDataSource db, string table, string insert, int n)
    {
        await using var connection = await db.OpenConnectionAsync();
        await using var tx = await connection.BeginTransactionAsync();
        async Task RunAsync(string sql)
        {
            await using var command = new NpgsqlCommand(sql, connection, tx) { CommandTimeout = 0 };
            command.Parameters.AddWithValue("n", n);
            await command.ExecuteNonQueryAsync();
        }

        var recreate = new List<string>();
        var drop = new List<string>();
        await using (var definitions = new NpgsqlCommand("""
            SELECT format('DROP INDEX %I.%I', n.nspname, c.relname), pg_get_indexdef(i.indexrelid)
            FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE i.indrelid = @table::regclass AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)
            UNION ALL
            SELECT format('ALTER TABLE %s DROP CONSTRAINT %I', @table::regclass, conname),
                   format('ALTER TABLE %s ADD CONSTRAINT %I %s', @table::regclass, conname, pg_get_constraintdef(oid))
            FROM pg_constraint WHERE conrelid = @table::regclass AND contype = 'f'
            """, connection, tx))
        {
            definitions.Parameters.AddWithValue("table", table);
            await using var reader = await definitions.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                drop.Add(reader.GetString(0));
                recreate.Add(reader.GetString(1));
            }
        }

        await RunAsync($"SET LOCAL maintenance_work_mem = '256MB'; ALTER TABLE {table} DISABLE TRIGGER USER");
        foreach (var sql in drop)
            await RunAsync(sql);
        await RunAsync(insert);
        foreach (var sql in recreate)
            await RunAsync(sql);
        await RunAsync($"ALTER TABLE {table} ENABLE TRIGGER USER");
        await tx.CommitAsync();
    }

    static async Task ExecuteAsync(NpgsqlDataSource db, string sql, int n)
    {
        await using var command = db.CreateCommand(sql);
        command.CommandTimeout = 0;
        command.Parameters.AddWithValue("n", n);
        await command.ExecuteNonQueryAsync();
    }
}
