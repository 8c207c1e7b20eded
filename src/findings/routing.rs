//! Routing: which contractors answer for a finding. A finding at factory F observed on day D
//! reaches contractor C when a contract of C, running on D, has an item whose component (or a
//! part of it, at any depth) is made at F according to a sourcing link valid on D. One case
//! per contractor, listing all of C's affected contracts.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::FindingRow;
use crate::cases::events::Actor;
use crate::cases::service::{self as cases, Opening};
use crate::cases::CaseRow;
use crate::db::DbConnection;
use crate::error::Error;
use crate::escalation::Policy;
use crate::schema::{
    cases as cases_t, components, contract_items, contracts, finding_components, findings,
    sourcing_links,
};
use crate::values::{ContractId, FactoryId, OrganizationId};

/// A bill of materials deeper than this is treated as corrupt rather than walked forever.
const MAX_DEPTH: usize = 64;

/// contractor id -> the contract ids that make it responsible.
pub type Responsible = BTreeMap<OrganizationId, BTreeSet<ContractId>>;

/// Works out who answers for a finding at `factory` observed on `on`, optionally limited to
/// `scope` (components and their parts).
pub fn responsible(
    conn: &mut DbConnection,
    factory: FactoryId,
    on: NaiveDate,
    scope: &[String],
) -> Result<Responsible, Error> {
    if scope.is_empty() {
        return responsible_unscoped(conn, factory, on);
    }
    let linked: Vec<String> = sourcing_links::table
        .filter(sourcing_links::factory_id.eq(factory))
        .filter(sourcing_links::valid_from.le(on))
        .filter(
            sourcing_links::valid_to
                .is_null()
                .or(sourcing_links::valid_to.ge(on)),
        )
        .select(sourcing_links::component_id)
        .distinct()
        .load(conn)?;
    if linked.is_empty() {
        return Ok(Responsible::new());
    }
    // Walk up the bill of materials one level per query, remembering each component's parent.
    let mut parent_of: HashMap<String, Option<String>> = HashMap::new();
    let mut frontier: Vec<String> = linked.clone();
    for _ in 0..MAX_DEPTH {
        frontier.retain(|c| !parent_of.contains_key(c));
        if frontier.is_empty() {
            break;
        }
        let rows: Vec<(String, Option<String>)> = components::table
            .filter(components::id.eq_any(&frontier))
            .select((components::id, components::parent_id))
            .load(conn)?;
        frontier = rows.iter().filter_map(|(_, p)| p.clone()).collect();
        parent_of.extend(rows);
    }
    let chain = |start: &str| -> Vec<String> {
        let mut out = vec![start.to_string()];
        let mut cur = start.to_string();
        while let Some(Some(p)) = parent_of.get(&cur) {
            if out.contains(p) || out.len() > MAX_DEPTH {
                break;
            }
            out.push(p.clone());
            cur = p.clone();
        }
        out
    };
    let scope: HashSet<&String> = scope.iter().collect();
    let mut reachable: BTreeSet<String> = BTreeSet::new();
    for component in &linked {
        let up = chain(component);
        // In scope when the linked component is a scoped one or a part of one.
        if scope.is_empty() || up.iter().any(|c| scope.contains(c)) {
            reachable.extend(up);
        }
    }
    if reachable.is_empty() {
        return Ok(Responsible::new());
    }
    let reachable: Vec<String> = reachable.into_iter().collect();
    let hits: Vec<(OrganizationId, ContractId)> = contract_items::table
        .inner_join(contracts::table)
        .filter(contract_items::component_id.eq_any(&reachable))
        .filter(contracts::starts_on.le(on))
        .filter(contracts::ends_on.ge(on))
        .select((contracts::contractor_id, contracts::id))
        .distinct()
        .load(conn)?;
    let mut out = Responsible::new();
    for (contractor, contract) in hits {
        out.entry(contractor).or_default().insert(contract);
    }
    Ok(out)
}

/// The common case, a finding about the whole factory, in one statement: every component a
/// link valid on `on` names and all their ancestors (a recursive walk up the bill of
/// materials; UNION drops repeats, so even a corrupt cycle ends), then the contracts running on
/// `on` with one of them as an item. One round trip instead of one per level.
fn responsible_unscoped(
    conn: &mut DbConnection,
    factory: FactoryId,
    on: NaiveDate,
) -> Result<Responsible, Error> {
    #[derive(QueryableByName)]
    struct Hit {
        #[diesel(sql_type = diesel::sql_types::Text)]
        contractor_id: OrganizationId,
        #[diesel(sql_type = diesel::sql_types::Text)]
        contract_id: ContractId,
    }
    let hits: Vec<Hit> = diesel::sql_query(
        "WITH RECURSIVE up(id) AS ( \
             SELECT component_id FROM sourcing_links \
              WHERE factory_id = $1 AND valid_from <= $2 AND (valid_to IS NULL OR valid_to >= $2) \
             UNION \
             SELECT c.parent_id FROM components c JOIN up ON c.id = up.id \
              WHERE c.parent_id IS NOT NULL) \
         SELECT DISTINCT k.contractor_id AS contractor_id, k.id AS contract_id \
           FROM contract_items i JOIN contracts k ON k.id = i.contract_id \
          WHERE i.component_id IN (SELECT id FROM up) AND k.starts_on <= $2 AND k.ends_on >= $2",
    )
    .bind::<diesel::sql_types::Text, _>(factory)
    .bind::<diesel::sql_types::Date, _>(on)
    .load(conn)?;
    let mut out = Responsible::new();
    for h in hits {
        out.entry(h.contractor_id)
            .or_default()
            .insert(h.contract_id);
    }
    Ok(out)
}

/// Opens a case for every responsible contractor that has none yet for this finding (routed
/// late: the finding was filed before), and marks the finding routed once it reaches anyone.
/// Returns the number of cases opened. The service is the actor: whoever's disclosure made
/// the factory reachable is never named in another contractor's case (and gets the mail).
pub fn route(
    conn: &mut DbConnection,
    finding: &FindingRow,
    now: NaiveDateTime,
    policy: &Policy,
) -> Result<usize, Error> {
    let scope: Vec<String> = finding_components::table
        .filter(finding_components::finding_id.eq(finding.id))
        .select(finding_components::component_id)
        .load(conn)?;
    let responsible = responsible(conn, finding.factory_id, finding.observed_on, &scope)?;
    let existing: HashSet<OrganizationId> = cases_t::table
        .filter(cases_t::finding_id.eq(finding.id))
        .select(cases_t::contractor_id)
        .load::<OrganizationId>(conn)?
        .into_iter()
        .collect();
    let opening = Opening {
        actor: Actor::default(),
        late: true,
        now,
        policy,
    };
    let opened = open_cases(conn, finding, &responsible, &existing, &opening)?;
    if !opened.is_empty() && !finding.routed {
        diesel::update(findings::table.filter(findings::id.eq(finding.id)))
            .set((findings::routed.eq(true), findings::updated_at.eq(now)))
            .execute(conn)?;
    }
    Ok(opened.len())
}

/// Opens a case for every responsible contractor not in `existing`; returns each new case
/// with its contract ids (sorted).
pub fn open_cases(
    conn: &mut DbConnection,
    finding: &FindingRow,
    responsible: &Responsible,
    existing: &HashSet<OrganizationId>,
    opening: &Opening,
) -> Result<Vec<(CaseRow, Vec<ContractId>)>, Error> {
    let mut new = Vec::new();
    for (contractor, contract_ids) in responsible {
        if existing.contains(contractor) {
            continue;
        }
        let ids: Vec<ContractId> = contract_ids.iter().copied().collect();
        let (row, event) = cases::opening(finding, *contractor, &ids, opening)?;
        new.push((row, ids, event));
    }
    // All of the finding's cases in one go: their notifications' recipients read once.
    crate::cases::store::insert_all_new(conn, &new, &finding.title)?;
    Ok(new.into_iter().map(|(row, ids, _)| (row, ids)).collect())
}

/// After a disclosure (a sourcing link, a contract item) some findings at these factories may
/// reach new contractors: route them again. Existing cases are left as they are.
pub fn reroute_factories(
    conn: &mut DbConnection,
    factories: &[FactoryId],
    now: NaiveDateTime,
    policy: &Policy,
) -> Result<usize, Error> {
    if factories.is_empty() {
        return Ok(0);
    }
    let rows: Vec<FindingRow> = findings::table
        .filter(findings::factory_id.eq_any(factories))
        .order(findings::id.asc())
        .select(FindingRow::as_select())
        .load(conn)?;
    let mut opened = 0;
    for finding in rows {
        opened += route(conn, &finding, now, policy)?;
    }
    Ok(opened)
}
