//! Escalation: the jobs that act on cases as time passes. `sweep` sends the reminders and
//! raises the escalations that are due; `recompute` moves the deadlines of open cases to a new
//! policy. The deadline policy and the scheduling rules they apply belong to the case
//! (`cases::policy`, `cases::deadlines`) and are re-exported here.

pub mod recompute;
pub mod sweep;

use chrono::NaiveDateTime;

pub use crate::cases::core::clock_runs;
pub use crate::cases::deadlines::{
    due_dates, due_order, far_future, reschedule, running, slot, DueDates, Slot, KINDS,
};
pub use crate::cases::policy::{Deadlines, Policy};

/// Records the policy in force (once per version), so every case's `policy_version` can be
/// looked up later.
pub fn register_policy(
    conn: &mut crate::db::DbConnection,
    policy: &Policy,
    now: NaiveDateTime,
) -> Result<(), crate::error::Error> {
    use crate::schema::deadline_policies as p;
    use diesel::prelude::*;
    let version = policy.version();
    let known: i64 = p::table
        .filter(p::version.eq(&version))
        .count()
        .get_result(conn)?;
    if known == 0 {
        let inserted = diesel::insert_into(p::table)
            .values((
                p::version.eq(&version),
                p::document.eq(policy.document().to_string()),
                p::created_at.eq(now),
            ))
            .execute(conn);
        match inserted {
            // Another instance starting at the same moment registered it first.
            Err(diesel::result::Error::DatabaseError(
                diesel::result::DatabaseErrorKind::UniqueViolation,
                _,
            )) => {}
            other => {
                other?;
            }
        }
    }
    Ok(())
}
