DROP TRIGGER case_contracts_update_figures;
DROP TRIGGER case_contracts_delete_figures;
DROP TRIGGER case_contracts_insert_figures;
DROP TABLE contract_max_levels;
DROP TABLE contract_open_figures;
