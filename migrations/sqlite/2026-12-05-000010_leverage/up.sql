-- The leverage ranking and a factory's exposure count open cases per factory and severity.
-- A partial index of the open cases only, holding every column the count reads (the state for
-- the condition), so the count reads this index alone and never the wide case rows. The
-- condition is the query's own (leverage/query.rs), which both planners need to use it.
CREATE INDEX cases_open_by_factory ON cases (factory_id, severity, state)
    WHERE state NOT IN ('verified', 'closed');
