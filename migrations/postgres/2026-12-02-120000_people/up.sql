-- People: named users of an organization, passwordless sign-in links, server-side sessions,
-- and the person who acted on each case event.

CREATE TABLE users (
    id TEXT PRIMARY KEY NOT NULL,
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    -- Stored lower-cased, so uniqueness is case-insensitive.
    email TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    language TEXT NOT NULL CHECK (language IN ('nl', 'en', 'fr', 'de')),
    role TEXT NOT NULL CHECK (role IN ('member', 'manager')),
    active BOOLEAN NOT NULL,
    -- argon2id PHC string; null for users who sign in by link only.
    password_hash TEXT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX users_organization ON users (organization_id, id);

-- One-time sign-in links: only the SHA-256 of the token is kept.
CREATE TABLE sign_in_links (
    id TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (id),
    token_hash TEXT NOT NULL UNIQUE,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    used_at TIMESTAMP
);
CREATE INDEX sign_in_links_user ON sign_in_links (user_id);

-- Sessions live in the database, so that deactivating a user or signing out everywhere ends
-- every session at once, on every instance.
CREATE TABLE sessions (
    id TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (id),
    token_hash TEXT NOT NULL UNIQUE,
    csrf_token TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    last_seen_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    revoked_at TIMESTAMP
);
CREATE INDEX sessions_user ON sessions (user_id);

ALTER TABLE case_events ADD COLUMN actor_user_id TEXT REFERENCES users (id);

-- The outbox also carries mail that belongs to no case (sign-in links).
ALTER TABLE notifications ALTER COLUMN case_id DROP NOT NULL;
ALTER TABLE notifications ALTER COLUMN event_id DROP NOT NULL;
