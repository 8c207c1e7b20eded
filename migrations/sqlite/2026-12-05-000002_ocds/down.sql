DROP INDEX contracts_buyer_ocds;
DROP INDEX contracts_framework;
ALTER TABLE contracts DROP COLUMN framework_id;
DROP TABLE organization_identifiers;
