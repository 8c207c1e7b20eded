DROP TRIGGER case_events_plan_first_time;
DROP TRIGGER case_events_disputed;
ALTER TABLE cases DROP COLUMN plan_first_time;
ALTER TABLE cases DROP COLUMN ever_disputed;
