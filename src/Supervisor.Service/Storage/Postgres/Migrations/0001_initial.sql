CREATE TABLE tasks (
    id               uuid PRIMARY KEY,
    state            text        NOT NULL,
    prompt           text        NOT NULL,
    agents           text[]      NOT NULL,
    chain_index      integer     NOT NULL,
    pass             integer     NOT NULL,
    attempt_count    integer     NOT NULL,
    repository_path  text,
    repository_url   text,
    base_ref         text,
    risk             text,
    timeout_seconds  integer,
    verify           text,
    expect_changes   boolean     NOT NULL,
    labels           jsonb       NOT NULL,
    submitted_by     text,
    created_at       timestamptz NOT NULL,
    updated_at       timestamptz NOT NULL,
    finished_at      timestamptz,
    error            text,
    result_agent     text,
    result_branch    text,
    result_commit    text,
    result_diff_stat text,
    result_summary   text
);
CREATE INDEX tasks_state_created_idx ON tasks (state, created_at DESC);
CREATE INDEX tasks_created_idx ON tasks (created_at DESC);

CREATE TABLE task_attempts (
    id            uuid PRIMARY KEY,
    task_id       uuid        NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
    number        integer     NOT NULL,
    pass          integer     NOT NULL,
    agent         text        NOT NULL,
    worker        text,
    host          text,
    redelivery    integer     NOT NULL,
    branch        text,
    started_at    timestamptz,
    finished_at   timestamptz,
    exit_code     integer,
    error_class   text,
    message       text,
    next_retry_at timestamptz,
    output_chunks bigint,
    input_tokens  bigint,
    output_tokens bigint,
    cost_usd      numeric(12, 6)
);
CREATE INDEX task_attempts_task_idx ON task_attempts (task_id);

CREATE TABLE task_transitions (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    task_id    uuid        NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
    from_state text        NOT NULL,
    to_state   text        NOT NULL,
    event      text        NOT NULL,
    at         timestamptz NOT NULL
);
CREATE INDEX task_transitions_task_idx ON task_transitions (task_id, id);

-- Output chunks arrive from workers already redacted and capped; (attempt_id, seq) makes a redelivered chunk a no-op.
CREATE TABLE task_logs (
    task_id    uuid        NOT NULL,
    attempt_id uuid        NOT NULL,
    attempt    integer     NOT NULL,
    seq        bigint      NOT NULL,
    stream     text        NOT NULL,
    text       text        NOT NULL,
    at         timestamptz NOT NULL,
    PRIMARY KEY (task_id, attempt_id, seq)
);
