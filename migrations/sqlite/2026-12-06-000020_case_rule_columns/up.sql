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

CREATE TRIGGER case_events_disputed AFTER INSERT ON case_events
WHEN NEW.kind = 'disputed'
BEGIN
    UPDATE cases SET ever_disputed = 1 WHERE id = NEW.case_id AND ever_disputed = 0;
END;

CREATE TRIGGER case_events_plan_first_time AFTER INSERT ON case_events
WHEN NEW.kind = 'plan_accepted'
BEGIN
    UPDATE cases SET plan_first_time =
        CASE WHEN EXISTS (SELECT 1 FROM case_events r WHERE r.case_id = NEW.case_id
            AND r.kind = 'plan_rejected' AND r.seq < NEW.seq) THEN 0 ELSE 1 END
    WHERE id = NEW.case_id AND plan_first_time IS NULL;
END;
