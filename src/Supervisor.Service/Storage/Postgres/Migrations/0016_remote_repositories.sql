-- Remote repositories. A task naming repository.url may name the branch its result is pushed to (push_to; by default
-- the attempt's own branch) and ask for a pull request of it (open_pull_request, with its title and body, by default the
-- agent's summary); a pushed result records the remote it went to (the URL as submitted, which never carries
-- credentials), the forge's compare page when the worker knows the forge, and the pull request's page.
ALTER TABLE tasks
    ADD COLUMN push_to             text,
    ADD COLUMN open_pull_request   boolean NOT NULL DEFAULT false,
    ADD COLUMN pull_request_title  text,
    ADD COLUMN pull_request_body   text,
    ADD COLUMN result_remote       text,
    ADD COLUMN result_link         text,
    ADD COLUMN result_pull_request text;
