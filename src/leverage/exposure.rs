//! The exposure of one factory on one day: the contracts that depend on it, their buyers,
//! contractors, linked components and combined value, and its open cases, as far as the caller
//! may see (docs/security.md, "Factory exposure and leverage").

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::NaiveDate;
use diesel::prelude::*;
use diesel::sql_types::Bool;

use super::money::Sums;
use super::query;
use super::shared::{factory_columns, highest, scope_of, summary, FactoryRow};
use super::{ComponentRef, ExposedContract, ExposedParty, Exposure, OpenCaseRef};
use crate::auth::Caller;
use crate::db::DbConnection;
use crate::error::Error;
use crate::schema::{case_contracts, cases, components, contracts, factories, organizations};
use crate::values::{CaseId, ComponentId, ContractId, FactoryId, OrgKind, OrganizationId};

/// Open cases an exposure lists at most (the counts include all).
const CASES_LISTED: i64 = 200;

type ContractRow = (
    String,
    String,
    String,
    String,
    String,
    NaiveDate,
    NaiveDate,
    Option<String>,
    Option<String>,
);

/// Who and what depends on `factory` on `at`, as the caller may see it; 404 for no factory.
pub fn exposure(
    conn: &mut DbConnection,
    caller: &Caller,
    factory: FactoryId,
    at: NaiveDate,
) -> Result<Exposure, Error> {
    let f = factory.to_string();
    let row: FactoryRow = factories::table
        .filter(factories::id.eq(&f))
        .select(factory_columns())
        .first(conn)
        .optional()?
        .ok_or(Error::NotFound("factory"))?;
    let linked = query::dependents_of(conn, at, &f)?;
    let ids: BTreeSet<&String> = linked.iter().map(|l| &l.0).collect();
    let rows: Vec<ContractRow> = contracts::table
        .filter(contracts::id.eq_any(ids.iter().copied()))
        .order(contracts::reference.asc())
        .select((
            contracts::id,
            contracts::reference,
            contracts::title,
            contracts::buyer_id,
            contracts::contractor_id,
            contracts::starts_on,
            contracts::ends_on,
            contracts::value_amount,
            contracts::value_currency,
        ))
        .load(conn)?;
    let all_buyers: BTreeSet<&String> = rows.iter().map(|r| &r.3).collect();
    let me = caller.organization_id.to_string();
    let visible: Vec<&ContractRow> = rows
        .iter()
        .filter(|r| match caller.kind {
            OrgKind::Admin | OrgKind::Monitor => true,
            OrgKind::Buyer => r.3 == me,
            OrgKind::Contractor => r.4 == me,
        })
        .collect();
    // The linked components of the listed contracts, with their names.
    let shown: BTreeSet<&String> = visible.iter().map(|r| &r.0).collect();
    let component_ids: BTreeSet<&String> = linked
        .iter()
        .filter(|l| shown.contains(&l.0))
        .map(|l| &l.1)
        .collect();
    let names: BTreeMap<String, String> = components::table
        .filter(components::id.eq_any(component_ids.iter().copied()))
        .select((components::id, components::name))
        .load::<(String, String)>(conn)?
        .into_iter()
        .collect();
    let component = |id: &String| -> Result<ComponentRef, Error> {
        Ok(ComponentRef {
            id: ComponentId::from_db(id)?,
            name: names.get(id).cloned().unwrap_or_default(),
        })
    };
    let mut sums = Sums::default();
    let mut listed = Vec::with_capacity(visible.len());
    for r in &visible {
        sums.add(r.7.as_deref(), r.8.as_deref());
        let mut parts: Vec<ComponentRef> = linked
            .iter()
            .filter(|l| l.0 == r.0)
            .map(|l| component(&l.1))
            .collect::<Result<_, _>>()?;
        parts.sort_by(|a, b| (&a.name, a.id.to_string()).cmp(&(&b.name, b.id.to_string())));
        listed.push(ExposedContract {
            id: ContractId::from_db(&r.0)?,
            reference: r.1.clone(),
            title: r.2.clone(),
            buyer_id: OrganizationId::from_db(&r.3)?,
            contractor_id: OrganizationId::from_db(&r.4)?,
            starts_on: r.5,
            ends_on: r.6,
            value_amount: r.7.clone(),
            value_currency: r.8.clone(),
            components: parts,
        });
    }
    let mut component_list: Vec<ComponentRef> = component_ids
        .iter()
        .map(|id| component(id))
        .collect::<Result<_, _>>()?;
    component_list.sort_by(|a, b| (&a.name, a.id.to_string()).cmp(&(&b.name, b.id.to_string())));
    // Contractors' names are withheld from monitors: they read contract figures and component
    // owners by id, never who a contractor is (the isolation matrix holds them to it).
    let contractor_names = !caller.is(OrgKind::Monitor);
    let buyers = parties(conn, visible.iter().map(|r| &r.3), true)?;
    let contractors = parties(conn, visible.iter().map(|r| &r.4), contractor_names)?;
    let total = all_buyers.len() as i64;
    let (exposed_buyers, other_buyers) = match caller.kind {
        OrgKind::Admin | OrgKind::Monitor => (Some(total), Some(total - buyers.len() as i64)),
        // A buyer learns the count only where it is itself exposed, as in the ranking.
        OrgKind::Buyer if !visible.is_empty() => (Some(total), Some(total - 1)),
        OrgKind::Buyer | OrgKind::Contractor => (None, None),
    };
    let by_severity: BTreeMap<String, i64> = query::open_cases(conn, &scope_of(caller), &f)?
        .into_iter()
        .collect();
    Ok(Exposure {
        factory: summary(row)?,
        at,
        exposed_buyers,
        other_buyers,
        buyers,
        contractors,
        contracts: listed,
        components: component_list,
        value: sums.done(),
        open_cases: by_severity.values().sum(),
        highest_severity: highest(&by_severity),
        open_by_severity: by_severity,
        cases: listed_cases(conn, caller, &f)?,
    })
}

/// The organizations among `ids`, with how many of the listed contracts each has.
fn parties<'a>(
    conn: &mut DbConnection,
    ids: impl Iterator<Item = &'a String>,
    named: bool,
) -> Result<Vec<ExposedParty>, Error> {
    let mut count: BTreeMap<&String, i64> = BTreeMap::new();
    for id in ids {
        *count.entry(id).or_default() += 1;
    }
    let names: HashMap<String, String> = if named {
        organizations::table
            .filter(organizations::id.eq_any(count.keys().copied()))
            .select((organizations::id, organizations::name))
            .load::<(String, String)>(conn)?
            .into_iter()
            .collect()
    } else {
        HashMap::new()
    };
    let mut out = count
        .into_iter()
        .map(|(id, contracts)| {
            Ok(ExposedParty {
                id: OrganizationId::from_db(id)?,
                name: names.get(id).cloned(),
                contracts,
            })
        })
        .collect::<Result<Vec<_>, Error>>()?;
    out.sort_by(|a, b| (&a.name, a.id.to_string()).cmp(&(&b.name, b.id.to_string())));
    Ok(out)
}

/// The open cases at the factory the caller may list: all for an admin, a monitor's own
/// findings', a buyer's on its contracts, a contractor's own; most escalated first.
fn listed_cases(
    conn: &mut DbConnection,
    caller: &Caller,
    factory: &str,
) -> Result<Vec<OpenCaseRef>, Error> {
    let me = caller.organization_id.to_string();
    let mut q = cases::table
        .filter(cases::factory_id.eq(factory))
        .filter(diesel::dsl::sql::<Bool>(&query::open_on("cases")))
        .select((
            cases::id,
            cases::state,
            cases::severity,
            cases::escalation_level,
        ))
        .order((cases::escalation_level.desc(), cases::opened_at.asc()))
        .limit(CASES_LISTED)
        .into_boxed();
    match caller.kind {
        OrgKind::Admin => {}
        OrgKind::Monitor => q = q.filter(cases::monitor_id.eq(me)),
        OrgKind::Contractor => q = q.filter(cases::contractor_id.eq(me)),
        OrgKind::Buyer => {
            q = q.filter(
                cases::id.eq_any(
                    case_contracts::table
                        .inner_join(contracts::table)
                        .filter(contracts::buyer_id.eq(me))
                        .select(case_contracts::case_id),
                ),
            )
        }
    }
    q.load::<(String, String, String, i32)>(conn)?
        .into_iter()
        .map(|(id, state, severity, level)| {
            Ok(OpenCaseRef {
                id: CaseId::from_db(&id)?,
                state,
                severity,
                escalation_level: level,
            })
        })
        .collect()
}
