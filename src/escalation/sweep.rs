//! The sweep: sends the reminders and raises the escalations that are due, each exactly once.
//!
//! * Only due cases are read: `next_action_at <= now`, by an index, oldest first, in batches,
//!   until none is left (a backlog after an outage is worked off completely, in order).
//! * On PostgreSQL a batch is claimed with `FOR UPDATE SKIP LOCKED` inside the transaction that
//!   writes the events, so several sweepers (several `serve` instances) share the work and
//!   never take the same case. On SQLite there is one writer at a time anyway.
//! * On PostgreSQL a batch is also processed as a batch, since each round trip costs more
//!   than the work: one statement claims the cases, bumps their versions and returns their
//!   rows; the rule (`act`) runs on each in memory; then one multi-row INSERT writes the
//!   batch's events, the notification recipients are read once for the batch
//!   (`outbox::rows_for_all`) and their rows written in one INSERT, and the cases are saved in
//!   one upsert (`store::save_all`). SQLite, in-process, goes case by case.
//! * Each reminder and escalation event carries a unique key (case, deadline, level, the
//!   deadline instant it answers): a second writer fails on the index instead of doubling.
//!   A batched write that fails so (or for any case) is rolled back to its savepoint and the
//!   batch is done again case by case, which skips just that case.
//! * A batch commits whole or not at all: a sweep killed halfway leaves nothing half-done, and
//!   the next sweep does exactly what is left.
//! * A case that fails (a bad row) is rolled back to its savepoint, logged and skipped.

use chrono::{NaiveDateTime, TimeDelta};
use diesel::prelude::*;
use serde_json::json;

use crate::cases::deadlines::{reschedule, running, slot, KINDS};
use crate::cases::events::{self, Actor, EventKind, EventRow};
use crate::cases::policy::Policy;
use crate::cases::store::{self, lock_case};
use crate::cases::{CaseRow, DeadlineKind, Step};
use crate::clock::utc;
use crate::db::{write_tx, Db, DbConnection};
use crate::error::Error;
use crate::notifications::outbox;
use crate::schema::{case_events, cases};
use crate::values::CaseId;

pub const DEFAULT_BATCH: i64 = 500;

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct SweepReport {
    pub cases: usize,
    pub reminders: usize,
    pub escalations: usize,
    /// Cases another writer had already handled.
    pub skipped: usize,
    pub failed: usize,
}

impl SweepReport {
    fn add(&mut self, o: SweepReport) {
        self.cases += o.cases;
        self.reminders += o.reminders;
        self.escalations += o.escalations;
        self.skipped += o.skipped;
        self.failed += o.failed;
    }
}

/// Ids of due cases, oldest action first, locked for this transaction on PostgreSQL.
fn claim(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    limit: i64,
    exclude: &[CaseId],
) -> Result<Vec<CaseId>, Error> {
    let due = cases::table
        .filter(cases::next_action_at.le(now))
        .filter(cases::id.ne_all(exclude))
        .order((cases::next_action_at.asc(), cases::id.asc()))
        .limit(limit)
        .select(cases::id);
    let ids: Vec<CaseId> = match conn {
        DbConnection::Pg(pg) => due.for_update().skip_locked().load(pg)?,
        DbConnection::Sqlite(lite) => due.load(lite)?,
    };
    Ok(ids)
}

/// The due cases taken and read in one statement on PostgreSQL: locked (skipping those
/// another sweeper holds) and their version bumped, as `store::lock_case` does for one, so a
/// client's `If-Match` sees the change. Oldest action first. Written as SQL because diesel
/// takes no locking subselect in an UPDATE's filter; the selection is `claim`'s.
fn claim_rows(
    pg: &mut diesel::PgConnection,
    now: NaiveDateTime,
    limit: i64,
    exclude: &[CaseId],
) -> Result<Vec<CaseRow>, Error> {
    use diesel::sql_types::{Array, BigInt, Text, Timestamp};
    let mut rows: Vec<CaseRow> = diesel::sql_query(
        "UPDATE cases SET version = version + 1 WHERE id IN ( \
            SELECT id FROM cases WHERE next_action_at <= $1 AND id <> ALL($2) \
            ORDER BY next_action_at, id LIMIT $3 FOR UPDATE SKIP LOCKED) \
         RETURNING cases.*",
    )
    .bind::<Timestamp, _>(now)
    .bind::<Array<Text>, _>(exclude)
    .bind::<BigInt, _>(limit)
    .load(pg)?;
    // RETURNING keeps no order.
    rows.sort_by_key(|r| (r.next_action_at, r.id));
    Ok(rows)
}

/// One batch in the caller's transaction. Returns how many cases were claimed.
///
/// On PostgreSQL the batch is claimed and written in a few statements (`batched`). If that
/// fails for any case (an event another writer recorded first, a row that cannot be
/// notified), it is rolled back to its savepoint and the batch goes case by case instead,
/// which records every other case and skips or reports the one at fault.
pub fn batch(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    policy: &Policy,
    limit: i64,
    exclude: &mut Vec<CaseId>,
) -> Result<(i64, SweepReport), Error> {
    if matches!(conn, DbConnection::Pg(_)) {
        match conn.transaction::<_, Error, _>(|c| batched(c, now, policy, limit, exclude)) {
            Ok(done) => return Ok(done),
            Err(e) => {
                tracing::info!(error = %e, "batched sweep rolled back; this batch goes case by case")
            }
        }
    }
    case_by_case(conn, now, policy, limit, exclude)
}

/// The batch one case at a time, each in its own savepoint: SQLite's path (in-process, it has
/// no round trips to save), PostgreSQL's when the batched path failed, and the reference the
/// batched path is tested against.
pub fn case_by_case(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    policy: &Policy,
    limit: i64,
    exclude: &mut Vec<CaseId>,
) -> Result<(i64, SweepReport), Error> {
    let ids = claim(conn, now, limit, exclude)?;
    let mut report = SweepReport::default();
    for id in &ids {
        match conn.transaction::<_, Error, _>(|c| process(c, *id, now, policy)) {
            Ok(o) => report.add(o),
            Err(Error::Conflict { .. }) => {
                tracing::info!(case = %id, "reminder or escalation already recorded by another writer");
                exclude.push(*id);
                report.skipped += 1;
            }
            Err(e) => {
                tracing::error!(case = %id, error = %e, "sweep failed on this case; skipping it");
                exclude.push(*id);
                report.failed += 1;
            }
        }
    }
    Ok((ids.len() as i64, report))
}

/// The batch on PostgreSQL: one statement claims and reads the cases, the rule (`act`) runs
/// on each in memory, then one statement each writes all the events, all the notifications
/// (their recipients read once for the batch) and all the cases: a handful of round trips
/// for the batch instead of some ten per case.
fn batched(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    policy: &Policy,
    limit: i64,
    exclude: &[CaseId],
) -> Result<(i64, SweepReport), Error> {
    let DbConnection::Pg(pg) = conn else {
        return Err(Error::internal("the batched sweep is for PostgreSQL"));
    };
    let mut rows = claim_rows(pg, now, limit, exclude)?;
    let mut report = SweepReport::default();
    // Each event with the case as it stood right after it, which its notifications describe.
    let mut recorded: Vec<(CaseRow, EventRow)> = Vec::new();
    for row in &mut rows {
        report.add(act(row, now, policy, |row, event| {
            // As `store::insert_event` does before its save.
            row.updated_at = now;
            recorded.push((row.clone(), event));
            Ok(())
        })?);
    }
    let events: Vec<EventRow> = recorded.iter().map(|(_, e)| e.clone()).collect();
    for chunk in events.chunks(EVENTS_PER_INSERT) {
        // A unique violation here (another writer's event) rolls the batch back.
        diesel::insert_into(case_events::table)
            .values(chunk)
            .execute(pg)?;
    }
    let told: Vec<(&CaseRow, &EventRow)> = recorded.iter().map(|(row, e)| (row, e)).collect();
    let notifications = outbox::rows_for_all(conn, &told, None)?;
    outbox::insert(conn, &notifications)?;
    store::save_all(conn, &rows)?;
    Ok((rows.len() as i64, report))
}

/// Under PostgreSQL's 65,535 bind parameters per statement (an event has 12 columns).
const EVENTS_PER_INSERT: usize = 4_000;

/// A reminder or an escalation that has fallen due: the event to record and its unique key.
#[derive(Debug, Clone, PartialEq)]
pub struct Due {
    pub kind: EventKind,
    pub payload: serde_json::Value,
    pub key: String,
}

/// The deadlines of a case in the order the sweep visits them: the earliest due first.
pub fn visit_order(row: &mut CaseRow) -> [DeadlineKind; 3] {
    let mut kinds = KINDS;
    kinds.sort_by_key(|k| *slot(row, *k).due);
    kinds
}

/// The reminder or escalation of deadline `kind` that is due at `now`, if any: an escalation
/// once the deadline has passed, a reminder within `reminder_before` of it, each once per
/// deadline instant. It is marked on `row` (the slot, the rescheduled next action and
/// escalation level) before it is returned, so the caller records it on the case as it now is.
/// The sweep and the load benchmark's simulated histories both act by this rule.
pub fn due(
    row: &mut CaseRow,
    kind: DeadlineKind,
    now: NaiveDateTime,
    reminder_before: TimeDelta,
) -> Option<Due> {
    if !running(row, kind) {
        return None;
    }
    let s = slot(row, kind);
    let (deadline, reminded, escalated) = (*s.due, *s.reminded_for, *s.escalated_for);
    let at = utc(deadline).to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
    if now >= deadline && escalated != Some(deadline) {
        *s.escalated_for = Some(deadline);
        *s.reminded_for = Some(deadline);
        reschedule(row, reminder_before);
        let level = row.escalation_level;
        let effect = match level {
            1 => "the contractor's escalation contact and the buyer are told",
            2 => "the case is overdue in the buyer's contract status; the monitor is told",
            _ => "non-cooperation: the trigger for contractual remedies",
        };
        Some(Due {
            kind: EventKind::Escalated,
            payload: json!({"deadline": kind, "deadline_at": at, "level": level, "effect": effect}),
            key: format!("escalation:{}:{kind}:{level}:{at}", row.id),
        })
    } else if now < deadline && now >= deadline - reminder_before && reminded != Some(deadline) {
        *s.reminded_for = Some(deadline);
        reschedule(row, reminder_before);
        Some(Due {
            kind: EventKind::Reminder,
            payload: json!({"deadline": kind, "deadline_at": at}),
            key: format!("reminder:{}:{kind}:{at}", row.id),
        })
    } else {
        None
    }
}

/// What is due on one case at `now`, in deadline order, case by case.
fn process(
    conn: &mut DbConnection,
    id: CaseId,
    now: NaiveDateTime,
    policy: &Policy,
) -> Result<SweepReport, Error> {
    let mut row = lock_case(conn, id)?;
    let out = act(&mut row, now, policy, |row, event| {
        store::insert_event(conn, row, event, now).map(drop)
    })?;
    store::save(conn, &row)?;
    Ok(out)
}

/// The sweep's rule for one case held by this transaction: each reminder or escalation due
/// at `now` is applied to `row` and chained onto its history, then handed to `write` with the
/// row as it then stands; finally the next action instant is recomputed (the caller saves the
/// row, whether or not anything was due). Both paths act by this one rule.
fn act(
    row: &mut CaseRow,
    now: NaiveDateTime,
    policy: &Policy,
    mut write: impl FnMut(&mut CaseRow, EventRow) -> Result<(), Error>,
) -> Result<SweepReport, Error> {
    let mut out = SweepReport {
        cases: 1,
        ..Default::default()
    };
    let system = Actor::default();
    for kind in visit_order(row) {
        let Some(due) = due(row, kind, now, policy.reminder_before) else {
            continue;
        };
        row.apply(&Step::other(due.kind, now))
            .map_err(Error::internal)?;
        let event = events::next(row, due.kind, &system, due.payload, now, Some(due.key))?;
        write(row, event)?;
        if due.kind == EventKind::Escalated {
            out.escalations += 1;
        } else {
            out.reminders += 1;
        }
    }
    reschedule(row, policy.reminder_before);
    Ok(out)
}

/// Runs a whole sweep on one connection (the `sweep` command), one transaction per batch.
pub fn run(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    policy: &Policy,
    limit: i64,
) -> Result<SweepReport, Error> {
    let mut total = SweepReport::default();
    let mut exclude = Vec::new();
    loop {
        let (claimed, report) = write_tx(conn, |c| batch(c, now, policy, limit, &mut exclude))?;
        total.add(report);
        if claimed < limit {
            return Ok(total);
        }
    }
}

/// The same through the shared handle (the sweeper inside `serve`), so that on SQLite it
/// queues with the request writers.
pub async fn run_async(
    db: &Db,
    now: NaiveDateTime,
    policy: std::sync::Arc<Policy>,
    limit: i64,
) -> Result<SweepReport, Error> {
    let mut total = SweepReport::default();
    let mut exclude = Vec::new();
    loop {
        let policy = policy.clone();
        let mut ex = std::mem::take(&mut exclude);
        let (claimed, report, ex) = db
            .write(move |c| {
                let (claimed, report) = batch(c, now, &policy, limit, &mut ex)?;
                Ok((claimed, report, ex))
            })
            .await?;
        exclude = ex;
        total.add(report);
        if claimed < limit {
            return Ok(total);
        }
    }
}
