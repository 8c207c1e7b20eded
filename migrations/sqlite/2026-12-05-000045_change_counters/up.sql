-- Work the server keeps between requests (db/memo.rs) is reused only while counters of what it
-- was read from stand. Triggers bump them, so no code path can forget to:
-- `supply_chain` with every change to contracts, items, components, sourcing links and
-- factories (the leverage ranking's walk of the bill of materials, leverage/cache.rs);
-- `open_cases` when a case is added or removed, becomes open or done, changes severity or
-- factory, or gains or loses a contract (the ranking's open cases per factory).
CREATE TABLE change_counters (
    name TEXT NOT NULL,
    stripe INTEGER NOT NULL,
    n BIGINT NOT NULL,
    PRIMARY KEY (name, stripe)
);
INSERT INTO change_counters (name, stripe, n) VALUES ('supply_chain', 0, 0), ('open_cases', 0, 0);

CREATE TRIGGER contracts_insert_supply_chain AFTER INSERT ON contracts
BEGIN
    UPDATE change_counters SET n = n + 1 WHERE name = 'supply_chain';
END;

CREATE TRIGGER contracts_update_supply_chain AFTER UPDATE ON contracts
BEGIN
    UPDATE change_counters SET n = n + 1 WHERE name = 'supply_chain';
END;

CREATE TRIGGER contracts_delete_supply_chain AFTER DELETE ON contracts
BEGIN
    UPDATE change_counters SET n = n + 1 WHERE name = 'supply_chain';
END;

CREATE TRIGGER contract_items_insert_supply_chain AFTER INSERT ON contract_items
BEGIN
    UPDATE change_counters SET n = n + 1 WHERE name = 'supply_chain';
END;

CREATE TRIGGER contract_items_update_supply_chain AFTER UPDATE ON contract_items
BEGIN
    UPDATE change_counters SET n = n + 1 WHERE name = 'supply_chain';
END;

CREATE TRIGGER contract_items_delete_supply_chain AFTER DELETE ON contract_items
BEGIN
    UPDATE change_counters SET n = n + 1 WHERE name = 'supply_chain';
END;

CREATE TRIGGER components_insert_supply_chain AFTER INSERT ON components
BEGIN
    UPDATE change_counters SET n = n + 1 WHERE name = 'supply_chain';
END;

CREATE TRIGGER components_update_supply_chain AFTER UPDATE ON components
BEGIN
    UPDATE change_counters SET n = n + 1 WHERE name = 'supply_chain';
END;

CREATE TRIGGER components_delete_supply_chain AFTER DELETE ON components
BEGIN
    UPDATE change_counters SET n = n + 1 WHERE name = 'supply_chain';
END;

CREATE TRIGGER sourcing_links_insert_supply_chain AFTER INSERT ON sourcing_links
BEGIN
    UPDATE change_counters SET n = n + 1 WHERE name = 'supply_chain';
END;

CREATE TRIGGER sourcing_links_update_supply_chain AFTER UPDATE ON sourcing_links
BEGIN
    UPDATE change_counters SET n = n + 1 WHERE name = 'supply_chain';
END;

CREATE TRIGGER sourcing_links_delete_supply_chain AFTER DELETE ON sourcing_links
BEGIN
    UPDATE change_counters SET n = n + 1 WHERE name = 'supply_chain';
END;

CREATE TRIGGER factories_insert_supply_chain AFTER INSERT ON factories
BEGIN
    UPDATE change_counters SET n = n + 1 WHERE name = 'supply_chain';
END;

CREATE TRIGGER factories_update_supply_chain AFTER UPDATE ON factories
BEGIN
    UPDATE change_counters SET n = n + 1 WHERE name = 'supply_chain';
END;

CREATE TRIGGER factories_delete_supply_chain AFTER DELETE ON factories
BEGIN
    UPDATE change_counters SET n = n + 1 WHERE name = 'supply_chain';
END;

CREATE TRIGGER cases_insert_open_cases AFTER INSERT ON cases
BEGIN
    UPDATE change_counters SET n = n + 1 WHERE name = 'open_cases';
END;

CREATE TRIGGER cases_delete_open_cases AFTER DELETE ON cases
BEGIN
    UPDATE change_counters SET n = n + 1 WHERE name = 'open_cases';
END;

CREATE TRIGGER case_contracts_insert_open_cases AFTER INSERT ON case_contracts
BEGIN
    UPDATE change_counters SET n = n + 1 WHERE name = 'open_cases';
END;

CREATE TRIGGER case_contracts_delete_open_cases AFTER DELETE ON case_contracts
BEGIN
    UPDATE change_counters SET n = n + 1 WHERE name = 'open_cases';
END;

CREATE TRIGGER cases_update_open_cases AFTER UPDATE OF state, severity, factory_id ON cases
WHEN (OLD.state IN ('verified', 'closed')) <> (NEW.state IN ('verified', 'closed'))
    OR OLD.severity IS NOT NEW.severity OR OLD.factory_id IS NOT NEW.factory_id
BEGIN
    UPDATE change_counters SET n = n + 1 WHERE name = 'open_cases';
END;
