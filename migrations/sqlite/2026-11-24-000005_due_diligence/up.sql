-- The highest escalation level a case reached (the due-diligence status reports it), and
-- indexes for the per-contract figures.
ALTER TABLE cases ADD COLUMN max_escalation_level INTEGER NOT NULL DEFAULT 0;
UPDATE cases SET max_escalation_level = escalation_level;
CREATE INDEX case_events_case_at ON case_events (case_id, at);
CREATE INDEX contracts_buyer ON contracts (buyer_id, id);
