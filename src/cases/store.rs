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

/// A case to write: the row (its first event already chained onto it by `events::next`), its
/// contracts, and that event.
pub type NewCase = (CaseRow, Vec<ContractId>, EventRow);

/// Writes new cases (a finding's, one per responsible contractor), their contracts, their
/// first events, and the notifications those cause. The recipients' settings are read once
/// for all of them; on PostgreSQL each table's rows go in one statement (a round trip saved
/// per row). `title` is the finding's.
pub fn insert_all_new(conn: &mut DbConnection, new: &[NewCase], title: &str) -> Result<(), Error> {
    if new.is_empty() {
        return Ok(());
    }
    let link = |case: CaseId, contract: ContractId| {
        (
            case_contracts::case_id.eq(case),
            case_contracts::contract_id.eq(contract),
        )
    };
    match conn {
        DbConnection::Pg(pg) => {
            let links: Vec<_> = new
                .iter()
                .flat_map(|(row, contracts, _)| contracts.iter().map(|c| link(row.id, *c)))
                .collect();
            let rows: Vec<&CaseRow> = new.iter().map(|(row, _, _)| row).collect();
            diesel::insert_into(cases::table).values(rows).execute(pg)?;
            if !links.is_empty() {
                diesel::insert_into(case_contracts::table)
                    .values(&links)
                    .execute(pg)?;
            }
            let events: Vec<&EventRow> = new.iter().map(|(_, _, event)| event).collect();
            diesel::insert_into(case_events::table)
                .values(events)
                .execute(pg)?;
        }
        // In-process SQLite saves no round trip by it (and diesel's multi-connection has no
        // multi-row INSERT); each single-row statement is prepared once and reused.
        _ => {
            for (row, contracts, event) in new {
                diesel::insert_into(cases::table)
                    .values(row)
                    .execute(conn)?;
                for c in contracts {
                    diesel::insert_into(case_contracts::table)
                        .values(link(row.id, *c))
                        .execute(conn)?;
                }
                diesel::insert_into(case_events::table)
                    .values(event)
                    .execute(conn)?;
            }
        }
    }
    let opened: Vec<(&CaseRow, &EventRow)> =
        new.iter().map(|(row, _, event)| (row, event)).collect();
    let rows = crate::notifications::outbox::rows_for_all(conn, &opened, Some(title))?;
    crate::notifications::outbox::insert(conn, &rows)?;
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

/// Every column a change to a case may write (all but its identity, creation, version and
/// the columns triggers keep), each as `$set!(column)`, in the groups `save` always used
/// (`save` and `save_all` write this one list).
macro_rules! mutable_columns {
    ($set:ident) => {
        (
            (
                $set!(state),
                $set!(resume_state),
                $set!(escalation_level),
                $set!(overdue),
                $set!(acknowledge_due_at),
                $set!(plan_due_at),
                $set!(remediation_due_at),
                $set!(next_due_at),
                $set!(due_order),
                $set!(plan),
                $set!(event_count),
                $set!(last_event_hash),
                $set!(updated_at),
                $set!(policy_version),
            ),
            (
                $set!(paused_at),
                $set!(paused_seconds),
                $set!(acknowledge_extended_to),
                $set!(plan_extended_to),
                $set!(remediation_extended_to),
                $set!(acknowledged_at),
                $set!(plan_submitted_at),
                $set!(plan_accepted_at),
                $set!(remediated_at),
                $set!(closed_at),
            ),
            (
                $set!(acknowledge_reminded_for),
                $set!(plan_reminded_for),
                $set!(remediation_reminded_for),
                $set!(acknowledge_escalated_for),
                $set!(plan_escalated_for),
                $set!(remediation_escalated_for),
                $set!(next_action_at),
                $set!(max_escalation_level),
                $set!(extension_request),
            ),
        )
    };
}

/// Writes every mutable column of a locked case.
pub fn save(conn: &mut DbConnection, row: &CaseRow) -> Result<(), Error> {
    macro_rules! from_row {
        ($column:ident) => {
            cases::$column.eq(&row.$column)
        };
    }
    diesel::update(cases::table.filter(cases::id.eq(row.id)))
        .set(mutable_columns!(from_row))
        .execute(conn)?;
    Ok(())
}

/// Under PostgreSQL's 65,535 bind parameters per statement (a case row has 43 columns).
const CASES_PER_STATEMENT: usize = 1_000;

/// `save` for many cases locked by this transaction. On PostgreSQL in one statement per
/// 1,000: an upsert of the whole rows whose conflict on `id` (always: the rows exist and are
/// held) writes the same columns as `save`, so the same row triggers fire with the same
/// values; its insert path is never taken. SQLite saves them one by one (no round trips).
pub fn save_all(conn: &mut DbConnection, rows: &[CaseRow]) -> Result<(), Error> {
    use diesel::upsert::excluded;
    macro_rules! proposed {
        ($column:ident) => {
            cases::$column.eq(excluded(cases::$column))
        };
    }
    match conn {
        DbConnection::Pg(pg) => {
            for chunk in rows.chunks(CASES_PER_STATEMENT) {
                diesel::insert_into(cases::table)
                    .values(chunk)
                    .on_conflict(cases::id)
                    .do_update()
                    .set(mutable_columns!(proposed))
                    .execute(pg)?;
            }
        }
        _ => {
            for row in rows {
                save(conn, row)?;
            }
        }
    }
    Ok(())
}
