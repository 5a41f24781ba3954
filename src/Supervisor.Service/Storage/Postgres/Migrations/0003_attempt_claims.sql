-- One row per attempt a worker was allowed to start, written by the start check before the agent runs. The broker
-- redelivers a job whose acknowledgement was lost (connection dropped, broker restarted) with the same attempt number:
-- the claim tells the second worker that the attempt is already someone's, so it waits for that run's result instead
-- of running the agent a second time.
CREATE TABLE attempt_claims (
    task_id    uuid        NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
    attempt    integer     NOT NULL,
    pass       integer     NOT NULL,
    worker     text        NOT NULL,
    claimed_at timestamptz NOT NULL,
    PRIMARY KEY (task_id, attempt)
);
