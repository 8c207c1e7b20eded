-- The due-diligence figures of a contract read each of its cases' state, severity, levels,
-- next deadline and milestones. Reading them from `cases` costs one wide-row lookup per case
-- (a portfolio of 500 contracts: 100,000 lookups), and the newest activity of a contract
-- sorted its cases by `updated_at`. They are copied onto each case's contract
-- links, kept in step by triggers (so no code path can forget them), and covered by an index.
ALTER TABLE case_contracts
    ADD COLUMN case_state TEXT NOT NULL DEFAULT 'open',
    ADD COLUMN case_severity TEXT NOT NULL DEFAULT 'major',
    ADD COLUMN case_level INTEGER NOT NULL DEFAULT 0,
    ADD COLUMN case_max_level INTEGER NOT NULL DEFAULT 0,
    ADD COLUMN case_next_due_at TIMESTAMP,
    ADD COLUMN case_opened_at TIMESTAMP,
    ADD COLUMN case_acknowledged_at TIMESTAMP,
    ADD COLUMN case_plan_accepted_at TIMESTAMP,
    ADD COLUMN case_updated_at TIMESTAMP;

UPDATE case_contracts SET
    case_state = c.state, case_severity = c.severity, case_level = c.escalation_level,
    case_max_level = c.max_escalation_level, case_next_due_at = c.next_due_at,
    case_opened_at = c.opened_at, case_acknowledged_at = c.acknowledged_at,
    case_plan_accepted_at = c.plan_accepted_at, case_updated_at = c.updated_at
FROM cases c WHERE c.id = case_contracts.case_id;

CREATE FUNCTION case_contracts_copy_case() RETURNS trigger AS $$
BEGIN
    SELECT c.state, c.severity, c.escalation_level, c.max_escalation_level, c.next_due_at,
           c.opened_at, c.acknowledged_at, c.plan_accepted_at, c.updated_at
      INTO NEW.case_state, NEW.case_severity, NEW.case_level, NEW.case_max_level,
           NEW.case_next_due_at, NEW.case_opened_at, NEW.case_acknowledged_at,
           NEW.case_plan_accepted_at, NEW.case_updated_at
      FROM cases c WHERE c.id = NEW.case_id;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER case_contracts_copy_case BEFORE INSERT ON case_contracts
    FOR EACH ROW EXECUTE FUNCTION case_contracts_copy_case();

CREATE FUNCTION cases_copy_to_contracts() RETURNS trigger AS $$
BEGIN
    UPDATE case_contracts SET
        case_state = NEW.state, case_severity = NEW.severity, case_level = NEW.escalation_level,
        case_max_level = NEW.max_escalation_level, case_next_due_at = NEW.next_due_at,
        case_opened_at = NEW.opened_at, case_acknowledged_at = NEW.acknowledged_at,
        case_plan_accepted_at = NEW.plan_accepted_at, case_updated_at = NEW.updated_at
    WHERE case_id = NEW.id;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER cases_copy_to_contracts AFTER UPDATE ON cases
    FOR EACH ROW
    WHEN (OLD.state IS DISTINCT FROM NEW.state OR OLD.severity IS DISTINCT FROM NEW.severity
        OR OLD.escalation_level IS DISTINCT FROM NEW.escalation_level
        OR OLD.max_escalation_level IS DISTINCT FROM NEW.max_escalation_level
        OR OLD.next_due_at IS DISTINCT FROM NEW.next_due_at
        OR OLD.opened_at IS DISTINCT FROM NEW.opened_at
        OR OLD.acknowledged_at IS DISTINCT FROM NEW.acknowledged_at
        OR OLD.plan_accepted_at IS DISTINCT FROM NEW.plan_accepted_at
        OR OLD.updated_at IS DISTINCT FROM NEW.updated_at)
    EXECUTE FUNCTION cases_copy_to_contracts();

CREATE INDEX case_contracts_figures ON case_contracts
    (contract_id, case_severity, case_level, case_state, case_max_level);
CREATE INDEX case_contracts_recent ON case_contracts (contract_id, case_updated_at);
