DROP TABLE contract_items;
DROP TABLE contracts;
DROP TABLE sourcing_links;
DROP TABLE components;
DROP TABLE factories;
DROP TABLE api_tokens;
DROP TABLE organizations;
