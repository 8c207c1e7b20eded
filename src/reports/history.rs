//! The report's reads: its cases (with their finding and their current state and level); the events of the period, of the kinds the figures count; the open count at the
//! period's start (one sum in the database over the moves before it); and, only for the cases
//! changed since the period's end, their events by then, to replay how they stood. The
//! figures (figures.rs, states.rs) are then worked out in memory. What happened before the
//! period is thus summed where it lies, not read: a yearly report reads about one year of a
//! buyer's history, however long that history is.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer, Nullable, Text, Timestamp};

use super::sql::{quoted, scoped, Dialect, Scope};
use crate::cases::EventKind;
use crate::db::DbConnection;
use crate::due_diligence::DONE;
use crate::error::Error;

/// The report's cases: every case concerning one of the buyer's contracts (or the
/// framework's), whatever the contract's dates, since a case outlives its contract. Read from
/// the `case_contracts` key alone (an index-only scan); the cases' own columns come from their
/// rows.
const SCOPE_CASES: &str = "SELECT DISTINCT cc.case_id FROM case_contracts cc \
     JOIN contracts k ON k.id = cc.contract_id WHERE k.buyer_id = $1 \
     AND ($2 = '' OR k.id = $2 OR k.framework_id = $2)";

/// The event kinds a replay reads: every state-setting and level-setting kind.
const REPLAYED: [EventKind; 13] = [
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

/// The event kinds the period's figures count. Openings and first answers are not among
/// them: a case's `opened_at` and `acknowledged_at` are the instants of those events.
pub(super) const COUNTED: [EventKind; 5] = [
    EventKind::RemediationReported,
    EventKind::Verified,
    EventKind::Closed,
    EventKind::Reopened,
    EventKind::Escalated,
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
    /// The first answer (acknowledgement or dispute); set once.
    #[diesel(sql_type = Nullable<Timestamp>)]
    pub acknowledged_at: Option<NaiveDateTime>,
    #[diesel(sql_type = Text)]
    pub finding_id: String,
    #[diesel(sql_type = Text)]
    pub category: String,
    #[diesel(sql_type = Text)]
    pub finding_severity: String,
    /// When the case last changed (`updated_at`: every event sets it).
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
    /// The period's events (start to end, both included) of the kinds counted, in no
    /// particular order.
    pub events: Vec<Event>,
    /// The events by the end of the period of the cases changed since (their `upd` is later), to replay how they stood then; in no particular order.
    pub replay: Vec<Event>,
    /// Cases open at the start of the period: openings before it, plus reopenings out of
    /// verified or closed, less moves into them.
    pub open_at_start: i64,
}

#[derive(QueryableByName)]
struct Sum {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// Reads the report's cases, the events of its period, its open count at the start, and what
/// the cases changed since its end need to be replayed.
pub(super) fn read(conn: &mut DbConnection, s: &Scope) -> Result<History, Error> {
    let cases: Vec<CaseRow> = scoped!(
        format!(
            "SELECT c.id AS case_id, c.severity AS severity, c.factory_id AS factory_id, \
             c.opened_at AS opened_at, c.acknowledged_at AS acknowledged_at, \
             f.id AS finding_id, f.category AS category, f.severity AS finding_severity, \
             c.updated_at AS upd, c.state AS state, c.escalation_level AS level \
             FROM cases c JOIN findings f ON f.id = c.finding_id \
             WHERE c.id IN ({SCOPE_CASES})"
        ),
        s
    )
    .load(conn)?;
    let index: HashMap<&str, usize> = cases
        .iter()
        .enumerate()
        .map(|(i, c)| (c.case_id.as_str(), i))
        .collect();
    let d = Dialect(conn.backend());
    let columns = event_columns(&d);
    let (counted, replayed) = (
        quoted(COUNTED.iter().map(|k| k.as_str())),
        quoted(REPLAYED.iter().map(|k| k.as_str())),
    );
    // SQLite numbers `$n` in order of appearance: the scope's $1, $2 come first in each text.
    let period: Vec<EventRow> = scoped!(
        format!(
            "SELECT {columns} FROM case_events e \
             WHERE e.case_id IN ({SCOPE_CASES}) \
             AND e.at >= $3 AND e.at <= $4 AND e.kind IN ({counted})"
        ),
        s
    )
    .bind::<Timestamp, _>(s.start)
    .bind::<Timestamp, _>(s.end)
    .load(conn)?;
    let changed_since = cases.iter().any(|c| c.upd.is_some_and(|u| u > s.end));
    let replay: Vec<EventRow> = if changed_since {
        scoped!(
            format!(
                "SELECT {columns} FROM case_events e \
                 WHERE e.case_id IN (SELECT c.id FROM cases c \
                   WHERE c.id IN ({SCOPE_CASES}) AND c.updated_at > $3) \
                 AND e.at <= $4 AND e.kind IN ({replayed})"
            ),
            s
        )
        .bind::<Timestamp, _>(s.end)
        .bind::<Timestamp, _>(s.end)
        .load(conn)?
    } else {
        Vec::new()
    };
    let moves = quoted(MOVES.iter().map(|k| k.as_str()));
    let done = quoted(DONE.iter().copied());
    let (was, now) = (d.text("e.payload", "from"), d.text("e.payload", "to"));
    // The months' rule (figures::months) for the moves before the period, summed by the
    // database: +1 a move out of verified or closed, -1 a move into them, 0 a move with a
    // state missing. The openings before it are counted from the cases.
    let moves_before = scoped!(
        format!(
            "SELECT CAST(COALESCE(SUM(CASE \
               WHEN ({was}) IN ({done}) AND ({now}) NOT IN ({done}) THEN 1 \
               WHEN ({was}) NOT IN ({done}) AND ({now}) IN ({done}) THEN -1 \
               ELSE 0 END), 0) AS BIGINT) AS n FROM case_events e \
             WHERE e.case_id IN ({SCOPE_CASES}) \
             AND e.at < $3 AND e.kind IN ({moves})"
        ),
        s
    )
    .bind::<Timestamp, _>(s.start)
    .get_result::<Sum>(conn)?
    .n;
    let opened_before = cases.iter().filter(|c| c.opened_at < s.start).count() as i64;
    let open_at_start = opened_before + moves_before;
    let events = resolve(&index, period);
    let replay = resolve(&index, replay);
    Ok(History {
        cases,
        events,
        replay,
        open_at_start,
    })
}

/// The moves the open count follows (out of or into the done states, `due_diligence::DONE`).
const MOVES: [EventKind; 3] = [EventKind::Verified, EventKind::Closed, EventKind::Reopened];

/// What each event read gives: the states of a move, the level of a level-setting event.
fn event_columns(d: &Dialect) -> String {
    let moves = quoted(MOVES.iter().map(|k| k.as_str()));
    format!(
        "e.case_id AS case_id, e.seq AS seq, e.kind AS kind, e.at AS at, \
         CASE WHEN e.kind IN ({moves}) THEN {was} END AS was, \
         CASE WHEN e.kind IN ({moves}) THEN {now} END AS now, \
         CASE WHEN e.kind = 'escalated' THEN {level} \
           WHEN e.kind IN ('extension_granted', 'deadlines_recomputed') THEN {after} END AS level",
        was = d.text("e.payload", "from"),
        now = d.text("e.payload", "to"),
        level = d.int("e.payload", "level"),
        after = d.int("e.payload", "escalation_level.after"),
    )
}

/// The rows as events of the report's cases (by index).
fn resolve(index: &HashMap<&str, usize>, rows: Vec<EventRow>) -> Vec<Event> {
    rows.into_iter()
        .filter_map(|r| {
            let case = *index.get(r.case_id.as_str())?;
            let kind = r.kind.parse::<EventKind>().ok()?;
            Some(Event {
                case,
                seq: r.seq,
                kind,
                at: r.at,
                was: r.was,
                now: r.now,
                level: r.level,
            })
        })
        .collect()
}
