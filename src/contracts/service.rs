//! Rules for contracts. Buyers register contracts in their own name (admins for any buyer);
//! the buyer and the contractor of a contract read it and add items; nobody else learns that
//! it exists (404).

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};

use super::{Contract, ContractItem, ContractItemRow, ContractRow, NewContract, NewContractItem};
use crate::auth::Caller;
use crate::components::service as components_service;
use crate::db::{DbBackend, DbConnection};
use crate::error::Error;
use crate::escalation::Policy;
use crate::findings::routing;
use crate::organizations::service as organizations;
use crate::pagination::{Cursor, Page, PageRequest};
use crate::schema::{components, contract_items, contracts};
use crate::values::{ContractId, ContractItemId, OrgKind, OrganizationId};

type Visible =
    Box<dyn BoxableExpression<contracts::table, DbBackend, SqlType = diesel::sql_types::Bool>>;

/// `None` for admins (everything); monitors read no contracts.
fn visible_to(caller: &Caller) -> Option<Visible> {
    let me = caller.organization_id.to_string();
    match caller.kind {
        OrgKind::Admin => None,
        OrgKind::Buyer => Some(Box::new(contracts::buyer_id.eq(me))),
        OrgKind::Contractor => Some(Box::new(contracts::contractor_id.eq(me))),
        OrgKind::Monitor => Some(Box::new(diesel::dsl::sql::<diesel::sql_types::Bool>(
            "1 = 0",
        ))),
    }
}

pub fn create(
    conn: &mut DbConnection,
    caller: &Caller,
    input: NewContract,
    now: NaiveDateTime,
) -> Result<Contract, Error> {
    caller.require(&[OrgKind::Admin, OrgKind::Buyer], "register contracts")?;
    if caller.is(OrgKind::Buyer) && input.buyer_id != caller.organization_id {
        return Err(Error::field(
            "buyer_id",
            "a buyer registers contracts in its own name",
        ));
    }
    if organizations::kind_of(conn, input.buyer_id)? != Some(OrgKind::Buyer) {
        return Err(Error::field(
            "buyer_id",
            "no buyer organization with this id",
        ));
    }
    if organizations::kind_of(conn, input.contractor_id)? != Some(OrgKind::Contractor) {
        return Err(Error::field(
            "contractor_id",
            "no contractor organization with this id",
        ));
    }
    if input.ends_on < input.starts_on {
        return Err(Error::field("ends_on", "must be on or after starts_on"));
    }
    if let Some(framework) = input.framework_id {
        // One level: a framework agreement of this buyer, not a call-off of another one.
        let found: i64 = contracts::table
            .filter(contracts::id.eq(framework.to_string()))
            .filter(contracts::buyer_id.eq(input.buyer_id.to_string()))
            .filter(contracts::framework_id.is_null())
            .count()
            .get_result(conn)?;
        if found == 0 {
            return Err(Error::field(
                "framework_id",
                "no contract of this buyer with this id that could be a framework agreement (it must not be a call-off itself)",
            ));
        }
    }
    // Unique per buyer ignoring case, folded as the index folds it (see the migration
    // `contract_reference_nocase`).
    let duplicate: i64 = contracts::table
        .filter(contracts::buyer_id.eq(input.buyer_id.to_string()))
        .filter(lower(contracts::reference).eq(lower(input.reference.as_str())))
        .count()
        .get_result(conn)?;
    if duplicate > 0 {
        return Err(duplicate_reference(input.reference.as_str()));
    }
    let row = ContractRow {
        id: ContractId::new(),
        buyer_id: input.buyer_id,
        contractor_id: input.contractor_id,
        reference: input.reference.into_inner(),
        title: input.title.into_inner(),
        starts_on: input.starts_on,
        ends_on: input.ends_on,
        value_amount: input.value.as_ref().map(|v| String::from(v.amount.clone())),
        value_currency: input
            .value
            .as_ref()
            .map(|v| v.currency.as_str().to_string()),
        ocds_id: input.ocds_id.map(|s| s.into_inner()),
        created_at: now,
        updated_at: now,
        framework_id: input.framework_id,
    };
    // A concurrent request may have taken the reference since the check: the unique index
    // refuses the row, and the answer is the same.
    diesel::insert_into(contracts::table)
        .values(&row)
        .execute(conn)
        .map_err(|e| match e {
            DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _) => {
                duplicate_reference(&row.reference)
            }
            other => other.into(),
        })?;
    row.view(Vec::new())
}

diesel::define_sql_function!(fn lower(x: diesel::sql_types::Text) -> diesel::sql_types::Text);

fn duplicate_reference(reference: &str) -> Error {
    Error::conflict(format!(
        "this buyer already has a contract with reference {reference:?} (references are unique ignoring case)"
    ))
}

fn get_row(conn: &mut DbConnection, caller: &Caller, id: ContractId) -> Result<ContractRow, Error> {
    let mut q = contracts::table
        .filter(contracts::id.eq(id.to_string()))
        .select(ContractRow::as_select())
        .into_boxed();
    if let Some(filter) = visible_to(caller) {
        q = q.filter(filter);
    }
    q.first(conn).optional()?.ok_or(Error::NotFound("contract"))
}

pub fn get(conn: &mut DbConnection, caller: &Caller, id: ContractId) -> Result<Contract, Error> {
    let row = get_row(conn, caller, id)?;
    let mut items = items_of(conn, &[row.id])?;
    row.view(items.remove(&id).unwrap_or_default())
}

/// Items of several contracts in one query.
fn items_of(
    conn: &mut DbConnection,
    ids: &[ContractId],
) -> Result<HashMap<ContractId, Vec<ContractItem>>, Error> {
    let rows: Vec<ContractItemRow> = contract_items::table
        .filter(contract_items::contract_id.eq_any(ids))
        .order(contract_items::id.asc())
        .select(ContractItemRow::as_select())
        .load(conn)?;
    let mut by_contract: HashMap<ContractId, Vec<ContractItem>> = HashMap::new();
    for row in rows {
        by_contract
            .entry(row.contract_id)
            .or_default()
            .push(row.view()?);
    }
    Ok(by_contract)
}

pub struct ContractFilter {
    pub buyer_id: Option<OrganizationId>,
    pub contractor_id: Option<OrganizationId>,
}

pub fn list(
    conn: &mut DbConnection,
    caller: &Caller,
    filter: ContractFilter,
    page: &PageRequest,
) -> Result<Page<Contract>, Error> {
    list_call_offs(conn, caller, filter, None, page)
}

/// As `list`; with `framework`, only the call-offs of that framework agreement (a framework
/// outside the caller's reach lists nothing, as any filter does).
pub fn list_call_offs(
    conn: &mut DbConnection,
    caller: &Caller,
    filter: ContractFilter,
    framework: Option<ContractId>,
    page: &PageRequest,
) -> Result<Page<Contract>, Error> {
    caller.require(
        &[OrgKind::Admin, OrgKind::Buyer, OrgKind::Contractor],
        "list contracts",
    )?;
    let mut q = contracts::table
        .filter(contracts::id.gt(page.after_db()))
        .order(contracts::id.asc())
        .limit(page.fetch())
        .select(ContractRow::as_select())
        .into_boxed();
    if let Some(visible) = visible_to(caller) {
        q = q.filter(visible);
    }
    if let Some(buyer) = filter.buyer_id {
        q = q.filter(contracts::buyer_id.eq(buyer.to_string()));
    }
    if let Some(contractor) = filter.contractor_id {
        q = q.filter(contracts::contractor_id.eq(contractor.to_string()));
    }
    if let Some(framework) = framework {
        q = q.filter(contracts::framework_id.eq(framework.to_string()));
    }
    let rows = q.load(conn)?;
    let ids: Vec<ContractId> = rows.iter().map(|r| r.id).collect();
    let mut items = items_of(conn, &ids)?;
    Page::from_rows(
        rows,
        page,
        |r| Cursor::encode(r.id),
        |r| {
            let own = items.remove(&r.id).unwrap_or_default();
            r.view(own)
        },
    )
}

/// Adds a component of the contract's contractor to the contract. Adding it again returns
/// the existing item (`false`: not created).
pub fn add_item(
    conn: &mut DbConnection,
    caller: &Caller,
    contract: ContractId,
    input: NewContractItem,
    now: NaiveDateTime,
    policy: &Policy,
) -> Result<(ContractItem, bool), Error> {
    let row = get_row(conn, caller, contract)?;
    let owner: Option<OrganizationId> = components::table
        .filter(components::id.eq(input.component_id))
        .select(components::owner_id)
        .first(conn)
        .optional()?;
    if owner != Some(row.contractor_id) {
        return Err(Error::field(
            "component_id",
            "no component with this id among the contractor's components",
        ));
    }
    let existing = contract_items::table
        .filter(contract_items::contract_id.eq(row.id))
        .filter(contract_items::component_id.eq(input.component_id.to_string()))
        .select(ContractItemRow::as_select())
        .first(conn)
        .optional()?;
    if let Some(item) = existing {
        return Ok((item.view()?, false));
    }
    let item = ContractItemRow {
        id: ContractItemId::new(),
        contract_id: row.id,
        component_id: input.component_id,
        created_at: now,
    };
    diesel::insert_into(contract_items::table)
        .values(&item)
        .execute(conn)?;
    // The new item may make findings at the factories behind it reach this contractor.
    let factories = components_service::factories_below(conn, item.component_id)?;
    routing::reroute_factories(conn, &factories, now, policy)?;
    Ok((item.view()?, true))
}

/// Organizations a contract names, for checks elsewhere.
pub fn parties(
    conn: &mut DbConnection,
    id: ContractId,
) -> Result<Option<(OrganizationId, OrganizationId)>, Error> {
    Ok(contracts::table
        .filter(contracts::id.eq(id))
        .select((contracts::buyer_id, contracts::contractor_id))
        .first(conn)
        .optional()?)
}
