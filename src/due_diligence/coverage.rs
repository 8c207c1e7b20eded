//! Disclosure coverage and the supply chain of a contract as of an instant: which items have a
//! tier-1 factory disclosed, and every factory (at any tier) below its items.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::{Coverage, Factories, SupplyChainFactory, UncoveredItem};
use crate::components::service::with_descendants;
use crate::db::DbConnection;
use crate::error::Error;
use crate::schema::{components, contract_items, factories, sourcing_links};
use crate::values::{ComponentId, ContractItemId, FactoryId};

/// Whether a sourcing link from `from` to `to` (open-ended when `None`) is valid on `day`.
pub(super) fn link_valid_on(from: NaiveDate, to: Option<NaiveDate>, day: NaiveDate) -> bool {
    from <= day && to.is_none_or(|t| t >= day)
}

fn valid_on(day: NaiveDate) -> impl Fn(&(String, i32, NaiveDate, Option<NaiveDate>)) -> bool {
    move |(_, _, from, to)| link_valid_on(*from, *to, day)
}

/// Which of `components` have a tier-1 factory disclosed by `t` through a link valid on
/// `t`'s day: the coverage rule, for one contract and for the portfolio alike.
pub(crate) fn covered(
    conn: &mut DbConnection,
    components: &[String],
    t: NaiveDateTime,
) -> Result<HashSet<String>, Error> {
    let links: Vec<(String, i32, NaiveDate, Option<NaiveDate>)> = sourcing_links::table
        .filter(sourcing_links::component_id.eq_any(components))
        .filter(sourcing_links::tier.eq(1))
        .filter(sourcing_links::created_at.le(t))
        .select((
            sourcing_links::component_id,
            sourcing_links::tier,
            sourcing_links::valid_from,
            sourcing_links::valid_to,
        ))
        .load(conn)?;
    let ok = valid_on(t.date());
    Ok(links.into_iter().filter(|l| ok(l)).map(|l| l.0).collect())
}

/// (items, covered items) at `t` of each of `contracts` that has items, in two queries: the
/// same rule as `coverage`, for many contracts at once (the contractor scorecards).
pub(crate) fn coverage_of_many(
    conn: &mut DbConnection,
    contracts: &[String],
    t: NaiveDateTime,
) -> Result<HashMap<String, (i64, i64)>, Error> {
    let items: Vec<(String, String)> = contract_items::table
        .filter(contract_items::contract_id.eq_any(contracts))
        .filter(contract_items::created_at.le(t))
        .select((contract_items::contract_id, contract_items::component_id))
        .load(conn)?;
    let components: Vec<String> = items.iter().map(|i| i.1.clone()).collect();
    let covered = covered(conn, &components, t)?;
    let mut out: HashMap<String, (i64, i64)> = HashMap::new();
    for (contract, component) in items {
        let e = out.entry(contract).or_default();
        e.0 += 1;
        e.1 += i64::from(covered.contains(&component));
    }
    Ok(out)
}

/// The coverage of a contract's items at `t`, and the components of those items.
pub(super) fn coverage(
    conn: &mut DbConnection,
    contract: &str,
    t: NaiveDateTime,
) -> Result<(Coverage, Vec<String>), Error> {
    let items: Vec<(String, String, String)> = contract_items::table
        .inner_join(components::table)
        .filter(contract_items::contract_id.eq(contract))
        .filter(contract_items::created_at.le(t))
        .order(contract_items::id.asc())
        .select((
            contract_items::id,
            contract_items::component_id,
            components::name,
        ))
        .load(conn)?;
    let item_components: Vec<String> = items.iter().map(|i| i.1.clone()).collect();
    let covered = covered(conn, &item_components, t)?;
    let mut uncovered = Vec::new();
    for (item, component, name) in &items {
        if !covered.contains(component) {
            uncovered.push(UncoveredItem {
                item_id: ContractItemId::from_db(item)?,
                component_id: ComponentId::from_db(component)?,
                component_name: name.clone(),
            });
        }
    }
    let n = items.len() as i64;
    let c = n - uncovered.len() as i64;
    Ok((
        Coverage {
            items: n,
            covered: c,
            share: (n > 0).then(|| c as f64 / n as f64),
            uncovered,
        },
        item_components,
    ))
}

/// Every factory making an item of the contract or a part of one, by a link valid at `t`, at
/// the lowest tier it appears at.
pub(super) fn supply_chain(
    conn: &mut DbConnection,
    item_components: Vec<String>,
    t: NaiveDateTime,
) -> Result<Factories, Error> {
    let all = with_descendants(conn, item_components)?;
    let links: Vec<(String, i32, NaiveDate, Option<NaiveDate>)> = sourcing_links::table
        .filter(sourcing_links::component_id.eq_any(&all))
        .filter(sourcing_links::created_at.le(t))
        .select((
            sourcing_links::factory_id,
            sourcing_links::tier,
            sourcing_links::valid_from,
            sourcing_links::valid_to,
        ))
        .load(conn)?;
    let ok = valid_on(t.date());
    let mut tier_of: BTreeMap<String, i32> = BTreeMap::new();
    for l in links.iter().filter(|l| ok(l)) {
        let e = tier_of.entry(l.0.clone()).or_insert(l.1);
        *e = (*e).min(l.1);
    }
    let ids: Vec<String> = tier_of.keys().cloned().collect();
    let rows: Vec<(String, String, String)> = factories::table
        .filter(factories::id.eq_any(&ids))
        .order(factories::id.asc())
        .select((factories::id, factories::name, factories::country))
        .load(conn)?;
    let mut out = Factories {
        total: rows.len() as i64,
        by_tier: BTreeMap::new(),
        by_country: BTreeMap::new(),
        list: Vec::new(),
    };
    for (id, name, country) in rows {
        let tier = tier_of[&id];
        *out.by_tier.entry(tier.to_string()).or_default() += 1;
        *out.by_country.entry(country.clone()).or_default() += 1;
        out.list.push(SupplyChainFactory {
            id: FactoryId::from_db(&id)?,
            name,
            country,
            tier,
        });
    }
    out.list
        .sort_by(|a, b| (a.tier, &a.country, &a.name).cmp(&(b.tier, &b.country, &b.name)));
    Ok(out)
}
