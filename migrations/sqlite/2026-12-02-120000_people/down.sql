DELETE FROM notifications WHERE case_id IS NULL;
ALTER TABLE case_events DROP COLUMN actor_user_id;
DROP TABLE sessions;
DROP TABLE sign_in_links;
DROP TABLE users;
