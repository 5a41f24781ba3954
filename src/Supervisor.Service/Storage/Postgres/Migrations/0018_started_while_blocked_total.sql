-- supervisor_attempts_started_while_blocked_total as a running total (issue: performance, cost flat in history), kept by
-- triggers like the others of migration 0004 (family, the account in the agent column, label ''), instead of joining
-- every block episode of an account with the account's attempts on each scrape and each GET /api/agents.
--
-- What it counts is unchanged: the pairs of a block episode of an account and an attempt on that account that started
-- in [recorded_at, until) of the episode, whichever of the two is written or moved second. Each side takes the account's
-- row lock before it counts the other (a no-op where the start check or the signal already holds it, as they do), so of
-- two concurrent writers the second sees the first. Deleting attempts or episodes takes nothing off, as for every counter.

CREATE FUNCTION metric_blocks_covering(account text, started timestamptz) RETURNS bigint LANGUAGE sql STABLE AS $$
    SELECT count(*) FROM account_blocks AS b WHERE b.account = $1 AND $2 >= b.recorded_at AND $2 < b.until
$$;

CREATE FUNCTION metric_attempts_started_in(account text, since timestamptz, until timestamptz) RETURNS bigint LANGUAGE sql STABLE AS $$
    SELECT count(*) FROM task_attempts AS x WHERE x.account = $1 AND x.started_at >= $2 AND x.started_at < $3
$$;

CREATE FUNCTION metric_started_while_blocked_attempt() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    delta bigint := 0;
BEGIN
    PERFORM 1 FROM accounts WHERE id IN (NEW.account, CASE WHEN TG_OP = 'UPDATE' THEN OLD.account END) ORDER BY id FOR UPDATE;
    IF NEW.account IS NOT NULL AND NEW.started_at IS NOT NULL THEN
        delta := metric_blocks_covering(NEW.account, NEW.started_at);
    END IF;
    IF TG_OP = 'UPDATE' AND OLD.account IS NOT NULL AND OLD.started_at IS NOT NULL THEN
        delta := delta - metric_blocks_covering(OLD.account, OLD.started_at);
    END IF;
    IF delta <> 0 THEN
        INSERT INTO metric_deltas VALUES ('supervisor_attempts_started_while_blocked_total', NEW.account, '', delta);
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER metric_started_while_blocked AFTER INSERT ON task_attempts
    FOR EACH ROW WHEN (NEW.account IS NOT NULL AND NEW.started_at IS NOT NULL)
    EXECUTE FUNCTION metric_started_while_blocked_attempt();
CREATE TRIGGER metric_started_while_blocked_update AFTER UPDATE OF account, started_at ON task_attempts
    FOR EACH ROW WHEN ((OLD.account, OLD.started_at) IS DISTINCT FROM (NEW.account, NEW.started_at))
    EXECUTE FUNCTION metric_started_while_blocked_attempt();

CREATE FUNCTION metric_started_while_blocked_block() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM accounts WHERE id IN (NEW.account, CASE WHEN TG_OP = 'UPDATE' THEN OLD.account END) ORDER BY id FOR UPDATE;
    INSERT INTO metric_deltas
    SELECT 'supervisor_attempts_started_while_blocked_total', d.account, '', sum(d.n)
    FROM (SELECT NEW.account, metric_attempts_started_in(NEW.account, NEW.recorded_at, NEW.until)
          UNION ALL
          SELECT OLD.account, -metric_attempts_started_in(OLD.account, OLD.recorded_at, OLD.until) WHERE TG_OP = 'UPDATE') AS d (account, n)
    GROUP BY d.account
    HAVING sum(d.n) <> 0;
    RETURN NULL;
END
$$;

CREATE TRIGGER metric_started_while_blocked AFTER INSERT ON account_blocks
    FOR EACH ROW EXECUTE FUNCTION metric_started_while_blocked_block();
CREATE TRIGGER metric_started_while_blocked_update AFTER UPDATE OF account, recorded_at, until ON account_blocks
    FOR EACH ROW WHEN ((OLD.account, OLD.recorded_at, OLD.until) IS DISTINCT FROM (NEW.account, NEW.recorded_at, NEW.until))
    EXECUTE FUNCTION metric_started_while_blocked_block();

-- The history so far, as the scrape used to count it; the triggers hold their tables' locks until this migration commits.
INSERT INTO metric_totals
SELECT 'supervisor_attempts_started_while_blocked_total', b.account, '', count(*)
FROM account_blocks AS b JOIN task_attempts AS x ON x.account = b.account AND x.started_at >= b.recorded_at AND x.started_at < b.until
GROUP BY b.account
ON CONFLICT (family, agent, label) DO UPDATE SET value = metric_totals.value + excluded.value;
