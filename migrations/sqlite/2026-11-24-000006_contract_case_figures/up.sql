-- The due-diligence figures of a contract read each of its cases' state, severity, levels,
-- next deadline and milestones. Reading them from `cases` costs one wide-row lookup per case
-- (a portfolio of 500 contracts: 100,000 lookups), and the newest activity of a contract
-- sorted its cases by `updated_at`. They are copied onto each case's contract
-- links, kept in step by triggers (so no code path can forget them), and covered by an index.
ALTER TABLE case_contracts ADD COLUMN case_state TEXT NOT NULL DEFAULT 'open';
ALTER TABLE case_contracts ADD COLUMN case_severity TEXT NOT NULL DEFAULT 'major';
ALTER TABLE case_contracts ADD COLUMN case_level INTEGER NOT NULL DEFAULT 0;
ALTER TABLE case_contracts ADD COLUMN case_max_level INTEGER NOT NULL DEFAULT 0;
ALTER TABLE case_contracts ADD COLUMN case_next_due_at TIMESTAMP;
ALTER TABLE case_contracts ADD COLUMN case_opened_at TIMESTAMP;
ALTER TABLE case_contracts ADD COLUMN case_acknowledged_at TIMESTAMP;
ALTER TABLE case_contracts ADD COLUMN case_plan_accepted_at TIMESTAMP;
ALTER TABLE case_contracts ADD COLUMN case_updated_at TIMESTAMP;

UPDATE case_contracts SET
    case_state = (SELECT state FROM cases WHERE cases.id = case_contracts.case_id),
    case_severity = (SELECT severity FROM cases WHERE cases.id = case_contracts.case_id),
    case_level = (SELECT escalation_level FROM cases WHERE cases.id = case_contracts.case_id),
    case_max_level = (SELECT max_escalation_level FROM cases WHERE cases.id = case_contracts.case_id),
    case_next_due_at = (SELECT next_due_at FROM cases WHERE cases.id = case_contracts.case_id),
    case_opened_at = (SELECT opened_at FROM cases WHERE cases.id = case_contracts.case_id),
    case_acknowledged_at = (SELECT acknowledged_at FROM cases WHERE cases.id = case_contracts.case_id),
    case_plan_accepted_at = (SELECT plan_accepted_at FROM cases WHERE cases.id = case_contracts.case_id),
    case_updated_at = (SELECT updated_at FROM cases WHERE cases.id = case_contracts.case_id);

CREATE TRIGGER case_contracts_copy_case AFTER INSERT ON case_contracts
BEGIN
    UPDATE case_contracts SET
        case_state = c.state, case_severity = c.severity, case_level = c.escalation_level,
        case_max_level = c.max_escalation_level, case_next_due_at = c.next_due_at,
        case_opened_at = c.opened_at, case_acknowledged_at = c.acknowledged_at,
        case_plan_accepted_at = c.plan_accepted_at, case_updated_at = c.updated_at
    FROM (SELECT * FROM cases WHERE id = NEW.case_id) AS c
    WHERE case_contracts.case_id = NEW.case_id AND case_contracts.contract_id = NEW.contract_id;
END;

CREATE TRIGGER cases_copy_to_contracts AFTER UPDATE ON cases
WHEN OLD.state IS NOT NEW.state OR OLD.severity IS NOT NEW.severity
    OR OLD.escalation_level IS NOT NEW.escalation_level
    OR OLD.max_escalation_level IS NOT NEW.max_escalation_level
    OR OLD.next_due_at IS NOT NEW.next_due_at OR OLD.opened_at IS NOT NEW.opened_at
    OR OLD.acknowledged_at IS NOT NEW.acknowledged_at
    OR OLD.plan_accepted_at IS NOT NEW.plan_accepted_at OR OLD.updated_at IS NOT NEW.updated_at
BEGIN
    UPDATE case_contracts SET
        case_state = NEW.state, case_severity = NEW.severity, case_level = NEW.escalation_level,
        case_max_level = NEW.max_escalation_level, case_next_due_at = NEW.next_due_at,
        case_opened_at = NEW.opened_at, case_acknowledged_at = NEW.acknowledged_at,
        case_plan_accepted_at = NEW.plan_accepted_at, case_updated_at = NEW.updated_at
    WHERE case_id = NEW.id;
END;

CREATE INDEX case_contracts_figures ON case_contracts
    (contract_id, case_severity, case_level, case_state, case_max_level);
CREATE INDEX case_contracts_recent ON case_contracts (contract_id, case_updated_at);
