-- The portfolio (every contract of a buyer) counted each contract's open cases by severity and
-- level, and its highest escalation level, by aggregating `case_contracts` on every request
-- (110,000 links at bench scale). The counts are kept instead, by triggers on `case_contracts`
-- (whose copies of the case columns are kept by the triggers of migration 6), so they change in
-- the transaction of every change and no code path can forget them.
--
-- `contract_open_figures`: open cases (state neither verified nor closed) per contract,
-- severity and level. `contract_max_levels`: cases per contract and highest level reached, for
-- levels above 0 and any state (a maximum cannot be decremented; a count per level can, and the
-- portfolio takes the highest level of a contract from its few rows). A row whose count falls
-- to 0 is deleted, so every row counts at least one case.
CREATE TABLE contract_open_figures (
    contract_id TEXT NOT NULL REFERENCES contracts (id),
    case_severity TEXT NOT NULL,
    case_level INTEGER NOT NULL,
    open_cases BIGINT NOT NULL,
    PRIMARY KEY (contract_id, case_severity, case_level)
);

CREATE TABLE contract_max_levels (
    contract_id TEXT NOT NULL REFERENCES contracts (id),
    case_max_level INTEGER NOT NULL,
    cases BIGINT NOT NULL,
    PRIMARY KEY (contract_id, case_max_level)
);

INSERT INTO contract_open_figures (contract_id, case_severity, case_level, open_cases)
SELECT contract_id, case_severity, case_level, COUNT(*) FROM case_contracts
 WHERE case_state NOT IN ('verified', 'closed')
 GROUP BY contract_id, case_severity, case_level;

INSERT INTO contract_max_levels (contract_id, case_max_level, cases)
SELECT contract_id, case_max_level, COUNT(*) FROM case_contracts
 WHERE case_max_level > 0
 GROUP BY contract_id, case_max_level;

-- Concurrency. A transaction that changes several cases (the sweep's batch, a finding that
-- opens one case per contractor) would, counting as it goes, lock figure rows of one contract
-- and then of another while holding them, in an order no one chooses: two such transactions,
-- or one and a buyer's transition, could wait on each other (a deadlock, which aborts one).
-- So each statement only notes its net changes per key in `contract_figure_changes` (plain
-- inserts, which lock nothing another transaction wants), and they are applied once, when the
-- transaction commits (a deferred trigger, still in the transaction): in one statement, in
-- key order, so every transaction takes the figure rows it needs in the same order, holds
-- them only while it commits, and waits for nothing else meanwhile. Concurrent changes of one
-- key add up: the upsert waits for the row lock and adds to the count it then holds.
CREATE TABLE contract_figure_changes (
    tx BIGINT NOT NULL,
    contract_id TEXT NOT NULL,
    -- Set for a change of open cases (and case_max_level NULL), or
    case_severity TEXT,
    case_level INTEGER,
    -- set for a change of cases at a highest level (and the two above NULL).
    case_max_level INTEGER,
    n BIGINT NOT NULL
);
CREATE INDEX contract_figure_changes_tx ON contract_figure_changes (tx);

-- The net change of a statement's links (`old_links` counted down, `new_links` up); a
-- transition table is given only to a trigger of one event, and an UPDATE trigger with one
-- cannot name columns: one function per event. The UPDATE one runs for every update of links
-- (each case event moves `case_updated_at`) and notes nothing unless a state, severity or
-- level moved.
CREATE FUNCTION case_contracts_insert_figures() RETURNS trigger AS $$
BEGIN
    INSERT INTO contract_figure_changes (tx, contract_id, case_severity, case_level, n)
    SELECT txid_current(), contract_id, case_severity, case_level, COUNT(*) FROM new_links
     WHERE case_state NOT IN ('verified', 'closed')
     GROUP BY contract_id, case_severity, case_level;
    INSERT INTO contract_figure_changes (tx, contract_id, case_max_level, n)
    SELECT txid_current(), contract_id, case_max_level, COUNT(*) FROM new_links
     WHERE case_max_level > 0
     GROUP BY contract_id, case_max_level;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE FUNCTION case_contracts_update_figures() RETURNS trigger AS $$
BEGIN
    INSERT INTO contract_figure_changes (tx, contract_id, case_severity, case_level, n)
    SELECT txid_current(), contract_id, case_severity, case_level, SUM(n) FROM (
        SELECT contract_id, case_severity, case_level, 1 AS n FROM new_links
         WHERE case_state NOT IN ('verified', 'closed')
        UNION ALL
        SELECT contract_id, case_severity, case_level, -1 FROM old_links
         WHERE case_state NOT IN ('verified', 'closed')
    ) changes
     GROUP BY contract_id, case_severity, case_level HAVING SUM(n) <> 0;
    INSERT INTO contract_figure_changes (tx, contract_id, case_max_level, n)
    SELECT txid_current(), contract_id, case_max_level, SUM(n) FROM (
        SELECT contract_id, case_max_level, 1 AS n FROM new_links WHERE case_max_level > 0
        UNION ALL
        SELECT contract_id, case_max_level, -1 FROM old_links WHERE case_max_level > 0
    ) changes
     GROUP BY contract_id, case_max_level HAVING SUM(n) <> 0;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE FUNCTION case_contracts_delete_figures() RETURNS trigger AS $$
BEGIN
    INSERT INTO contract_figure_changes (tx, contract_id, case_severity, case_level, n)
    SELECT txid_current(), contract_id, case_severity, case_level, -COUNT(*) FROM old_links
     WHERE case_state NOT IN ('verified', 'closed')
     GROUP BY contract_id, case_severity, case_level;
    INSERT INTO contract_figure_changes (tx, contract_id, case_max_level, n)
    SELECT txid_current(), contract_id, case_max_level, -COUNT(*) FROM old_links
     WHERE case_max_level > 0
     GROUP BY contract_id, case_max_level;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER case_contracts_insert_figures AFTER INSERT ON case_contracts
    REFERENCING NEW TABLE AS new_links
    FOR EACH STATEMENT EXECUTE FUNCTION case_contracts_insert_figures();

CREATE TRIGGER case_contracts_update_figures AFTER UPDATE ON case_contracts
    REFERENCING OLD TABLE AS old_links NEW TABLE AS new_links
    FOR EACH STATEMENT EXECUTE FUNCTION case_contracts_update_figures();

CREATE TRIGGER case_contracts_delete_figures AFTER DELETE ON case_contracts
    REFERENCING OLD TABLE AS old_links
    FOR EACH STATEMENT EXECUTE FUNCTION case_contracts_delete_figures();

-- At commit, once per transaction (the first of its deferred firings; the flag is local to
-- the transaction, as in `bump_change_counter`): all its noted changes, summed per key.
CREATE FUNCTION apply_contract_figure_changes() RETURNS trigger AS $$
DECLARE
    me BIGINT := txid_current();
BEGIN
    IF current_setting('ketenzorg.figures_applied', true) IS NOT DISTINCT FROM 'on' THEN
        RETURN NULL;
    END IF;
    PERFORM set_config('ketenzorg.figures_applied', 'on', true);
    -- One lock order for every transaction: its `open_cases` counter stripe (which
    -- `bump_change_counter` takes, maybe later in this commit) before any figure row, so a
    -- transaction that bumps the counter after applying figures cannot wait in a circle with
    -- one that bumped it before.
    PERFORM 1 FROM change_counters
     WHERE name = 'open_cases' AND stripe = pg_backend_pid() % 32 FOR UPDATE;
    INSERT INTO contract_open_figures AS f (contract_id, case_severity, case_level, open_cases)
    SELECT contract_id, case_severity, case_level, SUM(n) FROM contract_figure_changes
     WHERE tx = me AND case_max_level IS NULL
     GROUP BY contract_id, case_severity, case_level HAVING SUM(n) <> 0
     ORDER BY contract_id, case_severity, case_level
    ON CONFLICT (contract_id, case_severity, case_level)
    DO UPDATE SET open_cases = f.open_cases + EXCLUDED.open_cases;
    INSERT INTO contract_max_levels AS m (contract_id, case_max_level, cases)
    SELECT contract_id, case_max_level, SUM(n) FROM contract_figure_changes
     WHERE tx = me AND case_max_level IS NOT NULL
     GROUP BY contract_id, case_max_level HAVING SUM(n) <> 0
     ORDER BY contract_id, case_max_level
    ON CONFLICT (contract_id, case_max_level) DO UPDATE SET cases = m.cases + EXCLUDED.cases;
    -- Only keys counted down can have fallen to 0, and their rows are this transaction's now.
    DELETE FROM contract_open_figures f USING contract_figure_changes c
     WHERE c.tx = me AND c.n < 0 AND f.open_cases = 0 AND f.contract_id = c.contract_id
       AND f.case_severity = c.case_severity AND f.case_level = c.case_level;
    DELETE FROM contract_max_levels m USING contract_figure_changes c
     WHERE c.tx = me AND c.n < 0 AND m.cases = 0 AND m.contract_id = c.contract_id
       AND m.case_max_level = c.case_max_level;
    DELETE FROM contract_figure_changes WHERE tx = me;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE CONSTRAINT TRIGGER contract_figure_changes_apply AFTER INSERT ON contract_figure_changes
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION apply_contract_figure_changes();
