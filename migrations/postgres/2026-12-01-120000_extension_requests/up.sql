-- A contractor's pending request to move a deadline (JSON: the request event's id, the
-- deadline, the instant asked for, the reason, when it was asked); null when none is pending.
-- The buyer or monitor answers it by granting an extension or refusing it.
ALTER TABLE cases ADD COLUMN extension_request TEXT;
