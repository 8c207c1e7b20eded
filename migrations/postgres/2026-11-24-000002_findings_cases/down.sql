DROP TABLE idempotency_keys;
DROP TRIGGER case_events_no_update ON case_events;
DROP FUNCTION case_events_append_only();
DROP TABLE case_events;
DROP TABLE case_contracts;
DROP TABLE cases;
DROP TABLE finding_components;
DROP TABLE findings;
