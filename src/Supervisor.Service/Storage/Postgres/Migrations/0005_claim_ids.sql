-- Which delivery of a job made the claim (AttemptStartRequest.Claim; null from workers that do not say). A request
-- under the same id is that delivery asking again (its answer was lost with a service or a connection): it gets the
-- claim at once. A release under the id frees the claim, and cannot free a later claim of the same worker.
ALTER TABLE attempt_claims ADD COLUMN claim uuid;
