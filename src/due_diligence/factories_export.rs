//! A buyer's view of the factories behind its contracts: one row per contract, component,
//! factory and tier of a sourcing link valid today, as JSON or CSV. The supply chain of a
//! contract is its items and their parts at any depth (`components::service::with_descendants`,
//! as `supply_chain_components` and the contract's status compute it), and a link counts while
//! it is valid on the day (`coverage::link_valid_on`, the rule of the status's supply chain).
//!
//! Who sees which rows: a buyer its own contracts; a contractor its own contracts (the supply
//! chain it disclosed, under the buyers it has contracts with); admins every contract, or one
//! buyer's with `?buyer=ID`. Monitors are refused (403): they read every factory and component
//! and each contract's status, but not contracts as such nor who holds them (docs/security.md),
//! and these rows name the contract and its contractor. Who registered or disclosed a factory
//! is no column: the rows say what is made where, never by whose hand the registry learnt it.

use std::collections::{BTreeMap, HashMap, HashSet};

use actix_web::http::header;
use actix_web::{web, HttpResponse};
use chrono::NaiveDate;
use diesel::prelude::*;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;

use super::coverage::link_valid_on;
use crate::auth::Caller;
use crate::components::service::with_descendants;
use crate::db::DbConnection;
use crate::error::Error;
use crate::export::Sheet;
use crate::http::extract::QueryParams;
use crate::http::{resource, AppState};
use crate::organizations::service as organizations_service;
use crate::schema::{
    components, contract_items, contracts, factories, organizations, sourcing_links,
};
use crate::values::{ComponentId, ContractId, FactoryId, OrgKind, OrganizationId};

/// Between the names of a component path: the contract item's product first.
const PATH_SEPARATOR: &str = " > ";

/// One factory behind one component of one contract.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct SupplyChainFactoryRow {
    pub contract_id: ContractId,
    pub contract_reference: String,
    pub contract_title: String,
    pub contractor_id: OrganizationId,
    pub contractor_name: String,
    /// The component's names from the contract item's product down to it, joined by ` > `.
    pub component_path: String,
    pub component_id: ComponentId,
    pub factory_id: FactoryId,
    pub factory_name: String,
    pub factory_address: String,
    /// ISO 3166-1 alpha-2.
    pub factory_country: String,
    /// The factory's Open Supply Hub id.
    pub os_id: Option<String>,
    /// 1 is final assembly.
    pub tier: i32,
    pub valid_from: NaiveDate,
    pub valid_to: Option<NaiveDate>,
}

/// The rows of the JSON answer.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SupplyChainFactories {
    /// The day the sourcing links are valid on.
    pub as_of: NaiveDate,
    pub items: Vec<SupplyChainFactoryRow>,
}

/// The header of the CSV, one name per field of `SupplyChainFactoryRow`.
pub const COLUMNS: [&str; 15] = [
    "contract_id",
    "contract_reference",
    "contract_title",
    "contractor_id",
    "contractor_name",
    "component_path",
    "component_id",
    "factory_id",
    "factory_name",
    "factory_address",
    "factory_country",
    "os_id",
    "tier",
    "valid_from",
    "valid_to",
];

/// A sourcing link with its factory's record.
#[derive(Queryable)]
struct Link {
    component_id: String,
    factory_id: String,
    tier: i32,
    valid_from: NaiveDate,
    valid_to: Option<NaiveDate>,
    name: String,
    address: String,
    country: String,
    os_id: Option<String>,
}

/// The contracts whose rows `caller` gets (id, reference, title, contractor), by reference.
fn contracts_for(
    conn: &mut DbConnection,
    caller: &Caller,
    buyer: Option<OrganizationId>,
) -> Result<Vec<(String, String, String, String)>, Error> {
    let me = caller.organization_id;
    let mut q = contracts::table
        .select((
            contracts::id,
            contracts::reference,
            contracts::title,
            contracts::contractor_id,
        ))
        .order((contracts::reference.asc(), contracts::id.asc()))
        .into_boxed();
    match caller.kind {
        OrgKind::Monitor => {
            return Err(Error::Forbidden(
                "monitors do not read contracts and their contractors; the due-diligence status of a contract lists its factories".into(),
            ))
        }
        OrgKind::Admin => {
            if let Some(b) = buyer {
                if organizations_service::kind_of(conn, b)? != Some(OrgKind::Buyer) {
                    return Err(Error::NotFound("buyer"));
                }
                q = q.filter(contracts::buyer_id.eq(b.to_string()));
            }
        }
        OrgKind::Buyer => {
            if buyer.is_some_and(|b| b != me) {
                return Err(Error::Forbidden(
                    "only admins name another buyer".into(),
                ));
            }
            q = q.filter(contracts::buyer_id.eq(me.to_string()));
        }
        OrgKind::Contractor => {
            q = q.filter(contracts::contractor_id.eq(me.to_string()));
            if let Some(b) = buyer {
                q = q.filter(contracts::buyer_id.eq(b.to_string()));
            }
        }
    }
    Ok(q.load(conn)?)
}

/// Every (contract, component, factory, tier) behind the contracts `caller` gets, with links
/// valid on `today`: by contract reference, then component path, tier and factory name.
pub fn rows(
    conn: &mut DbConnection,
    caller: &Caller,
    buyer: Option<OrganizationId>,
    today: NaiveDate,
) -> Result<Vec<SupplyChainFactoryRow>, Error> {
    let contracts = contracts_for(conn, caller, buyer)?;
    if contracts.is_empty() {
        return Ok(Vec::new());
    }
    let contract_ids: Vec<&str> = contracts.iter().map(|c| c.0.as_str()).collect();
    let contractor_ids: HashSet<&str> = contracts.iter().map(|c| c.3.as_str()).collect();
    let contractor_names: HashMap<String, String> = organizations::table
        .filter(organizations::id.eq_any(contractor_ids))
        .select((organizations::id, organizations::name))
        .load::<(String, String)>(conn)?
        .into_iter()
        .collect();
    let items: Vec<(String, String)> = contract_items::table
        .filter(contract_items::contract_id.eq_any(&contract_ids))
        .select((contract_items::contract_id, contract_items::component_id))
        .load(conn)?;
    let mut roots_of: HashMap<&str, Vec<&str>> = HashMap::new();
    for (contract, component) in &items {
        roots_of
            .entry(contract.as_str())
            .or_default()
            .push(component.as_str());
    }
    let roots: Vec<String> = items
        .iter()
        .map(|i| i.1.clone())
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let all = with_descendants(conn, roots)?;
    // The bill of materials below the items, to walk per contract with the names of the path.
    let parts: Vec<(String, String, Option<String>)> = components::table
        .filter(components::id.eq_any(&all))
        .select((components::id, components::name, components::parent_id))
        .load(conn)?;
    let mut name_of: HashMap<&str, &str> = HashMap::new();
    let mut children: HashMap<&str, Vec<&str>> = HashMap::new();
    for (id, name, parent) in &parts {
        name_of.insert(id.as_str(), name.as_str());
        if let Some(p) = parent {
            children.entry(p.as_str()).or_default().push(id.as_str());
        }
    }
    let mut links_of: HashMap<String, Vec<Link>> = HashMap::new();
    let loaded: Vec<Link> = sourcing_links::table
        .inner_join(factories::table)
        .filter(sourcing_links::component_id.eq_any(&all))
        .order((sourcing_links::valid_from.asc(), sourcing_links::id.asc()))
        .select((
            sourcing_links::component_id,
            sourcing_links::factory_id,
            sourcing_links::tier,
            sourcing_links::valid_from,
            sourcing_links::valid_to,
            factories::name,
            factories::address,
            factories::country,
            factories::os_id,
        ))
        .load(conn)?;
    for link in loaded {
        if link_valid_on(link.valid_from, link.valid_to, today) {
            links_of
                .entry(link.component_id.clone())
                .or_default()
                .push(link);
        }
    }
    let mut out = Vec::new();
    for (contract_id, reference, title, contractor) in &contracts {
        let mut rows: BTreeMap<(String, i32, String, String, String), SupplyChainFactoryRow> =
            BTreeMap::new();
        // Each component once per contract, under the first item it is found below (an item
        // may be a part of another item).
        let mut seen: HashSet<&str> = HashSet::new();
        let mut stack: Vec<(&str, String)> = roots_of
            .get(contract_id.as_str())
            .into_iter()
            .flatten()
            .map(|root| {
                (
                    *root,
                    name_of.get(root).copied().unwrap_or_default().to_string(),
                )
            })
            .collect();
        stack.sort_by(|a, b| b.1.cmp(&a.1).then(b.0.cmp(a.0)));
        while let Some((component, path)) = stack.pop() {
            if !seen.insert(component) {
                continue;
            }
            for link in links_of.get(component).into_iter().flatten() {
                let key = (
                    path.clone(),
                    link.tier,
                    link.name.clone(),
                    link.factory_id.clone(),
                    component.to_string(),
                );
                if rows.contains_key(&key) {
                    continue; // an earlier link of the same component, factory and tier
                }
                rows.insert(
                    key,
                    SupplyChainFactoryRow {
                        contract_id: ContractId::from_db(contract_id)?,
                        contract_reference: reference.clone(),
                        contract_title: title.clone(),
                        contractor_id: OrganizationId::from_db(contractor)?,
                        contractor_name: contractor_names
                            .get(contractor)
                            .cloned()
                            .unwrap_or_default(),
                        component_path: path.clone(),
                        component_id: ComponentId::from_db(component)?,
                        factory_id: FactoryId::from_db(&link.factory_id)?,
                        factory_name: link.name.clone(),
                        factory_address: link.address.clone(),
                        factory_country: link.country.clone(),
                        os_id: link.os_id.clone(),
                        tier: link.tier,
                        valid_from: link.valid_from,
                        valid_to: link.valid_to,
                    },
                );
            }
            for child in children.get(component).into_iter().flatten() {
                let name = name_of.get(child).copied().unwrap_or_default();
                stack.push((child, format!("{path}{PATH_SEPARATOR}{name}")));
            }
        }
        out.extend(rows.into_values());
    }
    Ok(out)
}

/// The rows as CSV under `COLUMNS`; every cell goes through `Sheet`.
pub fn csv(rows: &[SupplyChainFactoryRow]) -> Result<String, Error> {
    let mut sheet = Sheet::new();
    sheet.row(COLUMNS)?;
    let day = |d: Option<NaiveDate>| d.map(|d| d.to_string()).unwrap_or_default();
    for r in rows {
        sheet.row([
            r.contract_id.to_string(),
            r.contract_reference.clone(),
            r.contract_title.clone(),
            r.contractor_id.to_string(),
            r.contractor_name.clone(),
            r.component_path.clone(),
            r.component_id.to_string(),
            r.factory_id.to_string(),
            r.factory_name.clone(),
            r.factory_address.clone(),
            r.factory_country.clone(),
            r.os_id.clone().unwrap_or_default(),
            r.tier.to_string(),
            r.valid_from.to_string(),
            day(r.valid_to),
        ])?;
    }
    sheet.finish()
}

async fn load(
    state: &AppState,
    caller: Caller,
    q: &QueryParams,
) -> Result<(NaiveDate, Vec<SupplyChainFactoryRow>), Error> {
    let buyer = q.get::<OrganizationId>("buyer")?;
    let today = state.clock.now_naive().date();
    let rows = state
        .db
        .read(move |c| rows(c, &caller, buyer, today))
        .await?;
    Ok((today, rows))
}

#[utoipa::path(get, path = "/supply-chain/factories", tag = "due-diligence",
    params(
        ("buyer" = Option<OrganizationId>, Query, description = "Admins: only this buyer's contracts (404 if no buyer has this id). A contractor: only its contracts with this buyer. A buyer: only its own id (403 otherwise)"),
    ),
    responses(
        (status = 200, description = "The factories behind the caller's contracts: one row per contract, component, factory and tier of a sourcing link valid today. A buyer gets its own contracts, a contractor its own, admins all (or one buyer's)", body = SupplyChainFactories),
        (status = 403, description = "Monitors (who do not read contracts as such), or a buyer that named another buyer"),
        (status = 404, description = "`buyer` names no buyer"),
    ))]
pub async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    q: QueryParams,
) -> Result<HttpResponse, Error> {
    let (as_of, items) = load(&state, caller, &q).await?;
    Ok(HttpResponse::Ok().json(SupplyChainFactories { as_of, items }))
}

#[utoipa::path(get, path = "/supply-chain/factories.csv", tag = "due-diligence",
    params(
        ("buyer" = Option<OrganizationId>, Query, description = "As for `/supply-chain/factories`"),
    ),
    responses(
        (status = 200, description = "As `/supply-chain/factories`, as CSV with the header `contract_id,contract_reference,contract_title,contractor_id,contractor_name,component_path,component_id,factory_id,factory_name,factory_address,factory_country,os_id,tier,valid_from,valid_to` (formula cells neutralised)",
            content((String = "text/csv"))),
        (status = 403, description = "Monitors (who do not read contracts as such), or a buyer that named another buyer"),
        (status = 404, description = "`buyer` names no buyer"),
    ))]
pub async fn list_csv(
    state: web::Data<AppState>,
    caller: Caller,
    q: QueryParams,
) -> Result<HttpResponse, Error> {
    let (_, items) = load(&state, caller, &q).await?;
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            header::CONTENT_DISPOSITION,
            "attachment; filename=\"supply-chain-factories.csv\"",
        ))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(csv(&items)?))
}

/// Mounted under `/api/v1`; each route is documented by its handler's `#[utoipa::path]`.
pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(resource(list, __path_list));
    cfg.service(resource(list_csv, __path_list_csv));
}
