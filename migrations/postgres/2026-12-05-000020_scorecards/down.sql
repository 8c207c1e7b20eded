DROP INDEX cases_contractor_opened;
