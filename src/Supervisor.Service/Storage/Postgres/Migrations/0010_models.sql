-- A task may name the model its first agent uses (tasks.model); each attempt records the model its agent was asked for.
ALTER TABLE tasks ADD COLUMN model text;
ALTER TABLE task_attempts ADD COLUMN model text;
