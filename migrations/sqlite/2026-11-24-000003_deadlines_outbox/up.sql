-- Deadline bookkeeping per case, the structural once-only key on events, the notification
-- outbox, and the deadline policies in force over time.
ALTER TABLE cases ADD COLUMN policy_version TEXT NOT NULL DEFAULT '';
ALTER TABLE cases ADD COLUMN paused_at TIMESTAMP;
ALTER TABLE cases ADD COLUMN paused_seconds BIGINT NOT NULL DEFAULT 0;
ALTER TABLE cases ADD COLUMN acknowledge_extended_to TIMESTAMP;
ALTER TABLE cases ADD COLUMN plan_extended_to TIMESTAMP;
ALTER TABLE cases ADD COLUMN remediation_extended_to TIMESTAMP;
ALTER TABLE cases ADD COLUMN acknowledged_at TIMESTAMP;
ALTER TABLE cases ADD COLUMN plan_submitted_at TIMESTAMP;
ALTER TABLE cases ADD COLUMN plan_accepted_at TIMESTAMP;
ALTER TABLE cases ADD COLUMN remediated_at TIMESTAMP;
ALTER TABLE cases ADD COLUMN closed_at TIMESTAMP;
ALTER TABLE cases ADD COLUMN acknowledge_reminded_for TIMESTAMP;
ALTER TABLE cases ADD COLUMN plan_reminded_for TIMESTAMP;
ALTER TABLE cases ADD COLUMN remediation_reminded_for TIMESTAMP;
ALTER TABLE cases ADD COLUMN acknowledge_escalated_for TIMESTAMP;
ALTER TABLE cases ADD COLUMN plan_escalated_for TIMESTAMP;
ALTER TABLE cases ADD COLUMN remediation_escalated_for TIMESTAMP;
-- The instant of the next reminder or escalation: the sweep reads only what is due.
ALTER TABLE cases ADD COLUMN next_action_at TIMESTAMP;
CREATE INDEX cases_next_action ON cases (next_action_at, id);

-- "reminder:<case>:<deadline>:<instant>" / "escalation:<case>:<deadline>:<level>:<instant>":
-- a second writer of the same reminder or escalation fails on this index instead of doubling.
ALTER TABLE case_events ADD COLUMN dedup_key TEXT;
CREATE UNIQUE INDEX case_events_dedup ON case_events (dedup_key);

CREATE TABLE notifications (
    id TEXT PRIMARY KEY NOT NULL,
    case_id TEXT NOT NULL REFERENCES cases (id),
    event_id TEXT NOT NULL REFERENCES case_events (id),
    kind TEXT NOT NULL,
    recipient_organization_id TEXT NOT NULL REFERENCES organizations (id),
    recipient_email TEXT NOT NULL,
    language TEXT NOT NULL,
    payload TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'sent', 'failed', 'suppressed', 'cancelled')),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMP NOT NULL,
    lease_until TIMESTAMP,
    last_error TEXT,
    sent_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX notifications_due ON notifications (status, next_attempt_at, id);
CREATE INDEX notifications_case ON notifications (case_id);

CREATE TABLE deadline_policies (
    version TEXT PRIMARY KEY NOT NULL,
    document TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
