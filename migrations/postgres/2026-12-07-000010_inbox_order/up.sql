-- A contractor's inbox lists its cases by next deadline (due_order, id): read in that order
-- from this index instead of sorting all of the contractor's cases for each page.
CREATE INDEX cases_contractor_due_order ON cases (contractor_id, due_order, id);
