-- Recurring schedules (issue: recurring and delayed tasks). A schedule's row is the one source of truth of what is due;
-- every decision about its fires is taken under its row lock, so the decisions of one schedule are serial across
-- service instances. schedule_fires is the decision log: one row per occurrence decided (run, buffered or skipped),
-- its task id derived from (schedule, occurrence), so that no fire can make a second task.
CREATE TABLE schedules (
    id uuid PRIMARY KEY,
    name text UNIQUE,
    cron text,
    every interval,
    time_zone text NOT NULL,
    template jsonb NOT NULL,
    overlap text NOT NULL,
    catch_up_window interval NOT NULL,
    catch_up text NOT NULL,
    start_at timestamptz,
    end_at timestamptz,
    paused boolean NOT NULL,
    paused_by text,
    pause_reason text,
    evaluated_until timestamptz NOT NULL,
    last_fire_at timestamptz,
    next_fire_at timestamptz,
    missed_catch_up bigint NOT NULL DEFAULT 0,
    coalesced bigint NOT NULL DEFAULT 0,
    overlap_skipped bigint NOT NULL DEFAULT 0,
    created_by text,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    CHECK ((cron IS NULL) <> (every IS NULL)));
-- The sweep looks for schedules whose wake-up is overdue.
CREATE INDEX schedules_due ON schedules (next_fire_at) WHERE NOT paused AND next_fire_at IS NOT NULL;

CREATE TABLE schedule_fires (
    schedule_id uuid NOT NULL REFERENCES schedules (id) ON DELETE CASCADE,
    occurrence_at timestamptz NOT NULL,
    kind text NOT NULL,
    outcome text NOT NULL,
    task_id uuid NOT NULL,
    reason text,
    decided_at timestamptz NOT NULL,
    -- submitted and its task not yet seen ended: what the overlap policy counts as open
    open boolean NOT NULL DEFAULT false,
    PRIMARY KEY (schedule_id, occurrence_at, kind));
CREATE UNIQUE INDEX schedule_fires_one_buffered ON schedule_fires (schedule_id) WHERE outcome = 'buffered';
CREATE INDEX schedule_fires_open ON schedule_fires (schedule_id) WHERE open;
CREATE INDEX schedule_fires_decided_at ON schedule_fires (decided_at);
CREATE UNIQUE INDEX schedule_fires_task ON schedule_fires (task_id);
