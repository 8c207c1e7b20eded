//! The report's reads: its cases (with their finding and their current copy of state and
//! level) and, in one pass, their events up to the end of the period, of the kinds the figures
//! count. The figures (figures.rs, states.rs) are then worked out in memory: one pass over a
//! large buyer's history costs about what each of nine aggregate statements over it did.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{Integer, Nullable, Text, Timestamp};

use super::sql::{quoted, scoped, Dialect, Scope};
use crate::cases::EventKind;
use crate::db::DbConnection;
use crate::error::Error;

/// The report's cases: every case concerning one of the buyer's contracts (or the
/// framework's), whatever the contract's dates, since a case outlives its contract; with the
/// copies of its state and level on its contract links and when they last changed (`upd`).
const SCOPE_CASES: &str = "SELECT cc.case_id AS case_id, MAX(cc.case_updated_at) AS upd, \
     MAX(cc.case_state) AS state, MAX(cc.case_level) AS level \
     FROM case_contracts cc JOIN contracts k ON k.id = cc.contract_id WHERE k.buyer_id = $1 \
     AND ($2 = '' OR k.id = $2 OR k.framework_id = $2) GROUP BY cc.case_id";

/// The event kinds the figures read.
pub(super) const READ: [EventKind; 13] = [
    EventKind::Opened,
    EventKind::Acknowledged,
    EventKind::Disputed,
    EventKind::PlanSubmitted,
    EventKind::PlanAccepted,
    EventKind::PlanRejected,
    EventKind::RemediationReported,
    EventKind::Verified,
    EventKind::Closed,
    EventKind::Reopened,
    EventKind::Escalated,
    EventKind::ExtensionGranted,
    EventKind::DeadlinesRecomputed,
];

#[derive(QueryableByName)]
pub(super) struct CaseRow {
    #[diesel(sql_type = Text)]
    pub case_id: String,
    #[diesel(sql_type = Text)]
    pub severity: String,
    #[diesel(sql_type = Text)]
    pub factory_id: String,
    #[diesel(sql_type = Timestamp)]
    pub opened_at: NaiveDateTime,
    #[diesel(sql_type = Text)]
    pub finding_id: String,
    #[diesel(sql_type = Text)]
    pub category: String,
    #[diesel(sql_type = Text)]
    pub finding_severity: String,
    #[diesel(sql_type = Nullable<Timestamp>)]
    pub upd: Option<NaiveDateTime>,
    #[diesel(sql_type = Text)]
    pub state: String,
    #[diesel(sql_type = Integer)]
    pub level: i32,
}

#[derive(QueryableByName)]
struct EventRow {
    #[diesel(sql_type = Text)]
    case_id: String,
    #[diesel(sql_type = Integer)]
    seq: i32,
    #[diesel(sql_type = Text)]
    kind: String,
    #[diesel(sql_type = Timestamp)]
    at: NaiveDateTime,
    #[diesel(sql_type = Nullable<Text>)]
    was: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    now: Option<String>,
    #[diesel(sql_type = Nullable<Integer>)]
    level: Option<i32>,
}

/// One event as the figures read it.
pub(super) struct Event {
    /// Index into `History::cases`.
    pub case: usize,
    pub seq: i32,
    pub kind: EventKind,
    pub at: NaiveDateTime,
    /// For a verification, closing or reopening: the state before and after (payload
    /// `from`, `to`).
    pub was: Option<String>,
    pub now: Option<String>,
    /// For an escalation: the level it raised the case to; for a granted extension or
    /// recomputed deadlines: the level after, when they changed it.
    pub level: Option<i32>,
}

pub(super) struct History {
    pub cases: Vec<CaseRow>,
    /// Every read event by the end of the period, in no particular order.
    pub events: Vec<Event>,
}

/// Reads the report's cases and their events by the end of the period.
pub(super) fn read(conn: &mut DbConnection, s: &Scope) -> Result<History, Error> {
    let cases: Vec<CaseRow> = scoped!(
        format!(
            "SELECT c.id AS case_id, c.severity AS severity, c.factory_id AS factory_id, \
             c.opened_at AS opened_at, f.id AS finding_id, f.category AS category, \
             f.severity AS finding_severity, s.upd AS upd, s.state AS state, s.level AS level \
             FROM ({SCOPE_CASES}) s JOIN cases c ON c.id = s.case_id \
             JOIN findings f ON f.id = c.finding_id"
        ),
        s
    )
    .load(conn)?;
    let d = Dialect(conn.backend());
    let moves = quoted(
        [EventKind::Verified, EventKind::Closed, EventKind::Reopened]
            .iter()
            .map(|k| k.as_str()),
    );
    let sql = format!(
        "SELECT e.case_id AS case_id, e.seq AS seq, e.kind AS kind, e.at AS at, \
         CASE WHEN e.kind IN ({moves}) THEN {was} END AS was, \
         CASE WHEN e.kind IN ({moves}) THEN {now} END AS now, \
         CASE WHEN e.kind = 'escalated' THEN {level} \
           WHEN e.kind IN ('extension_granted', 'deadlines_recomputed') THEN {after} END AS level \
         FROM case_events e WHERE e.case_id IN (SELECT case_id FROM ({SCOPE_CASES}) s) \
         AND e.at <= $3 AND e.kind IN ({kinds})",
        was = d.text("e.payload", "from"),
        now = d.text("e.payload", "to"),
        level = d.int("e.payload", "level"),
        after = d.int("e.payload", "escalation_level.after"),
        kinds = quoted(READ.iter().map(|k| k.as_str())),
    );
    let rows: Vec<EventRow> = scoped!(sql, s).bind::<Timestamp, _>(s.end).load(conn)?;
    let index: HashMap<&str, usize> = cases
        .iter()
        .enumerate()
        .map(|(i, c)| (c.case_id.as_str(), i))
        .collect();
    let mut events = Vec::with_capacity(rows.len());
    for r in rows {
        let (Some(&case), Ok(kind)) = (index.get(r.case_id.as_str()), r.kind.parse::<EventKind>())
        else {
            continue;
        };
        events.push(Event {
            case,
            seq: r.seq,
            kind,
            at: r.at,
            was: r.was,
            now: r.now,
            level: r.level,
        });
    }
    Ok(History { cases, events })
}
