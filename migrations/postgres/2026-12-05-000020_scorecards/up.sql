-- The scorecard reads a contractor's cases opened in a period.
CREATE INDEX cases_contractor_opened ON cases (contractor_id, opened_at);
