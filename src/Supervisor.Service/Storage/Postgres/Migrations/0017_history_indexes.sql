-- Cost flat in history (issue: performance): what the list's filters, the task's page and GET /metrics look up stays an
-- index lookup however many finished tasks are stored (scripts/bench.sh, part history: 1 000 000 tasks).

-- The list's label filter (labels ? key, labels @> {key: value}) and agent filter. The agent filter asks the chain as
-- jsonb (task_agents_json(agents) @> ["agent"]) rather than the array (agents @> ARRAY[agent]): PostgreSQL estimates an
-- element its array statistics do not list at 0.5 % of the rows, and for an agent no task names it walked the whole
-- history in creation order (0.7 s at 1 000 000 tasks); jsonb containment is estimated from the sampled values.
CREATE FUNCTION task_agents_json(agents text[]) RETURNS jsonb LANGUAGE sql IMMUTABLE PARALLEL SAFE AS 'SELECT to_jsonb(agents)';
CREATE INDEX tasks_agents ON tasks USING gin (task_agents_json(agents) jsonb_path_ops);
CREATE INDEX tasks_labels ON tasks USING gin (labels);

-- The list's text filter (prompt ILIKE '%text%') through trigrams. pg_trgm ships with PostgreSQL (contrib) and is a trusted
-- extension: the database's owner may create it. Where it cannot be created (not installed, or a role without CREATE on
-- the database) the filter gives the same answers, by reading every task.
DO $$
BEGIN
    CREATE EXTENSION IF NOT EXISTS pg_trgm;
EXCEPTION
    WHEN undefined_file OR insufficient_privilege OR feature_not_supported THEN
        RAISE WARNING 'pg_trgm is not available (%): the task list''s text filter reads every task', SQLERRM;
END
$$;
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm') THEN
        EXECUTE format('CREATE INDEX tasks_prompt_trigrams ON tasks USING gin (prompt %I.gin_trgm_ops)',
                       (SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'pg_trgm'));
    END IF;
END
$$;

-- An account's attempts by start: the attempts that started while it was blocked (GET /metrics, GET /api/agents), a range
-- per block episode instead of every attempt of the account for each.
CREATE INDEX task_attempts_by_account_started ON task_attempts (account, started_at) WHERE account IS NOT NULL;

-- An account's spend in its budget windows (GET /metrics, GET /api/agents, and each start on the account): the attempts
-- that finished on it since the day's or the month's start, summed from the index alone (the cost beside each entry)
-- rather than from a month of attempt rows.
CREATE INDEX task_attempts_by_account_finished_cost ON task_attempts (account, finished_at) INCLUDE (cost_usd) WHERE account IS NOT NULL;
DROP INDEX task_attempts_by_account_finished;
