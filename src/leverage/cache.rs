//! The ranking's walk of the supply chain (which running contracts depend on which factories,
//! and those contracts' buyers and values) kept between requests: it reads every running item,
//! component and valid sourcing link, and gives the same answer until one of them changes. The
//! `supply_chain` counter (bumped by triggers on contracts, items, components, links and
//! factories) is read first; a walk is reused only under the same counter, day and filters.
//! The open cases per factory, counted over every open case, are kept likewise under the
//! `open_cases` counter (bumped when a case opens, closes, changes severity or contracts).

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use chrono::NaiveDate;
use diesel::prelude::*;

use super::query::{self, CaseScope, Dependencies};
use crate::db::memo::Memo;
use crate::db::{change_counter as counter, DbConnection};
use crate::error::Error;
use crate::schema::contracts;

/// Walks kept per database: the day and filters asked for most (today, then a few others).
const WALKS_KEPT: usize = 4;

/// Open-case counts kept per database: the monitors' (all cases) and a few buyers'.
const COUNTS_KEPT: usize = 8;

/// A running contract: id, buyer, value amount and currency.
pub(super) type Running = (String, String, Option<String>, Option<String>);

/// One walk of the supply chain.
pub(super) struct Walk {
    pub deps: Dependencies,
    pub running: Vec<Running>,
}

/// What a walk was read for.
#[derive(PartialEq)]
struct WalkKey {
    at: NaiveDate,
    country: Option<String>,
    sector: Option<String>,
}

/// Open cases per factory: how many, and the highest severity's rank.
pub(super) type OpenCounts = HashMap<String, (i64, u8)>;

/// Values kept under a counter, the most recently used first (a `Memo` slot per kind).
struct Kept<K, V> {
    kept: Mutex<VecDeque<(i64, K, Arc<V>)>>,
    room: usize,
}

impl<K: PartialEq, V> Kept<K, V> {
    fn new(room: usize) -> Self {
        Kept {
            kept: Mutex::new(VecDeque::new()),
            room,
        }
    }

    fn find(&self, version: i64, key: &K) -> Option<Arc<V>> {
        let mut kept = self.kept.lock().unwrap_or_else(|e| e.into_inner());
        // A value kept under an older counter is never used again.
        kept.retain(|(v, _, _)| *v >= version);
        let i = kept
            .iter()
            .position(|(v, k, _)| *v == version && k == key)?;
        let hit = kept.remove(i)?;
        let value = hit.2.clone();
        kept.push_front(hit);
        Some(value)
    }

    fn keep(&self, version: i64, key: K, value: Arc<V>) {
        let mut kept = self.kept.lock().unwrap_or_else(|e| e.into_inner());
        kept.push_front((version, key, value));
        kept.truncate(self.room);
    }
}

/// The walks kept for one database.
pub struct Walks(Kept<WalkKey, Walk>);

impl Default for Walks {
    fn default() -> Self {
        Walks(Kept::new(WALKS_KEPT))
    }
}

/// The open-case counts kept for one database.
pub struct Counts(Kept<(i64, CaseScope), OpenCounts>);

impl Default for Counts {
    fn default() -> Self {
        Counts(Kept::new(COUNTS_KEPT))
    }
}

/// The walk for `at` and the filters: kept, or read now and kept.
pub(super) fn walk(
    conn: &mut DbConnection,
    memo: &Memo,
    at: NaiveDate,
    country: Option<&str>,
    sector: Option<&str>,
) -> Result<Arc<Walk>, Error> {
    let version = counter(conn, "supply_chain")?;
    let key = WalkKey {
        at,
        country: country.map(str::to_string),
        sector: sector.map(str::to_string),
    };
    let walks = memo.slot::<Walks>();
    if let Some(w) = walks.0.find(version, &key) {
        return Ok(w);
    }
    let deps = query::dependencies(conn, at, country, sector)?;
    let running: Vec<Running> = contracts::table
        .filter(contracts::starts_on.le(at))
        .filter(contracts::ends_on.ge(at))
        .select((
            contracts::id,
            contracts::buyer_id,
            contracts::value_amount,
            contracts::value_currency,
        ))
        .load(conn)?;
    let walk = Arc::new(Walk { deps, running });
    walks.0.keep(version, key, walk.clone());
    Ok(walk)
}

/// Open cases per factory in `scope`: kept, or counted now and kept. Which contracts are a
/// buyer's is part of the supply chain, so both counters key them.
pub(super) fn open_by_factory(
    conn: &mut DbConnection,
    memo: &Memo,
    scope: &CaseScope,
) -> Result<Arc<OpenCounts>, Error> {
    let version = counter(conn, "open_cases")?;
    let chain = match scope {
        CaseScope::Buyer(_) => counter(conn, "supply_chain")?,
        _ => 0,
    };
    let key = (chain, scope.clone());
    let counts = memo.slot::<Counts>();
    if let Some(c) = counts.0.find(version, &key) {
        return Ok(c);
    }
    let c = Arc::new(query::open_by_factory(conn, scope)?);
    counts.0.keep(version, key, c.clone());
    Ok(c)
}
