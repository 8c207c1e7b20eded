//! How a case is kept: taking its row for a change (the lock and the `If-Match` check),
//! appending its events, writing the row back, and the notifications each event causes, all
//! in the caller's transaction.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::events::{self, Actor, EventKind, EventRow};
use super::CaseRow;
use crate::db::DbConnection;
use crate::error::Error;
use crate::schema::{case_contracts, case_events, cases};
use crate::values::{CaseId, ContractId};

/// Writes a new case (its first event already chained onto it by `events::next`), its
/// contracts, the event, and the notifications it causes.
pub fn insert_new(
    conn: &mut DbConnection,
    row: &CaseRow,
    contract_ids: &[ContractId],
    event: &EventRow,
    title: &str,
) -> Result<(), Error> {
    diesel::insert_into(cases::table)
        .values(row)
        .execute(conn)?;
    // One row at a time: multi-row VALUES does not go through MultiConnection, and a case
    // touches few contracts.
    for c in contract_ids {
        diesel::insert_into(case_contracts::table)
            .values((
                case_contracts::case_id.eq(row.id),
                case_contracts::contract_id.eq(c),
            ))
            .execute(conn)?;
    }
    diesel::insert_into(case_events::table)
        .values(event)
        .execute(conn)?;
    crate::notifications::outbox::enqueue_with_title(conn, row, event, Some(title))?;
    Ok(())
}

/// Appends an event to a case already held by this transaction, saves the case, and writes
/// the notifications the event causes: one unit, committed together.
pub fn record(
    conn: &mut DbConnection,
    row: &mut CaseRow,
    kind: EventKind,
    actor: &Actor,
    payload: serde_json::Value,
    now: NaiveDateTime,
    dedup_key: Option<String>,
) -> Result<EventRow, Error> {
    let event = events::next(row, kind, actor, payload, now, dedup_key)?;
    insert_event(conn, row, event, now)
}

/// Writes an event already chained onto `row` (by `events::next`), the case, and the
/// notifications the event causes.
pub fn insert_event(
    conn: &mut DbConnection,
    row: &mut CaseRow,
    event: EventRow,
    now: NaiveDateTime,
) -> Result<EventRow, Error> {
    diesel::insert_into(case_events::table)
        .values(&event)
        .execute(conn)?;
    row.updated_at = now;
    save(conn, row)?;
    crate::notifications::outbox::enqueue(conn, row, &event)?;
    Ok(event)
}

/// Takes the case for this transaction: bumps its version, which on PostgreSQL holds the
/// row lock until commit, so concurrent writers queue; the row is then read under that lock.
pub fn lock_case(conn: &mut DbConnection, id: CaseId) -> Result<CaseRow, Error> {
    diesel::update(cases::table.filter(cases::id.eq(id)))
        .set(cases::version.eq(cases::version + 1))
        .execute(conn)?;
    Ok(cases::table
        .filter(cases::id.eq(id))
        .select(CaseRow::as_select())
        .first(conn)?)
}

/// Takes the case for a change requested by a client: the row lock first (an unconditional
/// version bump), then the `If-Match` check against the version that was current when the
/// lock was granted. Every rule is then checked on the returned row, never on a row read
/// before the lock. On any error the transaction rolls back, bump included.
pub fn take(conn: &mut DbConnection, id: CaseId, if_match: Option<i32>) -> Result<CaseRow, Error> {
    let row = lock_case(conn, id)?;
    let before = row.version - 1;
    match if_match {
        Some(expected) if expected != before => Err(stale(before)),
        _ => Ok(row),
    }
}

fn stale(current: i32) -> Error {
    Error::PreconditionFailed(format!(
        "the case has changed since you read it (it is now at version {current}); read it again and retry"
    ))
}

/// Writes every mutable column of a locked case.
pub fn save(conn: &mut DbConnection, row: &CaseRow) -> Result<(), Error> {
    diesel::update(cases::table.filter(cases::id.eq(row.id)))
        .set((
            (
                cases::state.eq(row.state),
                cases::resume_state.eq(row.resume_state),
                cases::escalation_level.eq(row.escalation_level),
                cases::overdue.eq(row.overdue),
                cases::acknowledge_due_at.eq(row.acknowledge_due_at),
                cases::plan_due_at.eq(row.plan_due_at),
                cases::remediation_due_at.eq(row.remediation_due_at),
                cases::next_due_at.eq(row.next_due_at),
                cases::due_order.eq(row.due_order),
                cases::plan.eq(&row.plan),
                cases::event_count.eq(row.event_count),
                cases::last_event_hash.eq(&row.last_event_hash),
                cases::updated_at.eq(row.updated_at),
                cases::policy_version.eq(&row.policy_version),
            ),
            (
                cases::paused_at.eq(row.paused_at),
                cases::paused_seconds.eq(row.paused_seconds),
                cases::acknowledge_extended_to.eq(row.acknowledge_extended_to),
                cases::plan_extended_to.eq(row.plan_extended_to),
                cases::remediation_extended_to.eq(row.remediation_extended_to),
                cases::acknowledged_at.eq(row.acknowledged_at),
                cases::plan_submitted_at.eq(row.plan_submitted_at),
                cases::plan_accepted_at.eq(row.plan_accepted_at),
                cases::remediated_at.eq(row.remediated_at),
                cases::closed_at.eq(row.closed_at),
            ),
            (
                cases::acknowledge_reminded_for.eq(row.acknowledge_reminded_for),
                cases::plan_reminded_for.eq(row.plan_reminded_for),
                cases::remediation_reminded_for.eq(row.remediation_reminded_for),
                cases::acknowledge_escalated_for.eq(row.acknowledge_escalated_for),
                cases::plan_escalated_for.eq(row.plan_escalated_for),
                cases::remediation_escalated_for.eq(row.remediation_escalated_for),
                cases::next_action_at.eq(row.next_action_at),
                cases::max_escalation_level.eq(row.max_escalation_level),
                cases::extension_request.eq(&row.extension_request),
            ),
        ))
        .execute(conn)?;
    Ok(())
}
