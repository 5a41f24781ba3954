-- Budgets. A task's max_cost_usd / max_tokens bound what its attempts spend, summed over all of them; on_budget says
-- whether reaching one fails the task (stop) or pauses it until the budget is raised (park); budget_held marks a task its budget stopped or paused. An
-- account's daily and monthly budgets come from configuration unless an operator set them here; the spend of a budget
-- window is summed from the attempts that finished on the account in it.
ALTER TABLE tasks
    ADD COLUMN max_cost_usd  numeric(14,6),
    ADD COLUMN max_tokens    bigint,
    ADD COLUMN on_budget     text CHECK (on_budget IN ('stop', 'park')),
    ADD COLUMN budget_held   boolean NOT NULL DEFAULT false;

ALTER TABLE accounts
    ADD COLUMN daily_budget_usd   numeric(14,6),
    ADD COLUMN monthly_budget_usd numeric(14,6);

CREATE INDEX task_attempts_by_account_finished ON task_attempts (account, finished_at) WHERE account IS NOT NULL;
