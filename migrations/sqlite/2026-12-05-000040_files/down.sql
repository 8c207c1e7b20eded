DROP TABLE file_purges;
ALTER TABLE cases DROP COLUMN legal_hold;
DROP TABLE attachments;
DROP TABLE files;
