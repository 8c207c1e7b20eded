-- The due-diligence report (docs/reports.md) finds each case's last events of some kinds by
-- the end of a period, and counts events of some kinds in a period: from this index alone,
-- without reading the event rows.
CREATE INDEX case_events_report ON case_events (case_id, kind, at, seq);
