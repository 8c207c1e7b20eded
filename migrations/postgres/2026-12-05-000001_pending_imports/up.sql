-- A disclosure list checked on the upload page and waiting for the person to apply it: the
-- file itself, so that applying it needs no second upload. Kept for a day at most.
CREATE TABLE pending_imports (
    id TEXT PRIMARY KEY NOT NULL,
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    filename TEXT NOT NULL,
    content BYTEA NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX pending_imports_created ON pending_imports (created_at);
