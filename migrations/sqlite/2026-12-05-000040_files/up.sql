-- Evidence files (docs/files.md). A file is stored once, under the hex SHA-256 of its content;
-- each attachment of it to a finding or a case is a row of its own.
CREATE TABLE files (
    sha256 TEXT PRIMARY KEY,
    size BIGINT NOT NULL,
    media_type TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE attachments (
    id TEXT PRIMARY KEY,
    sha256 TEXT NOT NULL REFERENCES files (sha256),
    finding_id TEXT REFERENCES findings (id),
    case_id TEXT REFERENCES cases (id),
    filename TEXT NOT NULL,
    label TEXT,
    confidential BOOLEAN NOT NULL,
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    user_id TEXT,
    -- The case event that recorded it (case attachments only).
    event_id TEXT,
    created_at TIMESTAMP NOT NULL,
    -- Exactly one owner.
    CHECK ((finding_id IS NULL) <> (case_id IS NULL)),
    -- Only a monitor's finding file may be confidential.
    CHECK (NOT confidential OR finding_id IS NOT NULL)
);
CREATE INDEX attachments_case ON attachments (case_id, id);
CREATE INDEX attachments_finding ON attachments (finding_id, id);
CREATE INDEX attachments_sha256 ON attachments (sha256);

-- A case under legal hold keeps its files past the retention period (`ketenzorg purge`).
ALTER TABLE cases ADD COLUMN legal_hold BOOLEAN NOT NULL DEFAULT FALSE;

-- What `ketenzorg purge --commit` removed, and when.
CREATE TABLE file_purges (
    sha256 TEXT NOT NULL,
    size BIGINT NOT NULL,
    attachments INTEGER NOT NULL,
    purged_at TIMESTAMP NOT NULL,
    PRIMARY KEY (sha256, purged_at)
);
