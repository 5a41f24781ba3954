-- Remote repositories. A task naming repository.url may name the branch its result is pushed to (push_to; by default
-- the attempt's own branch); a pushed result records the remote it went to (the URL as submitted, which never carries
-- credentials) and the forge's compare page, when the worker knows the forge.
ALTER TABLE tasks
    ADD COLUMN push_to       text,
    ADD COLUMN result_remote text,
    ADD COLUMN result_link   text;
