DROP TABLE suppressed_addresses;
DROP INDEX notifications_digest;
ALTER TABLE notifications DROP COLUMN lease_token;
ALTER TABLE notifications DROP COLUMN digest;
ALTER TABLE organizations DROP COLUMN digest_hour;
ALTER TABLE organizations DROP COLUMN timezone;
