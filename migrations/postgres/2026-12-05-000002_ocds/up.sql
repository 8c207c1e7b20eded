-- OCDS import: organizations are matched by their registered identifiers (OCDS
-- `parties[].identifier`, `scheme` + `id`, e.g. BE-BCE_KBO + 0123456789); one identifier names
-- one organization, an organization may have several (one per register).
CREATE TABLE organization_identifiers (
    scheme TEXT NOT NULL,
    identifier TEXT NOT NULL,
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (scheme, identifier)
);
CREATE INDEX organization_identifiers_organization ON organization_identifiers (organization_id);

-- A call-off points at the framework agreement it was made under, so that a buyer sees each
-- call-off under its framework.
ALTER TABLE contracts ADD COLUMN framework_id TEXT REFERENCES contracts (id);
CREATE INDEX contracts_framework ON contracts (framework_id);
-- Re-imports find a contract by its contracting process.
CREATE INDEX contracts_buyer_ocds ON contracts (buyer_id, ocds_id);
