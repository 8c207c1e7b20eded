//! What the event history says: the cases of a contract as they stood at a past instant
//! (replayed through the case core, for a view of the past), and the latest events of the
//! contract's cases that the caller may see.

use std::collections::HashMap;

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::HistoryEntry;
use crate::auth::Caller;
use crate::cases::{CaseCore, CaseState, EventKind, Step};
use crate::clock::utc;
use crate::db::DbConnection;
use crate::error::Error;
use crate::schema::{case_contracts, case_events, cases};
use crate::values::{CaseId, OrgKind};

/// The end of a day, the instant a view "as of that day" describes.
pub fn end_of(day: NaiveDate) -> NaiveDateTime {
    day.and_hms_micro_opt(23, 59, 59, 999_999)
        .unwrap_or_else(|| day.and_time(chrono::NaiveTime::MIN))
}

/// One case as the figures need it.
pub(super) struct CaseSnapshot {
    pub(super) id: String,
    pub(super) state: String,
    pub(super) severity: String,
    pub(super) level: i32,
    pub(super) max_level: i32,
    pub(super) next_due_at: Option<NaiveDateTime>,
    pub(super) opened_at: NaiveDateTime,
    pub(super) acknowledged_at: Option<NaiveDateTime>,
    pub(super) plan_accepted_at: Option<NaiveDateTime>,
}

/// The cases as they stood at `t`, replayed from their events.
pub(super) fn cases_then(
    conn: &mut DbConnection,
    contract: &str,
    t: NaiveDateTime,
) -> Result<Vec<CaseSnapshot>, Error> {
    let of_contract = case_contracts::table
        .filter(case_contracts::contract_id.eq(contract.to_string()))
        .select(case_contracts::case_id);
    let meta: Vec<(String, String)> = cases::table
        .filter(cases::id.eq_any(of_contract))
        .filter(cases::created_at.le(t))
        .select((cases::id, cases::severity))
        .load(conn)?;
    let severity: HashMap<String, String> = meta.into_iter().collect();
    let of_contract = case_contracts::table
        .filter(case_contracts::contract_id.eq(contract.to_string()))
        .select(case_contracts::case_id);
    let events: Vec<(String, EventKind, NaiveDateTime, String)> = case_events::table
        .filter(case_events::case_id.eq_any(of_contract))
        .filter(case_events::at.le(t))
        .filter(case_events::kind.ne(EventKind::Comment))
        .filter(case_events::kind.ne(EventKind::Reminder))
        .filter(case_events::kind.ne(EventKind::FileAttached))
        .order((case_events::case_id.asc(), case_events::seq.asc()))
        .select((
            case_events::case_id,
            case_events::kind,
            case_events::at,
            case_events::payload,
        ))
        .load(conn)?;
    let mut out: Vec<CaseSnapshot> = Vec::new();
    let mut core: Option<CaseCore> = None;
    for (case_id, kind, at, payload) in events {
        let Some(sev) = severity.get(&case_id) else {
            continue;
        };
        if out.last().is_none_or(|c| c.id != case_id) {
            core = None;
            out.push(CaseSnapshot {
                id: case_id.clone(),
                state: CaseState::Open.as_str().into(),
                severity: sev.clone(),
                level: 0,
                max_level: 0,
                next_due_at: None,
                opened_at: at,
                acknowledged_at: None,
                plan_accepted_at: None,
            });
        }
        let c = out.last_mut().expect("just pushed");
        let p: serde_json::Value = serde_json::from_str(&payload).unwrap_or_default();
        // The state and the instants the figures need, as the case core applies each event.
        let now = Step::from_event(kind, at, &p)
            .and_then(|step| crate::cases::core::apply(core, &step))
            .map_err(|e| Error::internal(format!("case {case_id}: an impossible history: {e}")))?;
        core = Some(now);
        c.state = now.state.as_str().to_string();
        c.opened_at = now.opened_at;
        c.acknowledged_at = now.acknowledged_at;
        c.plan_accepted_at = now.plan_accepted_at;
        match kind {
            EventKind::Escalated => {
                c.level = p["level"].as_i64().unwrap_or(c.level as i64 + 1) as i32
            }
            EventKind::ExtensionGranted | EventKind::DeadlinesRecomputed => {
                if let Some(l) = p["escalation_level"]["after"].as_i64() {
                    c.level = l as i32;
                }
            }
            _ => {}
        }
        c.max_level = c.max_level.max(c.level);
    }
    Ok(out)
}

/// The latest events (at most 20, newest first) up to `t` of the cases `recent`, as `caller`
/// may see them.
pub(super) fn latest(
    conn: &mut DbConnection,
    caller: &Caller,
    recent: &[String],
    t: NaiveDateTime,
) -> Result<Vec<HistoryEntry>, Error> {
    let me = caller.organization_id.to_string();
    let mut history = case_events::table
        .inner_join(cases::table)
        .filter(case_events::case_id.eq_any(recent))
        .filter(case_events::at.le(t))
        .into_boxed();
    match caller.kind {
        // A monitor follows the cases of its own findings only.
        OrgKind::Monitor => history = history.filter(cases::monitor_id.eq(me.clone())),
        // Another buyer's comments and files on a shared case are not this buyer's to see
        // (the rule of `cases::visibility`, as a filter so that the 20 listed are 20 shown).
        OrgKind::Buyer => {
            history = history.filter(diesel::dsl::not(
                case_events::kind.eq_any(["comment", "file_attached"]).and(
                    case_events::actor_organization_id
                        .is_not_null()
                        .and(case_events::actor_organization_id.ne(me.clone()))
                        .and(case_events::actor_organization_id.ne(cases::contractor_id.nullable()))
                        .and(case_events::actor_organization_id.ne(cases::monitor_id.nullable())),
                ),
            ))
        }
        OrgKind::Admin | OrgKind::Contractor => {}
    }
    let history: Vec<(String, String, NaiveDateTime)> = history
        .order((case_events::at.desc(), case_events::seq.desc()))
        .limit(20)
        .select((case_events::case_id, case_events::kind, case_events::at))
        .load(conn)?;
    history
        .into_iter()
        .map(|(c, kind, at)| {
            Ok(HistoryEntry {
                case_id: CaseId::from_db(&c)?,
                kind,
                at: utc(at),
            })
        })
        .collect()
}

/// The contract's cases open, and open and overdue (escalation level 2 or more), at each of
/// `points` (ascending): every case replayed once through the case core, its state looked up
/// at each point. Counted over every case of the contract, as the figures are.
pub(super) fn open_over_time(
    conn: &mut DbConnection,
    contract: &str,
    points: &[NaiveDateTime],
) -> Result<Vec<(i64, i64)>, Error> {
    let (Some(first), Some(last)) = (points.first().copied(), points.last().copied()) else {
        return Ok(Vec::new());
    };
    // A case done now and unchanged since before the first point (every event moves its
    // `updated_at`) was done at every point: it adds nothing, and most of an old contract's
    // history is such cases. The rest are replayed.
    let of_contract = case_contracts::table
        .filter(case_contracts::contract_id.eq(contract.to_string()))
        .filter(
            case_contracts::case_state
                .ne_all(super::DONE)
                .or(case_contracts::case_updated_at.ge(first))
                .or(case_contracts::case_updated_at.is_null()),
        )
        .select(case_contracts::case_id);
    let events: Vec<(String, EventKind, NaiveDateTime, String)> = case_events::table
        .filter(case_events::case_id.eq_any(of_contract))
        .filter(case_events::at.le(last))
        .filter(case_events::kind.ne(EventKind::Comment))
        .filter(case_events::kind.ne(EventKind::Reminder))
        .filter(case_events::kind.ne(EventKind::FileAttached))
        .order((case_events::case_id.asc(), case_events::seq.asc()))
        .select((
            case_events::case_id,
            case_events::kind,
            case_events::at,
            case_events::payload,
        ))
        .load(conn)?;
    let mut out = vec![(0i64, 0i64); points.len()];
    // (instant, open, level) after each event of the case being replayed.
    let mut steps: Vec<(NaiveDateTime, bool, i32)> = Vec::new();
    let mut tally = |steps: &mut Vec<(NaiveDateTime, bool, i32)>| {
        for (i, p) in points.iter().enumerate() {
            if let Some(&(_, open, level)) = steps.iter().rev().find(|s| s.0 <= *p) {
                if open {
                    out[i].0 += 1;
                    if level >= 2 {
                        out[i].1 += 1;
                    }
                }
            }
        }
        steps.clear();
    };
    let mut current: Option<String> = None;
    let mut core: Option<CaseCore> = None;
    let mut level = 0;
    for (case_id, kind, at, payload) in events {
        if current.as_deref() != Some(case_id.as_str()) {
            tally(&mut steps);
            current = Some(case_id.clone());
            core = None;
            level = 0;
        }
        let p: serde_json::Value = serde_json::from_str(&payload).unwrap_or_default();
        let now = Step::from_event(kind, at, &p)
            .and_then(|step| crate::cases::core::apply(core, &step))
            .map_err(|e| Error::internal(format!("case {case_id}: an impossible history: {e}")))?;
        core = Some(now);
        match kind {
            EventKind::Escalated => level = p["level"].as_i64().unwrap_or(level as i64 + 1) as i32,
            EventKind::ExtensionGranted | EventKind::DeadlinesRecomputed => {
                if let Some(l) = p["escalation_level"]["after"].as_i64() {
                    level = l as i32;
                }
            }
            _ => {}
        }
        let open = !super::DONE.contains(&now.state.as_str());
        steps.push((at, open, level));
    }
    tally(&mut steps);
    Ok(out)
}
