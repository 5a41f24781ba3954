-- The saga owns its attempts: the start check is answered from the task's own row, in the saga's transaction, and
-- the attempt that holds the task's lease is the only one whose events change it (issue: every task converges). The
-- claims table beside the saga is gone; leases expire on the service's clock (renewed by the holder's heartbeats).
ALTER TABLE tasks ADD COLUMN lease_id uuid;
ALTER TABLE tasks ADD COLUMN lease_claim uuid;
ALTER TABLE tasks ADD COLUMN lease_expires_at timestamptz;
ALTER TABLE tasks ADD COLUMN start_allowed_at timestamptz;
-- Heartbeats renew by attempt id; the reconciler looks for expired leases and for jobs that never started.
CREATE INDEX tasks_lease_id ON tasks (lease_id) WHERE lease_id IS NOT NULL;
CREATE INDEX tasks_lease_expires_at ON tasks (lease_expires_at) WHERE lease_id IS NOT NULL;
CREATE INDEX tasks_start_allowed_at ON tasks (start_allowed_at) WHERE start_allowed_at IS NOT NULL AND lease_id IS NULL;
CREATE INDEX tasks_active_unattended ON tasks (updated_at)
    WHERE lease_id IS NULL AND start_allowed_at IS NULL AND state IN ('Dispatched', 'Running', 'RetryScheduled');
DROP TABLE IF EXISTS attempt_claims;
