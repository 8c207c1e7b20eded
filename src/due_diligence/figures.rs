//! The case figures of one contract: counts by state, severity and escalation level, the
//! open cases listed, and the spans the durations are computed from. As of now, aggregated by
//! the database (`tally_now`); as of a past instant, from cases replayed in memory
//! (`tally_of`, over `history::cases_then`).

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::history::CaseSnapshot;
use super::OpenCase;
use crate::cases::CaseState;
use crate::clock::utc;
use crate::db::{Backend, DbConnection};
use crate::error::Error;
use crate::findings::Severity;
use crate::schema::{case_contracts, cases, findings};
use crate::values::CaseId;

/// Every state and severity, in the order the figures and the CSV list them.
pub(super) fn states() -> impl Iterator<Item = &'static str> {
    CaseState::ALL.iter().map(|s| s.as_str())
}
pub(super) fn severities() -> impl Iterator<Item = &'static str> {
    Severity::ALL.iter().map(|s| s.as_str())
}

use super::DONE;

fn is_open(state: &str) -> bool {
    !DONE.contains(&state)
}

/// The case figures of one contract, as `contract` reports them.
pub(super) struct Tally {
    pub(super) by_state: BTreeMap<String, i64>,
    pub(super) by_severity: BTreeMap<String, i64>,
    pub(super) total: i64,
    pub(super) open: i64,
    pub(super) overdue: i64,
    /// The first 200 open cases, soonest deadline first.
    pub(super) open_cases: Vec<OpenCase>,
    /// (severity, current level, how many) of the open cases, for `judge`.
    pub(super) judged: Vec<(String, i32, i64)>,
    pub(super) ack_hours: Vec<f64>,
    pub(super) plan_hours: Vec<f64>,
    pub(super) max_level: i32,
}

impl Tally {
    fn new() -> Tally {
        Tally {
            by_state: states().map(|s| (s.to_string(), 0)).collect(),
            by_severity: severities().map(|s| (s.to_string(), 0)).collect(),
            total: 0,
            open: 0,
            overdue: 0,
            open_cases: Vec::new(),
            judged: Vec::new(),
            ack_hours: Vec::new(),
            plan_hours: Vec::new(),
            max_level: 0,
        }
    }

    /// Adds `n` cases in `state` with `severity` at `level`.
    fn count(&mut self, state: &str, severity: &str, level: i32, n: i64) {
        *self.by_state.entry(state.to_string()).or_default() += n;
        *self.by_severity.entry(severity.to_string()).or_default() += n;
        self.total += n;
        if is_open(state) {
            self.open += n;
            if level >= 2 {
                self.overdue += n;
            }
            match self
                .judged
                .iter_mut()
                .find(|(s, l, _)| s == severity && *l == level)
            {
                Some(j) => j.2 += n,
                None => self.judged.push((severity.to_string(), level, n)),
            }
        }
    }
}

/// Most escalated first (a missed deadline is no longer the "next" one), then the soonest
/// deadline still ahead (none last), then by id: the same order in
/// SQL (the present) and in memory (the past).
fn open_case_order(a: &OpenCase, b: &OpenCase) -> std::cmp::Ordering {
    (
        b.escalation_level,
        a.next_due_at.is_none(),
        a.next_due_at,
        a.id.to_string(),
    )
        .cmp(&(
            a.escalation_level,
            b.next_due_at.is_none(),
            b.next_due_at,
            b.id.to_string(),
        ))
}

const OPEN_CASES_LISTED: i64 = 200;

/// The present figures, aggregated by the database: the counts grouped by state, severity and
/// level, the first open cases in deadline order, and only the instants the durations need.
/// Nothing here reads every case row of a large contract into memory.
pub(super) fn tally_now(
    conn: &mut DbConnection,
    contract: &str,
    monitor: Option<&str>,
) -> Result<Tally, Error> {
    // Only `case_contracts`: the trigger-maintained copies of the case columns (migration
    // 6) and the covering index `case_contracts_figures`.
    use case_contracts as cc;
    let of_contract = || cc::table.filter(cc::contract_id.eq(contract.to_string()));
    let groups: Vec<(String, String, i32, i64, Option<i32>)> = of_contract()
        .group_by((cc::case_state, cc::case_severity, cc::case_level))
        .select((
            cc::case_state,
            cc::case_severity,
            cc::case_level,
            diesel::dsl::count_star(),
            diesel::dsl::max(cc::case_max_level),
        ))
        .load(conn)?;
    let mut t = Tally::new();
    for (state, severity, level, n, max) in &groups {
        t.count(state, severity, *level, *n);
        t.max_level = t.max_level.max(max.unwrap_or(0));
    }
    let mut listed = of_contract().into_boxed();
    if let Some(m) = monitor {
        // A monitor counts every case of the contract but lists only those of its findings.
        listed = listed.filter(
            cc::case_id.eq_any(
                cases::table
                    .filter(cases::monitor_id.eq(m.to_string()))
                    .select(cases::id),
            ),
        );
    }
    let open: Vec<(String, String, String, i32, Option<NaiveDateTime>)> = listed
        .filter(cc::case_state.ne_all(DONE))
        .order((
            cc::case_level.desc(),
            cc::case_next_due_at.is_null().asc(),
            cc::case_next_due_at.asc(),
            cc::case_id.asc(),
        ))
        .limit(OPEN_CASES_LISTED)
        .select((
            cc::case_id,
            cc::case_state,
            cc::case_severity,
            cc::case_level,
            cc::case_next_due_at,
        ))
        .load(conn)?;
    for (id, state, severity, level, next) in open {
        t.open_cases.push(OpenCase {
            id: CaseId::from_db(&id)?,
            title: String::new(),
            state,
            severity,
            escalation_level: level,
            overdue: level >= 2,
            next_due_at: next.map(utc),
        });
    }
    // The spans in hours, computed by the database: parsing two timestamps per case in
    // Rust cost more than every query above together on a 10,000-case contract.
    #[derive(QueryableByName)]
    struct Spans {
        #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Double>)]
        ack: Option<f64>,
        #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Double>)]
        plan: Option<f64>,
    }
    let backend = conn.backend();
    let hours_between = |from: &str, to: &str| hours_between(backend, from, to);
    let sql = format!(
        "SELECT {} AS ack, {} AS plan FROM case_contracts WHERE contract_id = $1 \
         AND (case_acknowledged_at IS NOT NULL OR case_plan_accepted_at IS NOT NULL)",
        hours_between("case_opened_at", "case_acknowledged_at"),
        hours_between("case_opened_at", "case_plan_accepted_at"),
    );
    let spans: Vec<Spans> = diesel::sql_query(sql)
        .bind::<diesel::sql_types::Text, _>(contract)
        .load(conn)?;
    for s in spans {
        t.ack_hours.extend(s.ack);
        t.plan_hours.extend(s.plan);
    }
    Ok(t)
}

/// The past figures, from cases replayed in memory.
pub(super) fn tally_of(all: &[CaseSnapshot]) -> Result<Tally, Error> {
    let mut t = Tally::new();
    for c in all {
        t.count(&c.state, &c.severity, c.level, 1);
        t.max_level = t.max_level.max(c.max_level);
        if let Some(a) = c.acknowledged_at {
            t.ack_hours.push(hours(c.opened_at, a));
        }
        if let Some(p) = c.plan_accepted_at {
            t.plan_hours.push(hours(c.opened_at, p));
        }
        if is_open(&c.state) {
            t.open_cases.push(OpenCase {
                id: CaseId::from_db(&c.id)?,
                title: String::new(),
                state: c.state.clone(),
                severity: c.severity.clone(),
                escalation_level: c.level,
                overdue: c.level >= 2,
                next_due_at: c.next_due_at.map(utc),
            });
        }
    }
    t.open_cases.sort_by(open_case_order);
    t.open_cases.truncate(OPEN_CASES_LISTED as usize);
    Ok(t)
}

/// with its finding's title.
pub(super) fn listed_for(
    conn: &mut DbConnection,
    monitor: Option<&str>,
    mut open: Vec<OpenCase>,
) -> Result<Vec<OpenCase>, Error> {
    let ids: Vec<String> = open.iter().map(|c| c.id.to_string()).collect();
    let rows: Vec<(String, String, String)> = cases::table
        .inner_join(findings::table)
        .filter(cases::id.eq_any(&ids))
        .select((cases::id, cases::monitor_id, findings::title))
        .load(conn)?;
    let of: HashMap<String, (String, String)> = rows
        .into_iter()
        .map(|(id, m, title)| (id, (m, title)))
        .collect();
    open.retain_mut(|c| match of.get(&c.id.to_string()) {
        Some((m, title)) if monitor.is_none_or(|me| me == m) => {
            c.title = title.clone();
            true
        }
        _ => false,
    });
    Ok(open)
}

/// SQL for the hours from column `from` to column `to`, whole seconds (also the scorecards').
pub(crate) fn hours_between(backend: Backend, from: &str, to: &str) -> String {
    match backend {
        Backend::Sqlite => {
            format!("ROUND((julianday({to}) - julianday({from})) * 86400.0) / 3600.0")
        }
        Backend::Postgres => {
            format!("CAST(ROUND(EXTRACT(EPOCH FROM ({to} - {from}))) / 3600.0 AS DOUBLE PRECISION)")
        }
    }
}

fn hours(from: NaiveDateTime, to: NaiveDateTime) -> f64 {
    (to - from).num_seconds() as f64 / 3600.0
}
