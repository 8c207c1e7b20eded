-- Two scorecard rules read a case's events (docs/scorecards.md): whether it was ever disputed,
-- and whether its plan was accepted the first time (no rejection before the first acceptance,
-- in the events' order). Each is kept on the case by a trigger on the event that decides it,
-- so a scorecard reads one row per case instead of probing its events. The history is
-- append-only, so neither changes once set.
ALTER TABLE cases ADD COLUMN ever_disputed INTEGER NOT NULL DEFAULT 0;
ALTER TABLE cases ADD COLUMN plan_first_time INTEGER;

UPDATE cases SET ever_disputed = 1
WHERE EXISTS (SELECT 1 FROM case_events d WHERE d.case_id = cases.id AND d.kind = 'disputed');

UPDATE cases SET plan_first_time =
    CASE WHEN EXISTS (SELECT 1 FROM case_events r WHERE r.case_id = cases.id
        AND r.kind = 'plan_rejected' AND r.seq < (SELECT MIN(a.seq) FROM case_events a
            WHERE a.case_id = cases.id AND a.kind = 'plan_accepted')) THEN 0 ELSE 1 END
WHERE EXISTS (SELECT 1 FROM case_events a WHERE a.case_id = cases.id AND a.kind = 'plan_accepted');

-- The case row is already locked by the transaction that appends its event (cases/store.rs
-- takes it first), so these updates wait for nothing.
CREATE FUNCTION case_event_rule_columns() RETURNS trigger AS $$
BEGIN
    IF NEW.kind = 'disputed' THEN
        UPDATE cases SET ever_disputed = 1 WHERE id = NEW.case_id AND ever_disputed = 0;
    ELSIF NEW.kind = 'plan_accepted' THEN
        UPDATE cases SET plan_first_time =
            CASE WHEN EXISTS (SELECT 1 FROM case_events r WHERE r.case_id = NEW.case_id
                AND r.kind = 'plan_rejected' AND r.seq < NEW.seq) THEN 0 ELSE 1 END
        WHERE id = NEW.case_id AND plan_first_time IS NULL;
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER case_events_rule_columns AFTER INSERT ON case_events
    FOR EACH ROW WHEN (NEW.kind IN ('disputed', 'plan_accepted'))
    EXECUTE FUNCTION case_event_rule_columns();
