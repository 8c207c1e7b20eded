//! The report put together: who may ask (`scope::buyer`), the contracts and coverage
//! (`scope`), the case figures (`figures`, aggregate SQL over the event history). The API, the
//! printable page and the web page all call `due_diligence` here.

use std::collections::BTreeMap;

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::figures;
use super::history;
use super::scope;
use super::sql::Scope;
use super::states;
use super::{
    CaseCounts, Escalations, FindingCount, FindingFigures, Report, ReportQuery, OPEN_CASES_LISTED,
};
use crate::auth::Caller;
use crate::clock::utc;
use crate::db::DbConnection;
use crate::due_diligence::durations;
use crate::due_diligence::service::end_of;
use crate::error::Error;
use crate::schema::contracts;
use crate::values::{ContractId, OrganizationId};

pub use super::csv::report_csv;

/// The longest period a report covers: ten years of days.
pub const MAX_DAYS: i64 = 3660;

/// Checks a period: `from` no later than `to`, `to` no later than today, at most `MAX_DAYS`.
/// Each problem names the field to change (422).
pub fn check_period(from: NaiveDate, to: NaiveDate, today: NaiveDate) -> Result<(), Error> {
    if to < from {
        return Err(Error::field("to", "to must not be before from"));
    }
    if to > today {
        return Err(Error::field(
            "to",
            "to must be today or earlier: a report describes what has happened",
        ));
    }
    if (to - from).num_days() >= MAX_DAYS {
        return Err(Error::field(
            "from",
            format!("a report covers at most {MAX_DAYS} days"),
        ));
    }
    Ok(())
}

/// The due-diligence report for `q`, as `caller` may ask it.
pub fn due_diligence(
    conn: &mut DbConnection,
    caller: &Caller,
    q: &ReportQuery,
    now: NaiveDateTime,
) -> Result<Report, Error> {
    let buyer = scope::buyer(conn, caller, q.buyer)?;
    let framework = match q.framework {
        Some(f) => Some(scope::framework(conn, buyer.id, f)?),
        None => None,
    };
    check_period(q.from, q.to, now.date())?;
    let list = scope::contracts_covered(conn, q, buyer.id)?;
    let coverage_at_from = scope::coverage_on(conn, &list, q.from)?;
    let coverage_at_to = scope::coverage_on(conn, &list, q.to)?;
    let contracts = scope::figures(list);
    let s = Scope {
        buyer: buyer.id,
        framework: q.framework,
        start: q.from.and_time(chrono::NaiveTime::MIN),
        end: end_of(q.to),
    };
    let h = history::read(conn, &s)?;
    let counted = figures::in_period(&h, &s);
    let count = |k: &str| counted.get(k).copied().unwrap_or(0);
    let opened = figures::opened(&h, &s);
    let mut opened_by_severity: BTreeMap<String, i64> = BTreeMap::new();
    for g in &opened {
        *opened_by_severity.entry(g.a.clone()).or_default() += g.n;
    }
    let mut cases = CaseCounts {
        opened: count("opened"),
        opened_by_severity,
        remediated: count("remediation_reported"),
        verified: count("verified"),
        closed: count("closed"),
        still_open: 0,
        overdue: 0,
        open_by_state: BTreeMap::new(),
        open_by_severity: BTreeMap::new(),
    };
    let mut open_cases = states::open_at_end(&h, &s)?;
    let mut non_cooperation_open = 0;
    for c in &open_cases {
        cases.still_open += 1;
        if c.escalation_level >= 2 {
            cases.overdue += 1;
        }
        if c.escalation_level >= 3 {
            non_cooperation_open += 1;
        }
        *cases.open_by_state.entry(c.state.clone()).or_default() += 1;
        *cases
            .open_by_severity
            .entry(c.severity.clone())
            .or_default() += 1;
    }
    open_cases.truncate(OPEN_CASES_LISTED as usize);
    states::name_factories(conn, &mut open_cases)?;
    let mut escalations = Escalations {
        total: 0,
        by_level: BTreeMap::new(),
        non_cooperation_reached: 0,
        non_cooperation_open,
    };
    for l in figures::escalations(&h) {
        let level = l.level.unwrap_or(0);
        escalations.total += l.n;
        *escalations.by_level.entry(level.to_string()).or_default() += l.n;
        if level >= 3 {
            escalations.non_cooperation_reached += l.cases;
        }
    }
    let mut findings = FindingFigures {
        total: 0,
        by_category: BTreeMap::new(),
        by_severity: BTreeMap::new(),
        by_category_and_severity: Vec::new(),
    };
    for g in figures::findings(&h, &s) {
        findings.total += g.n;
        *findings.by_category.entry(g.a.clone()).or_default() += g.n;
        *findings.by_severity.entry(g.b.clone()).or_default() += g.n;
        findings.by_category_and_severity.push(FindingCount {
            category: g.a,
            severity: g.b,
            findings: g.n,
        });
    }
    findings
        .by_category_and_severity
        .sort_by(|a, b| (&a.category, &a.severity).cmp(&(&b.category, &b.severity)));
    let months = figures::months(&h, q.from, q.to, &opened);
    let ack_hours = figures::ack_hours(&h, &s);
    Ok(Report {
        buyer,
        framework,
        from: q.from,
        to: q.to,
        as_of: utc(s.end),
        contracts,
        coverage_at_from,
        coverage_at_to,
        findings,
        cases,
        escalations,
        time_to_acknowledge: durations(ack_hours),
        months,
        open_cases,
    })
}

/// The buyer's framework agreements (contracts that have call-offs), for the page's form.
pub fn frameworks(
    conn: &mut DbConnection,
    buyer: OrganizationId,
) -> Result<Vec<(ContractId, String, String)>, Error> {
    // The call-offs of a buyer's framework are the buyer's contracts too.
    let with_calloffs: Vec<String> = contracts::table
        .filter(contracts::buyer_id.eq(buyer.to_string()))
        .filter(contracts::framework_id.is_not_null())
        .select(contracts::framework_id.assume_not_null())
        .distinct()
        .load(conn)?;
    Ok(contracts::table
        .filter(contracts::buyer_id.eq(buyer.to_string()))
        .filter(contracts::id.eq_any(with_calloffs))
        .order(contracts::reference.asc())
        .select((contracts::id, contracts::reference, contracts::title))
        .load(conn)?)
}
