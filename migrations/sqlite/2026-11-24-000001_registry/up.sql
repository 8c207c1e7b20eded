-- Registry: organizations, API tokens, factories, components, sourcing links, contracts.
-- Ids are UUID text; instants are UTC TIMESTAMP; lists of emails are JSON text.
CREATE TABLE organizations (
    id TEXT PRIMARY KEY NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('admin', 'buyer', 'contractor', 'monitor')),
    name TEXT NOT NULL,
    country TEXT NOT NULL,
    notification_emails TEXT NOT NULL,
    escalation_emails TEXT NOT NULL,
    language TEXT NOT NULL CHECK (language IN ('nl', 'en', 'fr', 'de')),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX organizations_kind ON organizations (kind, id);

CREATE TABLE api_tokens (
    id TEXT PRIMARY KEY NOT NULL,
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    label TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at TIMESTAMP NOT NULL,
    revoked_at TIMESTAMP
);
CREATE INDEX api_tokens_organization ON api_tokens (organization_id);

CREATE TABLE factories (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    address TEXT NOT NULL,
    country TEXT NOT NULL,
    os_id TEXT UNIQUE,
    latitude DOUBLE PRECISION,
    longitude DOUBLE PRECISION,
    sector TEXT,
    workers INTEGER CHECK (workers IS NULL OR workers >= 0),
    parent_company TEXT,
    dedup_key TEXT NOT NULL UNIQUE,
    created_by TEXT NOT NULL REFERENCES organizations (id),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX factories_created_by ON factories (created_by);

CREATE TABLE components (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    parent_id TEXT REFERENCES components (id),
    owner_id TEXT NOT NULL REFERENCES organizations (id),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX components_parent ON components (parent_id);
CREATE INDEX components_owner ON components (owner_id, id);

CREATE TABLE sourcing_links (
    id TEXT PRIMARY KEY NOT NULL,
    component_id TEXT NOT NULL REFERENCES components (id),
    factory_id TEXT NOT NULL REFERENCES factories (id),
    tier INTEGER NOT NULL CHECK (tier >= 1),
    valid_from DATE NOT NULL,
    valid_to DATE,
    disclosed_by TEXT NOT NULL REFERENCES organizations (id),
    created_at TIMESTAMP NOT NULL,
    CHECK (valid_to IS NULL OR valid_to >= valid_from)
);
CREATE INDEX sourcing_links_factory ON sourcing_links (factory_id);
CREATE INDEX sourcing_links_component ON sourcing_links (component_id);
CREATE INDEX sourcing_links_disclosed_by ON sourcing_links (disclosed_by);

CREATE TABLE contracts (
    id TEXT PRIMARY KEY NOT NULL,
    buyer_id TEXT NOT NULL REFERENCES organizations (id),
    contractor_id TEXT NOT NULL REFERENCES organizations (id),
    reference TEXT NOT NULL,
    title TEXT NOT NULL,
    starts_on DATE NOT NULL,
    ends_on DATE NOT NULL,
    value_amount TEXT,
    value_currency TEXT,
    ocds_id TEXT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (buyer_id, reference),
    CHECK (ends_on >= starts_on)
);
CREATE INDEX contracts_contractor ON contracts (contractor_id, id);

CREATE TABLE contract_items (
    id TEXT PRIMARY KEY NOT NULL,
    contract_id TEXT NOT NULL REFERENCES contracts (id),
    component_id TEXT NOT NULL REFERENCES components (id),
    created_at TIMESTAMP NOT NULL,
    UNIQUE (contract_id, component_id)
);
CREATE INDEX contract_items_component ON contract_items (component_id);
