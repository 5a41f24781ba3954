-- The limit gate: a task's policy when its agent's account is blocked (on_limit, max_wait_seconds, max_windows), the
-- account a lease runs on (for caps), the account each attempt ran on, and a task's wait on an account (hold_*: parked
-- now; wait_*: its wait in this agent's turn, for maxWait and maxWindows). account_waiters lists the tasks parked on an
-- account, FIFO by since; the release step marks the ones it lets go (released_at, release_at: their planned start,
-- probe: the one that tests the account) and sends each a LimitReleased until the task takes it (sent_at).
ALTER TABLE tasks
    ADD COLUMN on_limit          text CHECK (on_limit IN ('wait', 'fallback')),
    ADD COLUMN max_wait_seconds  integer,
    ADD COLUMN max_windows       integer,
    ADD COLUMN lease_account     text,
    ADD COLUMN hold_account      text,
    ADD COLUMN hold_reason       text,
    ADD COLUMN hold_until        timestamptz,
    ADD COLUMN hold_deadline     timestamptz,
    ADD COLUMN hold_message      text,
    ADD COLUMN wait_since        timestamptz,
    ADD COLUMN wait_windows      integer NOT NULL DEFAULT 0,
    ADD COLUMN wait_window_since timestamptz;
CREATE INDEX tasks_by_lease_account ON tasks (lease_account) WHERE lease_account IS NOT NULL;
CREATE INDEX tasks_by_hold_account ON tasks (hold_account) WHERE hold_account IS NOT NULL;

ALTER TABLE task_attempts ADD COLUMN account text;

ALTER TABLE accounts
    ADD COLUMN probe_task  uuid,
    ADD COLUMN probe_since timestamptz;
ALTER TABLE account_blocks ADD COLUMN released_at timestamptz;

CREATE TABLE account_waiters (
    account     text        NOT NULL REFERENCES accounts ON DELETE CASCADE,
    task_id     uuid        NOT NULL,
    since       timestamptz NOT NULL,
    released_at timestamptz,
    release_at  timestamptz,
    probe       boolean     NOT NULL DEFAULT false,
    sent_at     timestamptz,
    PRIMARY KEY (account, task_id)
);
CREATE INDEX account_waiters_by_task ON account_waiters (task_id);
