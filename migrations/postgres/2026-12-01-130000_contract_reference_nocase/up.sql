-- A buyer's contract references are unique ignoring case: "FW-2026/LOT1" and "fw-2026/lot1"
-- name one contract. Case is folded by the database's lower() (ASCII letters on SQLite; on
-- PostgreSQL as the database's locale folds them); the service checks with the same function.
-- Contracts that already differ only in case make this migration fail: find them with
--   SELECT buyer_id, lower(reference), count(*) FROM contracts
--    GROUP BY buyer_id, lower(reference) HAVING count(*) > 1;
-- and rename one of each pair before upgrading.
CREATE UNIQUE INDEX contracts_buyer_reference_nocase ON contracts (buyer_id, lower(reference));
