DROP INDEX contracts_buyer;
DROP INDEX case_events_case_at;
ALTER TABLE cases DROP COLUMN max_escalation_level;
