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
--
-- A link is inserted with the column defaults and then updated to its case's values by
-- `case_contracts_copy_case`, whichever trigger of the insert runs first; every change is
-- therefore an increment or decrement of one key (an upsert, so a key may pass through -1),
-- followed by removing the key if its count is 0, which gives the same counts in any order.
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

CREATE TRIGGER case_contracts_insert_figures AFTER INSERT ON case_contracts
BEGIN
    INSERT INTO contract_open_figures (contract_id, case_severity, case_level, open_cases)
    SELECT NEW.contract_id, NEW.case_severity, NEW.case_level, 1
     WHERE NEW.case_state NOT IN ('verified', 'closed')
    ON CONFLICT (contract_id, case_severity, case_level) DO UPDATE SET open_cases = open_cases + 1;
    DELETE FROM contract_open_figures
     WHERE contract_id = NEW.contract_id AND case_severity = NEW.case_severity
       AND case_level = NEW.case_level AND open_cases = 0;
    INSERT INTO contract_max_levels (contract_id, case_max_level, cases)
    SELECT NEW.contract_id, NEW.case_max_level, 1 WHERE NEW.case_max_level > 0
    ON CONFLICT (contract_id, case_max_level) DO UPDATE SET cases = cases + 1;
    DELETE FROM contract_max_levels
     WHERE contract_id = NEW.contract_id AND case_max_level = NEW.case_max_level AND cases = 0;
END;

CREATE TRIGGER case_contracts_delete_figures AFTER DELETE ON case_contracts
BEGIN
    INSERT INTO contract_open_figures (contract_id, case_severity, case_level, open_cases)
    SELECT OLD.contract_id, OLD.case_severity, OLD.case_level, -1
     WHERE OLD.case_state NOT IN ('verified', 'closed')
    ON CONFLICT (contract_id, case_severity, case_level) DO UPDATE SET open_cases = open_cases - 1;
    DELETE FROM contract_open_figures
     WHERE contract_id = OLD.contract_id AND case_severity = OLD.case_severity
       AND case_level = OLD.case_level AND open_cases = 0;
    INSERT INTO contract_max_levels (contract_id, case_max_level, cases)
    SELECT OLD.contract_id, OLD.case_max_level, -1 WHERE OLD.case_max_level > 0
    ON CONFLICT (contract_id, case_max_level) DO UPDATE SET cases = cases - 1;
    DELETE FROM contract_max_levels
     WHERE contract_id = OLD.contract_id AND case_max_level = OLD.case_max_level AND cases = 0;
END;

-- A case's change of state, severity or level updates its links (`cases_copy_to_contracts`):
-- the old key of each loses the case, the new one gains it.
CREATE TRIGGER case_contracts_update_figures
AFTER UPDATE OF contract_id, case_state, case_severity, case_level, case_max_level ON case_contracts
WHEN OLD.contract_id IS NOT NEW.contract_id OR OLD.case_state IS NOT NEW.case_state
    OR OLD.case_severity IS NOT NEW.case_severity OR OLD.case_level IS NOT NEW.case_level
    OR OLD.case_max_level IS NOT NEW.case_max_level
BEGIN
    INSERT INTO contract_open_figures (contract_id, case_severity, case_level, open_cases)
    SELECT OLD.contract_id, OLD.case_severity, OLD.case_level, -1
     WHERE OLD.case_state NOT IN ('verified', 'closed')
    ON CONFLICT (contract_id, case_severity, case_level) DO UPDATE SET open_cases = open_cases - 1;
    INSERT INTO contract_open_figures (contract_id, case_severity, case_level, open_cases)
    SELECT NEW.contract_id, NEW.case_severity, NEW.case_level, 1
     WHERE NEW.case_state NOT IN ('verified', 'closed')
    ON CONFLICT (contract_id, case_severity, case_level) DO UPDATE SET open_cases = open_cases + 1;
    DELETE FROM contract_open_figures
     WHERE open_cases = 0
       AND ((contract_id = OLD.contract_id AND case_severity = OLD.case_severity
             AND case_level = OLD.case_level)
         OR (contract_id = NEW.contract_id AND case_severity = NEW.case_severity
             AND case_level = NEW.case_level));
    INSERT INTO contract_max_levels (contract_id, case_max_level, cases)
    SELECT OLD.contract_id, OLD.case_max_level, -1 WHERE OLD.case_max_level > 0
    ON CONFLICT (contract_id, case_max_level) DO UPDATE SET cases = cases - 1;
    INSERT INTO contract_max_levels (contract_id, case_max_level, cases)
    SELECT NEW.contract_id, NEW.case_max_level, 1 WHERE NEW.case_max_level > 0
    ON CONFLICT (contract_id, case_max_level) DO UPDATE SET cases = cases + 1;
    DELETE FROM contract_max_levels
     WHERE cases = 0
       AND ((contract_id = OLD.contract_id AND case_max_level = OLD.case_max_level)
         OR (contract_id = NEW.contract_id AND case_max_level = NEW.case_max_level));
END;
