-- Findings, cases with their deadlines, the append-only event chain, idempotency keys.
CREATE TABLE findings (
    id TEXT PRIMARY KEY NOT NULL,
    monitor_id TEXT NOT NULL REFERENCES organizations (id),
    factory_id TEXT NOT NULL REFERENCES factories (id),
    category TEXT NOT NULL,
    severity TEXT NOT NULL CHECK (severity IN ('critical', 'major', 'minor')),
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    observed_on DATE NOT NULL,
    evidence TEXT NOT NULL,
    confidential_notes TEXT,
    worker_protection BOOLEAN NOT NULL,
    routed BOOLEAN NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX findings_monitor ON findings (monitor_id, id);
CREATE INDEX findings_factory ON findings (factory_id);

CREATE TABLE finding_components (
    finding_id TEXT NOT NULL REFERENCES findings (id),
    component_id TEXT NOT NULL REFERENCES components (id),
    PRIMARY KEY (finding_id, component_id)
);

CREATE TABLE cases (
    id TEXT PRIMARY KEY NOT NULL,
    finding_id TEXT NOT NULL REFERENCES findings (id),
    contractor_id TEXT NOT NULL REFERENCES organizations (id),
    monitor_id TEXT NOT NULL REFERENCES organizations (id),
    factory_id TEXT NOT NULL REFERENCES factories (id),
    category TEXT NOT NULL,
    severity TEXT NOT NULL,
    state TEXT NOT NULL,
    resume_state TEXT,
    escalation_level INTEGER NOT NULL CHECK (escalation_level BETWEEN 0 AND 3),
    overdue BOOLEAN NOT NULL,
    opened_at TIMESTAMP NOT NULL,
    acknowledge_due_at TIMESTAMP NOT NULL,
    plan_due_at TIMESTAMP NOT NULL,
    remediation_due_at TIMESTAMP NOT NULL,
    next_due_at TIMESTAMP,
    -- next_due_at with a far-future value instead of NULL, so "by next deadline" is one index.
    due_order TIMESTAMP NOT NULL,
    plan TEXT,
    version INTEGER NOT NULL,
    event_count INTEGER NOT NULL,
    last_event_hash TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (finding_id, contractor_id)
);
CREATE INDEX cases_contractor ON cases (contractor_id, id);
CREATE INDEX cases_monitor ON cases (monitor_id, id);
CREATE INDEX cases_due_order ON cases (due_order, id);
CREATE INDEX cases_next_due ON cases (next_due_at);

CREATE TABLE case_contracts (
    case_id TEXT NOT NULL REFERENCES cases (id),
    contract_id TEXT NOT NULL REFERENCES contracts (id),
    PRIMARY KEY (case_id, contract_id)
);
CREATE INDEX case_contracts_contract ON case_contracts (contract_id, case_id);

CREATE TABLE case_events (
    id TEXT PRIMARY KEY NOT NULL,
    case_id TEXT NOT NULL REFERENCES cases (id),
    seq INTEGER NOT NULL,
    kind TEXT NOT NULL,
    at TIMESTAMP NOT NULL,
    actor_organization_id TEXT,
    actor_token_id TEXT,
    payload TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL,
    UNIQUE (case_id, seq)
);

-- The history is append-only: the database itself refuses edits and deletions. (Someone with
-- the rights to drop these triggers is caught by the hash chain instead: verify-audit.)
CREATE TRIGGER case_events_no_update BEFORE UPDATE ON case_events
BEGIN SELECT RAISE(ABORT, 'case events are append-only'); END;
CREATE TRIGGER case_events_no_delete BEFORE DELETE ON case_events
BEGIN SELECT RAISE(ABORT, 'case events are append-only'); END;

CREATE TABLE idempotency_keys (
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    idempotency_key TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    response_status INTEGER,
    response_body TEXT,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (organization_id, idempotency_key)
);
