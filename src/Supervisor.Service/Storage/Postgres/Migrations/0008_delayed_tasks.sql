-- Delayed tasks (issue: recurring and delayed tasks): a task submitted with runAt waits in Submitted until then. The
-- saga schedules its start through the message scheduler (run_at_token is that schedule's token); the reconciler
-- starts one whose time passed and that is still waiting (its scheduled message lost).
ALTER TABLE tasks ADD COLUMN run_at timestamptz;
ALTER TABLE tasks ADD COLUMN run_at_token uuid;
CREATE INDEX tasks_waiting_run_at ON tasks (run_at) WHERE state = 'Submitted' AND run_at IS NOT NULL;
