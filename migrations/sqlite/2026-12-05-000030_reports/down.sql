DROP INDEX case_events_report;
