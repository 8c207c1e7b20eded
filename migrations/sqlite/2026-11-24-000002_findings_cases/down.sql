DROP TABLE idempotency_keys;
DROP TRIGGER case_events_no_delete;
DROP TRIGGER case_events_no_update;
DROP TABLE case_events;
DROP TABLE case_contracts;
DROP TABLE cases;
DROP TABLE finding_components;
DROP TABLE findings;
