-- Fleet-wide limits (quota-aware scheduling): the block state of each provider account a worker reported a limit for,
-- and each block episode for the record. A signal is recorded under the account's row lock, so the signals of one
-- account are serial across service instances. Workers say in their heartbeats which account each agent uses.
CREATE TABLE accounts (
    id            text PRIMARY KEY,
    agent         text        NOT NULL,
    state         text        NOT NULL CHECK (state IN ('ok', 'cooling', 'blocked', 'probing')),
    kind          text,
    blocked_until timestamptz,
    block_since   timestamptz,
    last_signal   jsonb,
    updated_at    timestamptz NOT NULL
);

CREATE TABLE account_blocks (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account      text        NOT NULL REFERENCES accounts ON DELETE CASCADE,
    kind         text        NOT NULL,
    limit_window text,
    evidence     text        NOT NULL,
    recorded_at  timestamptz NOT NULL,
    until        timestamptz NOT NULL,
    signals      integer     NOT NULL DEFAULT 1,
    task_id      uuid,
    attempt_id   uuid,
    worker       text
);
CREATE INDEX account_blocks_by_account ON account_blocks (account, recorded_at DESC);

ALTER TABLE workers ADD COLUMN accounts jsonb;
