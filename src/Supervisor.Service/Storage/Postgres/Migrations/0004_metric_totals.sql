-- Running totals behind GET /metrics, so that a scrape reads a few hundred rows however long the history is.
--
-- Triggers turn each change to tasks, attempts and transitions into deltas in the same transaction as the change, so
-- the totals are exact. Writers only append to metric_deltas: no row is shared, so concurrent saga transactions never
-- wait on each other. The service folds the deltas into metric_totals every few seconds; a scrape adds up both.
--
-- Deleting old tasks (pruning the history) takes them out of the supervisor_tasks gauge only: the counters and
-- histograms keep what they counted, as Prometheus counters must.

CREATE TABLE metric_totals (
    family text   NOT NULL,
    agent  text   NOT NULL,
    label  text   NOT NULL,
    value  float8 NOT NULL,
    PRIMARY KEY (family, agent, label)
);

CREATE TABLE metric_deltas (
    family text   NOT NULL,
    agent  text   NOT NULL,
    label  text   NOT NULL,
    value  float8 NOT NULL
);

-- Upper bounds of the histograms' buckets, in seconds. GET /metrics reads them from here.
CREATE FUNCTION metric_bounds(family text) RETURNS float8[] LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE family
        WHEN 'supervisor_attempt_duration_seconds' THEN '{0.1,0.25,0.5,1,2.5,5,10,30,60,300,900,3600}'::float8[]
        WHEN 'supervisor_queue_wait_seconds' THEN '{0.005,0.01,0.025,0.05,0.1,0.25,0.5,1,2.5,5,10,60}'::float8[]
    END
$$;

-- One observation of a histogram: a count for the bucket it falls in (labelled with that bucket's upper bound, or
-- '+Inf'), and its value for the sum.
CREATE FUNCTION metric_observation(family text, agent text, v float8)
    RETURNS TABLE (family text, agent text, label text, value float8) LANGUAGE sql STABLE AS $$
    SELECT family, agent,
           coalesce((SELECT min(b)::text FROM unnest(metric_bounds(family)) AS b WHERE v <= b), '+Inf'), 1
    UNION ALL
    SELECT family, agent, 'sum', v
$$;

-- What one attempt row counts for. The queue wait is the first attempt's, from submit, for tasks that did not wait
-- for approval after submit.
CREATE FUNCTION metric_attempt(a task_attempts)
    RETURNS TABLE (family text, agent text, label text, value float8) LANGUAGE sql STABLE AS $$
    SELECT 'supervisor_redeliveries_total', a.agent, '', 1
    WHERE a.redelivery > 0
    UNION ALL
    SELECT 'supervisor_attempts_total', a.agent,
           coalesce(a.error_class, CASE WHEN a.exit_code = 0 THEN 'succeeded' ELSE 'cancelled' END), 1
    WHERE a.finished_at IS NOT NULL
    UNION ALL
    SELECT o.* FROM metric_observation('supervisor_attempt_duration_seconds', a.agent,
                                       extract(epoch FROM a.finished_at - a.started_at)::float8) AS o
    WHERE a.finished_at IS NOT NULL AND a.started_at IS NOT NULL
    UNION ALL
    SELECT o.* FROM tasks AS t,
                    metric_observation('supervisor_queue_wait_seconds', a.agent,
                                       extract(epoch FROM a.started_at - t.created_at)::float8) AS o
    WHERE a.number = 1 AND a.started_at IS NOT NULL AND t.id = a.task_id
      AND NOT EXISTS (SELECT 1 FROM task_transitions AS x
                      WHERE x.task_id = a.task_id AND x.from_state = 'Submitted' AND x.to_state = 'AwaitingApproval')
$$;

CREATE FUNCTION metric_tasks_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        INSERT INTO metric_deltas VALUES ('supervisor_tasks', '', OLD.state, -1);
    END IF;
    IF TG_OP <> 'DELETE' THEN
        INSERT INTO metric_deltas VALUES ('supervisor_tasks', '', NEW.state, 1);
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER metric_tasks AFTER INSERT OR DELETE ON tasks
    FOR EACH ROW EXECUTE FUNCTION metric_tasks_changed();
CREATE TRIGGER metric_tasks_state AFTER UPDATE OF state ON tasks
    FOR EACH ROW WHEN (OLD.state IS DISTINCT FROM NEW.state) EXECUTE FUNCTION metric_tasks_changed();

-- An attempt's row is inserted, then updated as it starts and ends: count what the new row counts for, less what the
-- old one did.
CREATE FUNCTION metric_attempts_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO metric_deltas SELECT * FROM metric_attempt(NEW);
    ELSE
        INSERT INTO metric_deltas
        SELECT d.family, d.agent, d.label, sum(d.value)
        FROM (SELECT * FROM metric_attempt(NEW)
              UNION ALL
              SELECT o.family, o.agent, o.label, -o.value FROM metric_attempt(OLD) AS o) AS d
        GROUP BY 1, 2, 3
        HAVING sum(d.value) <> 0;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER metric_attempts AFTER INSERT ON task_attempts
    FOR EACH ROW EXECUTE FUNCTION metric_attempts_changed();
CREATE TRIGGER metric_attempts_update AFTER UPDATE ON task_attempts
    FOR EACH ROW
    WHEN ((OLD.agent, OLD.number, OLD.redelivery, OLD.started_at, OLD.finished_at, OLD.exit_code, OLD.error_class)
          IS DISTINCT FROM (NEW.agent, NEW.number, NEW.redelivery, NEW.started_at, NEW.finished_at, NEW.exit_code, NEW.error_class))
    EXECUTE FUNCTION metric_attempts_changed();

CREATE FUNCTION metric_fallback() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO metric_deltas VALUES ('supervisor_fallbacks_total', '', '', 1);
    RETURN NULL;
END
$$;

CREATE TRIGGER metric_fallbacks AFTER INSERT ON task_transitions
    FOR EACH ROW WHEN (NEW.event = 'RunAgentJobFaulted' AND NEW.to_state = 'Dispatched')
    EXECUTE FUNCTION metric_fallback();

-- The history so far. The triggers above hold their tables' locks until this migration commits, so no change
-- falls between this count and them.
INSERT INTO metric_totals
SELECT family, agent, label, sum(value)
FROM (SELECT 'supervisor_tasks', '', state, 1::float8 FROM tasks
      UNION ALL
      SELECT d.* FROM task_attempts AS a, metric_attempt(a) AS d
      UNION ALL
      SELECT 'supervisor_fallbacks_total', '', '', 1 FROM task_transitions
      WHERE event = 'RunAgentJobFaulted' AND to_state = 'Dispatched') AS s (family, agent, label, value)
GROUP BY 1, 2, 3;
