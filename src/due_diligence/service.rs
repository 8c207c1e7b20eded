//! The entry points of the due-diligence status, `contract` and `portfolio`, put together from
//! the jobs of the sibling modules: `coverage` (disclosure coverage, the supply chain),
//! `figures` (the case figures), `history` (the past replayed, the latest events), `portfolio`
//! (all contracts of the caller) and `csv`. The present view reads the case rows (aggregated
//! by the database); a view of the past replays the event history up to the end of the asked
//! day. Who may see: the buyer and the contractor of the contract, monitors, admins; anyone
//! else gets 404.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::coverage::{coverage, supply_chain};
use super::figures::{listed_for, tally_now, tally_of};
use super::history::{cases_then, open_over_time};
use super::{
    durations, history, judge, portfolio, CaseFigures, DueDiligence, PortfolioEntry, Status,
};
use crate::auth::Caller;
use crate::clock::utc;
use crate::db::DbConnection;
use crate::error::Error;
use crate::pagination::{Cursor, Page, PageRequest};
use crate::schema::{case_contracts, contracts};
use crate::values::{ContractId, OrgKind};

pub use super::csv::{contract_csv, portfolio_csv};
pub use super::history::end_of;
pub use super::portfolio::PortfolioSort;

/// The contract row if the caller may see its status.
fn visible_contract(
    conn: &mut DbConnection,
    caller: &Caller,
    id: ContractId,
) -> Result<(String, String, String), Error> {
    let mut q = contracts::table
        .filter(contracts::id.eq(id.to_string()))
        .select((contracts::id, contracts::reference, contracts::title))
        .into_boxed();
    let me = caller.organization_id.to_string();
    match caller.kind {
        OrgKind::Admin | OrgKind::Monitor => {}
        OrgKind::Buyer => q = q.filter(contracts::buyer_id.eq(me)),
        OrgKind::Contractor => q = q.filter(contracts::contractor_id.eq(me)),
    }
    q.first(conn).optional()?.ok_or(Error::NotFound("contract"))
}

/// The due-diligence status of one contract, as of now or as of the end of the day `at`.
pub fn contract(
    conn: &mut DbConnection,
    caller: &Caller,
    id: ContractId,
    at: Option<NaiveDate>,
    now: NaiveDateTime,
) -> Result<DueDiligence, Error> {
    let (contract, reference, title) = visible_contract(conn, caller, id)?;
    if at.is_some_and(|d| d > now.date()) {
        return Err(Error::bad_param("at", "at must be a past or present date"));
    }
    let t = at.map_or(now, end_of);
    let (coverage, item_components) = coverage(conn, &contract, t)?;
    let factories = supply_chain(conn, item_components, t)?;
    let me = caller.organization_id.to_string();
    let monitor = caller.is(OrgKind::Monitor).then_some(me.as_str());
    let (mut tally, past) = match at {
        None => (tally_now(conn, &contract, monitor)?, None),
        Some(_) => {
            let all = cases_then(conn, &contract, t)?;
            (tally_of(&all)?, Some(all))
        }
    };
    tally.open_cases = listed_for(conn, monitor, std::mem::take(&mut tally.open_cases))?;
    let (status, status_reasons) = judge(&coverage, &tally.judged);
    // Every event updates its case's `updated_at`, so the newest events of the contract are
    // among those of its 20 most recently updated cases: no need to sort every event. (A view
    // of the past cannot take that shortcut and reads the contract's events up to then.)
    let recent: Vec<String> = match at {
        None => case_contracts::table
            .filter(case_contracts::contract_id.eq(&contract))
            .order(case_contracts::case_updated_at.desc())
            .limit(20)
            .select(case_contracts::case_id)
            .load(conn)?,
        Some(_) => past.iter().flatten().map(|c| c.id.clone()).collect(),
    };
    let history = history::latest(conn, caller, &recent, t)?;
    Ok(DueDiligence {
        contract_id: id,
        reference,
        title,
        as_of: utc(t),
        status,
        status_reasons,
        coverage,
        factories,
        cases: CaseFigures {
            open: tally.open,
            overdue: tally.overdue,
            total: tally.total,
            by_state: tally.by_state,
            by_severity: tally.by_severity,
            open_cases: tally.open_cases,
        },
        time_to_acknowledge: durations(tally.ack_hours),
        time_to_accepted_plan: durations(tally.plan_hours),
        max_escalation_level: tally.max_level,
        history,
    })
}

/// Every contract of the caller with its status and key figures, as of now.
pub fn portfolio(
    conn: &mut DbConnection,
    caller: &Caller,
    only: Option<Status>,
    framework: Option<ContractId>,
    sort: PortfolioSort,
    page: &PageRequest,
    now: NaiveDateTime,
) -> Result<Page<PortfolioEntry>, Error> {
    let mut entries = portfolio::entries(conn, caller, framework, now)?;
    if let Some(s) = only {
        entries.retain(|e| e.status == s);
    }
    portfolio::sort(&mut entries, sort);
    // The order is computed, so the cursor is a position in it.
    let start = page.after.and_then(|c| c.key).unwrap_or(0).max(0) as usize;
    let end = (start + page.limit as usize).min(entries.len());
    let next_cursor = (end < entries.len())
        .then(|| Cursor::encode_with_key(uuid::Uuid::nil(), end as i64))
        .flatten();
    let items = if start < entries.len() {
        entries.drain(start..end).collect()
    } else {
        Vec::new()
    };
    Ok(Page { items, next_cursor })
}

/// One point of a contract's case series: the cases open and overdue at the end of `day`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SeriesPoint {
    pub day: NaiveDate,
    pub open: i64,
    pub overdue: i64,
}

/// The contract's open and overdue cases at the end of each of the last `weeks` weeks (the
/// last point is now), replayed from the event history; for whoever may see its status.
pub fn series(
    conn: &mut DbConnection,
    caller: &Caller,
    id: ContractId,
    weeks: u32,
    now: NaiveDateTime,
) -> Result<Vec<SeriesPoint>, Error> {
    let (contract, _, _) = visible_contract(conn, caller, id)?;
    let points: Vec<NaiveDateTime> = (0..weeks.max(1))
        .rev()
        .map(|w| now - chrono::TimeDelta::weeks(i64::from(w)))
        .collect();
    let counts = open_over_time(conn, &contract, &points)?;
    Ok(points
        .iter()
        .zip(counts)
        .map(|(p, (open, overdue))| SeriesPoint {
            day: p.date(),
            open,
            overdue,
        })
        .collect())
}

/// The end date of each contract the caller's portfolio lists, by id (the portfolio page shows
/// and sorts by it); the same contracts `portfolio` lists.
pub fn end_dates(
    conn: &mut DbConnection,
    caller: &Caller,
) -> Result<std::collections::HashMap<String, NaiveDate>, Error> {
    let mut q = contracts::table
        .select((contracts::id, contracts::ends_on))
        .into_boxed();
    let me = caller.organization_id.to_string();
    match caller.kind {
        OrgKind::Admin | OrgKind::Monitor => {}
        OrgKind::Buyer => q = q.filter(contracts::buyer_id.eq(me)),
        OrgKind::Contractor => q = q.filter(contracts::contractor_id.eq(me)),
    }
    let rows: Vec<(String, NaiveDate)> = q.load(conn)?;
    Ok(rows.into_iter().collect())
}
