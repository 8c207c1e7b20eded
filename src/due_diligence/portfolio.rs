//! The portfolio: every contract of the caller with its status and key figures as of now, in
//! a few queries for all contracts together (coverage, open cases by severity and level, the
//! highest escalation level), and the orders it can be listed in.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::coverage::covered;
use super::{judge, Coverage, PortfolioEntry, Status};
use crate::auth::Caller;
use crate::db::DbConnection;
use crate::error::Error;
use crate::schema::{contract_items, contract_max_levels, contract_open_figures, contracts};
use crate::values::{ContractId, OrgKind};

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum PortfolioSort {
    /// Red first, then amber, then green; by reference within.
    #[default]
    Status,
    Reference,
    OpenCases,
    OverdueCases,
}

/// Every contract of the caller with its status and key figures at `now`, by reference; with
/// `framework`, only that framework agreement and its call-offs.
pub(super) fn entries(
    conn: &mut DbConnection,
    caller: &Caller,
    framework: Option<ContractId>,
    now: NaiveDateTime,
) -> Result<Vec<PortfolioEntry>, Error> {
    let me = caller.organization_id.to_string();
    let mut q = contracts::table
        .select((
            contracts::id,
            contracts::reference,
            contracts::title,
            contracts::framework_id,
        ))
        .order(contracts::reference.asc())
        .into_boxed();
    match caller.kind {
        OrgKind::Admin | OrgKind::Monitor => {}
        OrgKind::Buyer => q = q.filter(contracts::buyer_id.eq(me)),
        OrgKind::Contractor => q = q.filter(contracts::contractor_id.eq(me)),
    }
    if let Some(f) = framework {
        let f = f.to_string();
        q = q.filter(
            contracts::id
                .eq(f.clone())
                .or(contracts::framework_id.eq(f)),
        );
    }
    let rows: Vec<(String, String, String, Option<String>)> = q.load(conn)?;
    let ids: Vec<String> = rows.iter().map(|r| r.0.clone()).collect();
    // The frameworks' references: the buyer's own contracts, read by id (a contractor's
    // call-off may be under a framework contract held by another contractor).
    let framework_ids: Vec<&String> = rows.iter().filter_map(|r| r.3.as_ref()).collect();
    let framework_refs: HashMap<String, String> = contracts::table
        .filter(contracts::id.eq_any(framework_ids))
        .select((contracts::id, contracts::reference))
        .load::<(String, String)>(conn)?
        .into_iter()
        .collect();
    // Coverage of all contracts in two queries.
    let items: Vec<(String, String)> = contract_items::table
        .filter(contract_items::contract_id.eq_any(&ids))
        .select((contract_items::contract_id, contract_items::component_id))
        .load(conn)?;
    let comps: Vec<String> = items.iter().map(|i| i.1.clone()).collect();
    let covered = covered(conn, &comps, now)?;
    let mut cov: HashMap<&str, (i64, i64)> = HashMap::new();
    for (k, c) in &items {
        let e = cov.entry(k.as_str()).or_default();
        e.0 += 1;
        if covered.contains(c) {
            e.1 += 1;
        }
    }
    // Open cases and highest levels of all contracts, as counted by the triggers on
    // `case_contracts` (migration 2026-12-06-000010): a few rows per contract, none aggregated
    // from the links on each request.
    let groups: Vec<(String, String, i32, i64)> = contract_open_figures::table
        .filter(contract_open_figures::contract_id.eq_any(&ids))
        .select((
            contract_open_figures::contract_id,
            contract_open_figures::case_severity,
            contract_open_figures::case_level,
            contract_open_figures::open_cases,
        ))
        .load(conn)?;
    let max_levels: Vec<(String, Option<i32>)> = contract_max_levels::table
        .filter(contract_max_levels::contract_id.eq_any(&ids))
        .group_by(contract_max_levels::contract_id)
        .select((
            contract_max_levels::contract_id,
            diesel::dsl::max(contract_max_levels::case_max_level),
        ))
        .load(conn)?;
    let max_level: HashMap<String, i32> = max_levels
        .into_iter()
        .map(|(k, m)| (k, m.unwrap_or(0)))
        .collect();
    let mut open_of: HashMap<&str, Vec<(String, i32, i64)>> = HashMap::new();
    for (k, severity, level, n) in &groups {
        open_of
            .entry(k.as_str())
            .or_default()
            .push((severity.clone(), *level, *n));
    }
    let mut entries = Vec::with_capacity(rows.len());
    for (id, reference, title, framework_id) in &rows {
        let (n, c) = cov.get(id.as_str()).copied().unwrap_or((0, 0));
        let coverage = Coverage {
            items: n,
            covered: c,
            share: (n > 0).then(|| c as f64 / n as f64),
            uncovered: vec![],
        };
        let open = open_of.remove(id.as_str()).unwrap_or_default();
        let (status, status_reasons) = judge(&coverage, &open);
        entries.push(PortfolioEntry {
            contract_id: ContractId::from_db(id)?,
            reference: reference.clone(),
            title: title.clone(),
            status,
            status_reasons,
            items: n,
            covered: c,
            coverage_share: coverage.share,
            open_cases: open.iter().map(|o| o.2).sum(),
            overdue_cases: open.iter().filter(|o| o.1 >= 2).map(|o| o.2).sum(),
            max_escalation_level: max_level.get(id).copied().unwrap_or(0),
            framework_id: framework_id
                .as_deref()
                .map(ContractId::from_db)
                .transpose()?,
            framework_reference: framework_id
                .as_ref()
                .and_then(|f| framework_refs.get(f).cloned()),
        });
    }
    Ok(entries)
}

/// Puts `entries` (by reference) in the `sort` order.
pub(super) fn sort(entries: &mut [PortfolioEntry], sort: PortfolioSort) {
    let rank = |s: Status| match s {
        Status::Red => 0,
        Status::Amber => 1,
        Status::Green => 2,
    };
    match sort {
        PortfolioSort::Status => entries
            .sort_by(|a, b| (rank(a.status), &a.reference).cmp(&(rank(b.status), &b.reference))),
        PortfolioSort::Reference => {}
        PortfolioSort::OpenCases => {
            entries.sort_by(|a, b| (b.open_cases, &a.reference).cmp(&(a.open_cases, &b.reference)))
        }
        PortfolioSort::OverdueCases => entries
            .sort_by(|a, b| (b.overdue_cases, &a.reference).cmp(&(a.overdue_cases, &b.reference))),
    }
}
