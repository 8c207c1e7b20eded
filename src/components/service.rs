//! Rules for components and sourcing links. A contractor owns the components it registers and
//! alone (with admins) extends their bill of materials and discloses where they are made.
//! Admins and monitors read all components; a buyer reads those in its contracts' supply
//! chains.

use std::collections::HashSet;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::{
    Component, ComponentPatch, ComponentRow, EndSourcingLink, NewComponent, NewSourcingLink,
    SourcingLink, SourcingLinkRow,
};
use crate::auth::Caller;
use crate::db::{DbBackend, DbConnection};
use crate::error::Error;
use crate::escalation::Policy;
use crate::factories::service as factories;
use crate::findings::routing;
use crate::organizations::service as organizations;
use crate::pagination::{Cursor, Page, PageRequest};
use crate::schema::{components, contract_items, contracts, sourcing_links};
use crate::values::{ComponentId, FactoryId, OrgKind, OrganizationId, SourcingLinkId};

/// A bill of materials deeper than this is treated as corrupt rather than walked forever.
const MAX_DEPTH: usize = 64;

type Visible =
    Box<dyn BoxableExpression<components::table, DbBackend, SqlType = diesel::sql_types::Bool>>;

fn visible_to(conn: &mut DbConnection, caller: &Caller) -> Result<Option<Visible>, Error> {
    Ok(match caller.kind {
        OrgKind::Admin | OrgKind::Monitor => None,
        OrgKind::Contractor => Some(Box::new(
            components::owner_id.eq(caller.organization_id.to_string()),
        )),
        OrgKind::Buyer => Some(Box::new(
            components::id.eq_any(supply_chain_components(conn, caller.organization_id)?),
        )),
    })
}

/// Every component in the supply chain of a buyer's contracts: the contract items and all
/// their sub-components, at any depth.
pub fn supply_chain_components(
    conn: &mut DbConnection,
    buyer: OrganizationId,
) -> Result<Vec<String>, Error> {
    let roots: Vec<String> = contract_items::table
        .inner_join(contracts::table)
        .filter(contracts::buyer_id.eq(buyer.to_string()))
        .select(contract_items::component_id)
        .load(conn)?;
    with_descendants(conn, roots)
}

/// The given components and all their descendants, one query per level.
pub fn with_descendants(conn: &mut DbConnection, roots: Vec<String>) -> Result<Vec<String>, Error> {
    let mut seen: HashSet<String> = roots.iter().cloned().collect();
    let mut frontier = roots;
    for _ in 0..MAX_DEPTH {
        if frontier.is_empty() {
            break;
        }
        let children: Vec<String> = components::table
            .filter(components::parent_id.eq_any(&frontier))
            .select(components::id)
            .load(conn)?;
        frontier = children
            .into_iter()
            .filter(|c| seen.insert(c.clone()))
            .collect();
    }
    Ok(seen.into_iter().collect())
}

/// A component and its ancestors, nearest first.
pub fn with_ancestors(conn: &mut DbConnection, id: &str) -> Result<Vec<String>, Error> {
    let mut chain = vec![id.to_string()];
    let mut current = id.to_string();
    for _ in 0..MAX_DEPTH {
        let parent: Option<Option<String>> = components::table
            .filter(components::id.eq(&current))
            .select(components::parent_id)
            .first(conn)
            .optional()?;
        match parent.flatten() {
            Some(p) if !chain.contains(&p) => {
                chain.push(p.clone());
                current = p;
            }
            _ => break,
        }
    }
    Ok(chain)
}

pub fn create(
    conn: &mut DbConnection,
    caller: &Caller,
    input: NewComponent,
    now: NaiveDateTime,
) -> Result<Component, Error> {
    caller.require(
        &[OrgKind::Admin, OrgKind::Contractor],
        "register components",
    )?;
    let owner = match (caller.kind, input.owner_id) {
        (OrgKind::Admin, Some(owner)) => match organizations::kind_of(conn, owner)? {
            Some(OrgKind::Contractor | OrgKind::Admin) => owner,
            _ => {
                return Err(Error::field(
                    "owner_id",
                    "no contractor organization with this id",
                ))
            }
        },
        (_, Some(owner)) if owner != caller.organization_id => {
            return Err(Error::field(
                "owner_id",
                "only admins register components for another organization",
            ))
        }
        _ => caller.organization_id,
    };
    if let Some(parent) = input.parent_id {
        check_parent(conn, owner, parent)?;
    }
    let row = ComponentRow {
        id: ComponentId::new(),
        name: input.name.into_inner(),
        parent_id: input.parent_id,
        owner_id: owner,
        created_at: now,
        updated_at: now,
    };
    diesel::insert_into(components::table)
        .values(&row)
        .execute(conn)?;
    row.view()
}

fn check_parent(
    conn: &mut DbConnection,
    owner: OrganizationId,
    parent: ComponentId,
) -> Result<(), Error> {
    let n: i64 = components::table
        .filter(components::id.eq(parent.to_string()))
        .filter(components::owner_id.eq(owner.to_string()))
        .count()
        .get_result(conn)?;
    if n == 0 {
        return Err(Error::field(
            "parent_id",
            "no component with this id among the owner's components",
        ));
    }
    Ok(())
}

pub fn get(conn: &mut DbConnection, caller: &Caller, id: ComponentId) -> Result<Component, Error> {
    get_row(conn, caller, id)?.view()
}

fn get_row(
    conn: &mut DbConnection,
    caller: &Caller,
    id: ComponentId,
) -> Result<ComponentRow, Error> {
    let mut q = components::table
        .filter(components::id.eq(id.to_string()))
        .select(ComponentRow::as_select())
        .into_boxed();
    if let Some(filter) = visible_to(conn, caller)? {
        q = q.filter(filter);
    }
    q.first(conn)
        .optional()?
        .ok_or(Error::NotFound("component"))
}

/// The component if the caller may change it: its owner or an admin. Others who can see it
/// are refused (403); others get 404.
fn owned_row(
    conn: &mut DbConnection,
    caller: &Caller,
    id: ComponentId,
    action: &str,
) -> Result<ComponentRow, Error> {
    caller.require(&[OrgKind::Admin, OrgKind::Contractor], action)?;
    let row = get_row(conn, caller, id)?;
    if caller.is_admin() || row.owner_id == caller.organization_id {
        Ok(row)
    } else {
        Err(Error::NotFound("component"))
    }
}

pub fn list(
    conn: &mut DbConnection,
    caller: &Caller,
    parent: Option<ComponentId>,
    page: &PageRequest,
) -> Result<Page<Component>, Error> {
    let mut q = components::table
        .filter(components::id.gt(page.after_db()))
        .order(components::id.asc())
        .limit(page.fetch())
        .select(ComponentRow::as_select())
        .into_boxed();
    if let Some(filter) = visible_to(conn, caller)? {
        q = q.filter(filter);
    }
    if let Some(parent) = parent {
        q = q.filter(components::parent_id.eq(parent.to_string()));
    }
    Page::from_rows(
        q.load(conn)?,
        page,
        |r| Cursor::encode(r.id),
        ComponentRow::view,
    )
}

/// Changes a component. A new parent changes the bill of materials: the factories where the
/// component or its parts are made may now fall under a contracted product, so findings at
/// them are routed again, as after a new sourcing link (same transaction, same mails).
pub fn update(
    conn: &mut DbConnection,
    caller: &Caller,
    id: ComponentId,
    patch: ComponentPatch,
    now: NaiveDateTime,
    policy: &Policy,
) -> Result<Component, Error> {
    let mut row = owned_row(conn, caller, id, "change components")?;
    let old_parent = row.parent_id;
    if let Some(name) = patch.name {
        row.name = name.into_inner();
    }
    if let Some(parent) = patch.parent_id {
        if let Some(parent) = parent {
            check_parent(conn, row.owner_id, parent)?;
            if with_ancestors(conn, &parent.to_string())?.contains(&row.id.to_string()) {
                return Err(Error::field(
                    "parent_id",
                    "this would make the component part of itself (a cycle in the bill of materials)",
                ));
            }
        }
        row.parent_id = parent;
    }
    row.updated_at = now;
    diesel::update(components::table.filter(components::id.eq(row.id)))
        .set((
            components::name.eq(&row.name),
            components::parent_id.eq(row.parent_id),
            components::updated_at.eq(row.updated_at),
        ))
        .execute(conn)?;
    if row.parent_id.is_some() && row.parent_id != old_parent {
        let below = factories_below(conn, row.id)?;
        routing::reroute_factories(conn, &below, now, policy)?;
    }
    row.view()
}

/// Discloses that a component is made at a factory. An identical disclosure returns the
/// existing link (`false`: not created).
pub fn add_source(
    conn: &mut DbConnection,
    caller: &Caller,
    component: ComponentId,
    input: NewSourcingLink,
    now: NaiveDateTime,
    policy: &Policy,
) -> Result<(SourcingLink, bool), Error> {
    let component = owned_row(conn, caller, component, "disclose sourcing")?;
    if input.valid_to.is_some_and(|to| to < input.valid_from) {
        return Err(Error::field("valid_to", "must be on or after valid_from"));
    }
    if !factories::exists(conn, input.factory_id)? {
        return Err(Error::field("factory_id", "no factory with this id"));
    }
    let existing = sourcing_links::table
        .filter(sourcing_links::component_id.eq(component.id))
        .filter(sourcing_links::factory_id.eq(input.factory_id))
        .filter(sourcing_links::tier.eq(input.tier.0))
        .filter(sourcing_links::valid_from.eq(input.valid_from))
        .select(SourcingLinkRow::as_select())
        .load(conn)?
        .into_iter()
        .find(|l| l.valid_to == input.valid_to);
    if let Some(link) = existing {
        return Ok((link.view()?, false));
    }
    let row = SourcingLinkRow {
        id: SourcingLinkId::new(),
        component_id: component.id,
        factory_id: input.factory_id,
        tier: input.tier.0,
        valid_from: input.valid_from,
        valid_to: input.valid_to,
        disclosed_by: caller.organization_id,
        created_at: now,
    };
    diesel::insert_into(sourcing_links::table)
        .values(&row)
        .execute(conn)?;
    // The disclosure may make findings at this factory reach this contractor.
    routing::reroute_factories(conn, std::slice::from_ref(&row.factory_id), now, policy)?;
    Ok((row.view()?, true))
}

/// Ends a sourcing link of one of the caller's components on `valid_to`, or moves its end.
/// An earlier end takes no case away: a finding observed while the link was valid still
/// reaches the contractor. A later end may cover findings observed meanwhile, so findings at
/// the factory are routed again, as after a new link (routing only ever adds cases).
pub fn end_source(
    conn: &mut DbConnection,
    caller: &Caller,
    link: SourcingLinkId,
    input: EndSourcingLink,
    now: NaiveDateTime,
    policy: &Policy,
) -> Result<SourcingLink, Error> {
    let mut row: SourcingLinkRow = sourcing_links::table
        .filter(sourcing_links::id.eq(link.to_string()))
        .select(SourcingLinkRow::as_select())
        .first(conn)
        .optional()?
        .ok_or(Error::NotFound("sourcing link"))?;
    // The component's owner (or an admin) only; anyone else is told nothing of the link.
    owned_row(conn, caller, row.component_id, "end sourcing links").map_err(|e| match e {
        Error::NotFound(_) => Error::NotFound("sourcing link"),
        other => other,
    })?;
    if input.valid_to < row.valid_from {
        return Err(Error::field("valid_to", "must be on or after valid_from"));
    }
    diesel::update(sourcing_links::table.filter(sourcing_links::id.eq(row.id)))
        .set(sourcing_links::valid_to.eq(Some(input.valid_to)))
        .execute(conn)?;
    let later = row.valid_to.is_some_and(|old| input.valid_to > old);
    row.valid_to = Some(input.valid_to);
    if later {
        routing::reroute_factories(conn, std::slice::from_ref(&row.factory_id), now, policy)?;
    }
    row.view()
}

pub fn list_sources(
    conn: &mut DbConnection,
    caller: &Caller,
    component: ComponentId,
    page: &PageRequest,
) -> Result<Page<SourcingLink>, Error> {
    let component = get_row(conn, caller, component)?;
    let rows = sourcing_links::table
        .filter(sourcing_links::component_id.eq(component.id))
        .filter(sourcing_links::id.gt(page.after_db()))
        .order(sourcing_links::id.asc())
        .limit(page.fetch())
        .select(SourcingLinkRow::as_select())
        .load(conn)?;
    Page::from_rows(rows, page, |r| Cursor::encode(r.id), SourcingLinkRow::view)
}

/// The factories where a component or any of its parts is made (for re-routing after a
/// contract item is added).
pub fn factories_below(
    conn: &mut DbConnection,
    component: ComponentId,
) -> Result<Vec<FactoryId>, Error> {
    let all = with_descendants(conn, vec![component.to_string()])?;
    Ok(sourcing_links::table
        .filter(sourcing_links::component_id.eq_any(all))
        .select(sourcing_links::factory_id)
        .distinct()
        .load(conn)?)
}
