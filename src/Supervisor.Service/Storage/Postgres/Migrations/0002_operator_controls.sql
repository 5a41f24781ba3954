ALTER TABLE tasks
    ADD COLUMN paused_from            text,
    ADD COLUMN dispatch_on_resume     boolean NOT NULL DEFAULT false,
    ADD COLUMN approval_timeout_token uuid;

ALTER TABLE task_transitions
    ADD COLUMN by     text,
    ADD COLUMN reason text;

-- Latest heartbeat of every worker; what GET /api/agents shows as the fleet.
CREATE TABLE workers (
    id             text PRIMARY KEY,
    host           text        NOT NULL,
    agents         text[]      NOT NULL,
    running        jsonb       NOT NULL,
    capacity       integer     NOT NULL,
    stopping       boolean     NOT NULL,
    last_heartbeat timestamptz NOT NULL
);
