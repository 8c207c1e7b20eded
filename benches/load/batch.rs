//! The seed's bulk writes: rows buffered by the simulation, written in one transaction per
//! batch.

use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::sql_types::{Nullable, Timestamp};
use ketenzorg::cases::events::EventRow;
use ketenzorg::cases::CaseRow;
use ketenzorg::db::{write_tx, DbConnection};
use ketenzorg::findings::FindingRow;
use ketenzorg::notifications::outbox;
use ketenzorg::schema::{case_contracts, case_events, cases, findings, notifications};
use ketenzorg::values::CaseId;

use crate::model::{CaseContract, CHUNK};

/// Rows buffered for one bulk write. Notifications are not rows yet: each event waits with the
/// case as it stood after that event and the finding's title, for the library's outbox.
#[derive(Default)]
pub struct Batch {
    pub findings: Vec<FindingRow>,
    pub cases: Vec<CaseRow>,
    pub case_contracts: Vec<CaseContract>,
    pub events: Vec<EventRow>,
    pub outbox: Vec<(CaseRow, usize, String)>,
}

impl Batch {
    /// Writes everything buffered, parents first, in one transaction: the rows in bulk, then
    /// each event's notifications through `notifications::outbox::enqueue_with_title` (so they
    /// have its recipients, addresses, visibility and payload), then marks those delivered
    /// twenty seconds after their event, as the mail sender would have. Returns the number of
    /// notifications written.
    pub fn flush(&mut self, conn: &mut DbConnection) -> usize {
        let written = write_tx(conn, |c| {
            insert_rows!(c, findings::table, self.findings);
            insert_rows!(c, cases::table, self.cases);
            insert_rows!(c, case_contracts::table, self.case_contracts);
            insert_rows!(c, case_events::table, self.events);
            let mut written = 0;
            for (case, event, title) in &self.outbox {
                written += outbox::enqueue_with_title(c, case, &self.events[*event], Some(title))?;
            }
            let later = match c {
                DbConnection::Pg(_) => "created_at + interval '20 seconds'",
                DbConnection::Sqlite(_) => {
                    "strftime('%Y-%m-%d %H:%M:%f', created_at, '+20 seconds')"
                }
            };
            let ids: Vec<CaseId> = self.cases.iter().map(|k| k.id).collect();
            for chunk in ids.chunks(CHUNK) {
                diesel::update(
                    notifications::table
                        .filter(notifications::case_id.eq_any(chunk))
                        .filter(notifications::status.eq("pending")),
                )
                .set((
                    notifications::status.eq("sent"),
                    notifications::attempts.eq(1),
                    notifications::sent_at.eq(sql::<Nullable<Timestamp>>(later)),
                ))
                .execute(c)?;
            }
            Ok(written)
        })
        .expect("bulk findings and cases");
        *self = Batch::default();
        written
    }
}
