DROP INDEX case_contracts_recent;
DROP INDEX case_contracts_figures;
DROP TRIGGER cases_copy_to_contracts ON cases;
DROP FUNCTION cases_copy_to_contracts();
DROP TRIGGER case_contracts_copy_case ON case_contracts;
DROP FUNCTION case_contracts_copy_case();
ALTER TABLE case_contracts
    DROP COLUMN case_state, DROP COLUMN case_severity, DROP COLUMN case_level,
    DROP COLUMN case_max_level, DROP COLUMN case_next_due_at, DROP COLUMN case_opened_at,
    DROP COLUMN case_acknowledged_at, DROP COLUMN case_plan_accepted_at, DROP COLUMN case_updated_at;
