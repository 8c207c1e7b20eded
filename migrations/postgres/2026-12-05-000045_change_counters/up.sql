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
INSERT INTO change_counters (name, stripe, n)
    SELECT name, stripe, 0 FROM (VALUES ('supply_chain'), ('open_cases')) AS k (name),
        generate_series(0, 31) AS stripe;

-- A counter is the sum of its 32 rows. A transaction bumps one of them, chosen by its server
-- process, once, when it commits (a deferred trigger): two filings committing at once lock
-- different rows, and each row is locked only while its transaction commits. A reader sums
-- the rows in one statement, so it sees every committed bump or none of a transaction's.
CREATE FUNCTION bump_change_counter() RETURNS trigger AS $$
DECLARE
    flag TEXT := 'ketenzorg.bumped_' || TG_ARGV[0];
BEGIN
    IF current_setting(flag, true) IS DISTINCT FROM 'on' THEN
        PERFORM set_config(flag, 'on', true);
        UPDATE change_counters SET n = n + 1
         WHERE name = TG_ARGV[0] AND stripe = pg_backend_pid() % 32;
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE CONSTRAINT TRIGGER contracts_supply_chain AFTER INSERT OR UPDATE OR DELETE ON contracts
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION bump_change_counter('supply_chain');

CREATE CONSTRAINT TRIGGER contract_items_supply_chain AFTER INSERT OR UPDATE OR DELETE ON contract_items
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION bump_change_counter('supply_chain');

CREATE CONSTRAINT TRIGGER components_supply_chain AFTER INSERT OR UPDATE OR DELETE ON components
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION bump_change_counter('supply_chain');

CREATE CONSTRAINT TRIGGER sourcing_links_supply_chain AFTER INSERT OR UPDATE OR DELETE ON sourcing_links
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION bump_change_counter('supply_chain');

CREATE CONSTRAINT TRIGGER factories_supply_chain AFTER INSERT OR UPDATE OR DELETE ON factories
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION bump_change_counter('supply_chain');

CREATE CONSTRAINT TRIGGER cases_open_cases AFTER INSERT OR DELETE ON cases
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION bump_change_counter('open_cases');

CREATE CONSTRAINT TRIGGER case_contracts_open_cases AFTER INSERT OR DELETE ON case_contracts
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION bump_change_counter('open_cases');

CREATE CONSTRAINT TRIGGER cases_update_open_cases AFTER UPDATE OF state, severity, factory_id ON cases
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
    WHEN ((OLD.state IN ('verified', 'closed')) IS DISTINCT FROM (NEW.state IN ('verified', 'closed'))
        OR OLD.severity IS DISTINCT FROM NEW.severity OR OLD.factory_id IS DISTINCT FROM NEW.factory_id)
    EXECUTE FUNCTION bump_change_counter('open_cases');
