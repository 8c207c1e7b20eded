DROP TRIGGER case_events_rule_columns ON case_events;
DROP FUNCTION case_event_rule_columns();
ALTER TABLE cases DROP COLUMN plan_first_time;
ALTER TABLE cases DROP COLUMN ever_disputed;
