//! The leverage ranking: every factory some running contract depends on, with how many buyers
//! depend on it, the caller's contracts and their combined value, and open cases: the
//! dependencies and running contracts (the supply-chain walk, kept while it stands: cache.rs)
//! and one grouped count of open cases, ordered and paged in memory.

use std::collections::HashMap;

use chrono::NaiveDate;
use diesel::prelude::*;

use super::cache::{self, Running};
use super::money::Sums;
use super::shared::{factory_columns, scope_of, summary, FactoryRow};
use super::{severity_name, RankedFactory, Ranking, Sort};
use crate::auth::Caller;
use crate::db::memo::Memo;
use crate::db::DbConnection;
use crate::error::Error;
use crate::pagination::{Cursor, PageRequest};
use crate::schema::factories;
use crate::values::OrgKind;

/// The ranking's filters, parsed at the edge.
#[derive(Debug, Clone)]
pub struct Filters {
    pub at: NaiveDate,
    /// ISO 3166-1 alpha-2, upper case.
    pub country: Option<String>,
    pub sector: Option<String>,
    pub sort: Sort,
}

/// A dependent contract as the ranking counts it: buyer, amount, currency, the caller's own.
type Seen<'a> = (&'a str, Option<&'a str>, Option<&'a str>, bool);

/// One factory's figures while ranking.
struct Entry {
    factory: String,
    buyers: i64,
    contracts: i64,
    sums: Sums,
    open: i64,
    /// The highest open severity's rank (`severity_rank`), 0 for none.
    top: u8,
}

/// Every exposed factory matching the filters, ranked, one page; 403 for a contractor.
pub fn ranking(
    conn: &mut DbConnection,
    caller: &Caller,
    filters: &Filters,
    page: &PageRequest,
    memo: &Memo,
) -> Result<Ranking, Error> {
    if caller.is(OrgKind::Contractor) {
        return Err(Error::Forbidden(
            "the leverage ranking is for monitors, buyers and admins".into(),
        ));
    }
    let at = filters.at;
    let walk = cache::walk(
        conn,
        memo,
        at,
        filters.country.as_deref(),
        filters.sector.as_deref(),
    )?;
    let (deps, running) = (&walk.deps, &walk.running);
    let by_id: HashMap<&str, &Running> = running.iter().map(|r| (r.0.as_str(), r)).collect();
    // The dependencies' contracts, by index: (buyer, amount, currency, the caller's own).
    let me = caller.organization_id.to_string();
    let all = !caller.is(OrgKind::Buyer);
    let contract: Vec<Option<Seen>> = deps
        .contracts
        .iter()
        .map(|k| {
            by_id.get(k.as_str()).map(|r| {
                let shown = all || r.1 == me;
                (r.1.as_str(), r.2.as_deref(), r.3.as_deref(), shown)
            })
        })
        .collect();
    let cases = cache::open_by_factory(conn, memo, &scope_of(caller))?;
    let mut entries: Vec<Entry> = Vec::with_capacity(deps.by_factory.len());
    for (factory, ks) in &deps.by_factory {
        let mut buyers: Vec<&str> = Vec::new();
        let mut sums = Sums::default();
        let mut shown = 0;
        for (buyer, amount, currency, own) in ks.iter().filter_map(|k| contract[*k as usize]) {
            if !buyers.contains(&buyer) {
                buyers.push(buyer);
            }
            if own {
                shown += 1;
                sums.add(amount, currency);
            }
        }
        // A buyer ranks only the factories behind its own contracts.
        if shown == 0 {
            continue;
        }
        let (open, top) = cases.get(factory).copied().unwrap_or((0, 0));
        entries.push(Entry {
            factory: factory.clone(),
            buyers: buyers.len() as i64,
            contracts: shown,
            sums,
            open,
            top,
        });
    }
    let total = entries.len() as i64;
    let details = order(conn, &mut entries, filters)?;
    // The order is computed, so the cursor is a position in it (as the portfolio's).
    let start = (page.after.and_then(|c| c.key).unwrap_or(0).max(0) as usize).min(entries.len());
    let end = (start + page.limit as usize).min(entries.len());
    let next_cursor = (end < entries.len())
        .then(|| Cursor::encode_with_key(uuid::Uuid::nil(), end as i64))
        .flatten();
    let shown = &entries[start..end];
    let mut details = match details {
        Some(d) => d,
        None => load_details(conn, shown.iter().map(|e| &e.factory))?,
    };
    let items = shown
        .iter()
        .zip(start + 1..)
        .map(|(e, rank)| {
            let row = details
                .remove(&e.factory)
                .ok_or_else(|| Error::internal("a ranked factory has no row"))?;
            Ok(RankedFactory {
                rank: rank as i64,
                factory: summary(row)?,
                exposed_buyers: e.buyers,
                contracts: e.contracts,
                value: e.sums.done(),
                open_cases: e.open,
                highest_severity: severity_name(e.top).map(str::to_string),
            })
        })
        .collect::<Result<Vec<_>, Error>>()?;
    Ok(Ranking {
        at,
        total,
        items,
        next_cursor,
    })
}

fn load_details<'a>(
    conn: &mut DbConnection,
    ids: impl Iterator<Item = &'a String>,
) -> Result<HashMap<String, FactoryRow>, Error> {
    let rows: Vec<FactoryRow> = factories::table
        .filter(factories::id.eq_any(ids))
        .select(factory_columns())
        .load(conn)?;
    Ok(rows.into_iter().map(|r| (r.0.clone(), r)).collect())
}

/// Puts `entries` in the filters' order; ties go by factory id, so pages are stable. Orders
/// by the factory's own record read every matching factory's row (returned, to be reused).
fn order(
    conn: &mut DbConnection,
    entries: &mut [Entry],
    filters: &Filters,
) -> Result<Option<HashMap<String, FactoryRow>>, Error> {
    let sev = |e: &Entry| e.top;
    match filters.sort {
        Sort::Buyers => entries.sort_by(|a, b| {
            (b.buyers, b.open, sev(b), b.contracts, &a.factory).cmp(&(
                a.buyers,
                a.open,
                sev(a),
                a.contracts,
                &b.factory,
            ))
        }),
        Sort::OpenCases => entries.sort_by(|a, b| {
            (b.open, sev(b), b.buyers, &a.factory).cmp(&(a.open, sev(a), a.buyers, &b.factory))
        }),
        Sort::Severity => entries.sort_by(|a, b| {
            (sev(b), b.open, b.buyers, &a.factory).cmp(&(sev(a), a.open, a.buyers, &b.factory))
        }),
        Sort::Workers | Sort::Name => {
            let mut q = factories::table.select(factory_columns()).into_boxed();
            if let Some(c) = &filters.country {
                q = q.filter(factories::country.eq(c.clone()));
            }
            if let Some(s) = &filters.sector {
                q = q.filter(factories::sector.eq(s.clone()));
            }
            let rows: HashMap<String, FactoryRow> = q
                .load::<FactoryRow>(conn)?
                .into_iter()
                .map(|r| (r.0.clone(), r))
                .collect();
            let workers = |e: &Entry| rows.get(&e.factory).and_then(|r| r.4).unwrap_or(-1);
            let name = |e: &Entry| rows.get(&e.factory).map(|r| r.1.to_lowercase());
            if filters.sort == Sort::Workers {
                entries.sort_by(|a, b| {
                    (workers(b), b.buyers, &a.factory).cmp(&(workers(a), a.buyers, &b.factory))
                });
            } else {
                entries.sort_by(|a, b| (name(a), &a.factory).cmp(&(name(b), &b.factory)));
            }
            return Ok(Some(rows));
        }
    }
    Ok(None)
}
