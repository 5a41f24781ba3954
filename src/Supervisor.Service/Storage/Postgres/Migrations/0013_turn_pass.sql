-- The first pass of a task's current agent turn: its limit failures count against Retry:RateLimitIntervals from there,
-- across the passes that releases after a wait begin.
ALTER TABLE tasks ADD COLUMN turn_pass integer NOT NULL DEFAULT 0;
