-- The id of the last message that sent something for the task (its job, the cancellation of its attempts). The
-- endpoint's outbox sends only after the message's changes commit; a service that stops between the two gets the
-- message again from the broker, and this tells that copy that its changes are there but its sends may never have left.
ALTER TABLE tasks ADD COLUMN last_sending_message uuid;
