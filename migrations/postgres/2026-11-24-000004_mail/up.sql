-- Delivery of the outbox: leases, daily digests, the suppression list; organizations' time
-- zone (deadlines in the recipient's terms) and digest hour.
ALTER TABLE organizations ADD COLUMN timezone TEXT NOT NULL DEFAULT 'Europe/Brussels';
ALTER TABLE organizations ADD COLUMN digest_hour INTEGER CHECK (digest_hour IS NULL OR digest_hour BETWEEN 0 AND 23);

ALTER TABLE notifications ADD COLUMN digest BOOLEAN NOT NULL DEFAULT FALSE;
-- Who holds the row: set when claimed, checked when the result is recorded.
ALTER TABLE notifications ADD COLUMN lease_token TEXT;
CREATE INDEX notifications_digest ON notifications (recipient_organization_id, recipient_email, status, digest);

CREATE TABLE suppressed_addresses (
    email TEXT PRIMARY KEY NOT NULL,
    reason TEXT NOT NULL,
    notification_id TEXT,
    created_at TIMESTAMP NOT NULL
);
