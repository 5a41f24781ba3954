-- Concurrency keys: at most concurrency_limit tasks of a key under way (started and not ended) at once. A start is
-- decided under the key's row lock (concurrency_keys), so two starts of one key are serial across service instances.
-- A task queued on its full key waits in Submitted with hold_reason 'concurrency'.
ALTER TABLE tasks
    ADD COLUMN concurrency_key      text,
    ADD COLUMN concurrency_limit    integer,
    ADD COLUMN concurrency_strategy text CHECK (concurrency_strategy IN ('queue', 'cancelRunning', 'dropNewest'));
CREATE INDEX tasks_by_concurrency_key ON tasks (concurrency_key, created_at) WHERE concurrency_key IS NOT NULL;

CREATE TABLE concurrency_keys (
    key        text PRIMARY KEY,
    created_at timestamptz NOT NULL
);
