//! The sweep: sends the reminders and raises the escalations that are due, each exactly once.
//!
//! * Only due cases are read: `next_action_at <= now`, by an index, oldest first, in batches,
//!   until none is left (a backlog after an outage is worked off completely, in order).
//! * On PostgreSQL a batch is claimed with `FOR UPDATE SKIP LOCKED` inside the transaction that
//!   writes the events, so several sweepers (several `serve` instances) share the work and
//!   never take the same case. On SQLite there is one writer at a time anyway.
//! * Each reminder and escalation event carries a unique key (case, deadline, level, the
//!   deadline instant it answers): a second writer fails on the index instead of doubling.
//! * A batch commits whole or not at all: a sweep killed halfway leaves nothing half-done, and
//!   the next sweep does exactly what is left.
//! * A case that fails (a bad row) is rolled back to its savepoint, logged and skipped.

use chrono::{NaiveDateTime, TimeDelta};
use diesel::prelude::*;
use serde_json::json;

use crate::cases::deadlines::{reschedule, running, slot, KINDS};
use crate::cases::events::{Actor, EventKind};
use crate::cases::policy::Policy;
use crate::cases::store::{lock_case, record};
use crate::cases::{CaseRow, DeadlineKind, Step};
use crate::clock::utc;
use crate::db::{write_tx, Db, DbConnection};
use crate::error::Error;
use crate::schema::cases;
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

/// One batch in the caller's transaction. Returns how many cases were claimed.
pub fn batch(
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

/// What is due on one case at `now`, in deadline order.
fn process(
    conn: &mut DbConnection,
    id: CaseId,
    now: NaiveDateTime,
    policy: &Policy,
) -> Result<SweepReport, Error> {
    let mut row = lock_case(conn, id)?;
    let mut out = SweepReport {
        cases: 1,
        ..Default::default()
    };
    let system = Actor::default();
    for kind in visit_order(&mut row) {
        let Some(due) = due(&mut row, kind, now, policy.reminder_before) else {
            continue;
        };
        row.apply(&Step::other(due.kind, now))
            .map_err(Error::internal)?;
        record(
            conn,
            &mut row,
            due.kind,
            &system,
            due.payload,
            now,
            Some(due.key),
        )?;
        if due.kind == EventKind::Escalated {
            out.escalations += 1;
        } else {
            out.reminders += 1;
        }
    }
    // Whatever happened, the next action instant is recomputed (and saved if nothing else was).
    reschedule(&mut row, policy.reminder_before);
    crate::cases::store::save(conn, &row)?;
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
