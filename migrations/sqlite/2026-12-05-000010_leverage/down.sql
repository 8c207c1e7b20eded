DROP INDEX cases_factory_open;
