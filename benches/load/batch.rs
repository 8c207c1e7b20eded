//! The seed's bulk writes: rows buffered by the simulation, written in one transaction per
//! batch.

use chrono::TimeDelta;
use diesel::prelude::*;
use ketenzorg::cases::events::EventRow;
use ketenzorg::cases::CaseRow;
use ketenzorg::db::{write_tx, DbConnection};
use ketenzorg::findings::FindingRow;
use ketenzorg::notifications::outbox::{self, NotificationStatus};
use ketenzorg::schema::{case_contracts, case_events, cases, findings, notifications};

use crate::model::CaseContract;

/// Rows buffered for one bulk write. Notifications are not rows yet: each event waits with the
/// case as it stood after that event and the finding's title, for the library's outbox rule.
#[derive(Default)]
pub struct Batch {
    pub findings: Vec<FindingRow>,
    pub cases: Vec<CaseRow>,
    pub case_contracts: Vec<CaseContract>,
    pub events: Vec<EventRow>,
    pub outbox: Vec<(CaseRow, usize, String)>,
}

impl Batch {
    /// Writes everything buffered, parents first, in one transaction, in bulk: each event's
    /// notification rows are made by `notifications::outbox::rows_for` (so they have its
    /// recipients, addresses, visibility and payload) and marked delivered twenty seconds after
    /// their event, as the mail sender would have. Returns the number of notifications written.
    pub fn flush(&mut self, conn: &mut DbConnection) -> usize {
        let written = write_tx(conn, |c| {
            insert_rows!(c, findings::table, self.findings);
            insert_rows!(c, cases::table, self.cases);
            insert_rows!(c, case_contracts::table, self.case_contracts);
            insert_rows!(c, case_events::table, self.events);
            let mut notes = Vec::new();
            for (case, event, title) in &self.outbox {
                for mut n in outbox::rows_for(c, case, &self.events[*event], Some(title))? {
                    n.status = NotificationStatus::Sent;
                    n.attempts = 1;
                    n.sent_at = Some(n.created_at + TimeDelta::seconds(20));
                    notes.push(n);
                }
            }
            insert_rows!(c, notifications::table, notes);
            Ok(notes.len())
        })
        .expect("bulk findings and cases");
        *self = Batch::default();
        written
    }
}
