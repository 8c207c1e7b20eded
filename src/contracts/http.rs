//! HTTP handlers for contracts and their items.

use actix_web::{web, HttpResponse};
use utoipa_actix_web::service_config::ServiceConfig;

use super::service::{self, ContractFilter};
use super::{Contract, ContractItem, NewContract, NewContractItem};
use crate::auth::Caller;
use crate::error::Error;
use crate::http::extract::{JsonBody, QueryParams};
use crate::http::{created, resource, AppState};
use crate::pagination::Page;
use crate::values::{ContractId, OrganizationId};

#[utoipa::path(post, path = "/contracts", tag = "contracts",
    request_body = NewContract,
    responses(
        (status = 201, description = "Registered", body = Contract),
        (status = 409, description = "The buyer already has a contract with this reference", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Only buyers and admins register contracts"),
    ))]
pub async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    JsonBody(input): JsonBody<NewContract>,
) -> Result<HttpResponse, Error> {
    let now = state.clock.now_naive();
    let contract = state
        .db
        .write(move |c| service::create(c, &caller, input, now))
        .await?;
    Ok(created(
        format!("/api/v1/contracts/{}", contract.id),
        &contract,
    ))
}

#[utoipa::path(get, path = "/contracts", tag = "contracts",
    params(
        ("buyer_id" = Option<OrganizationId>, Query),
        ("contractor_id" = Option<OrganizationId>, Query),
        ("limit" = Option<i64>, Query, minimum = 1, maximum = 500), ("cursor" = Option<crate::pagination::Cursor>, Query),
    ),
    responses(
        (status = 200, description = "The caller's contracts", body = Page<Contract>),
        (status = 403, description = "Monitors have no contracts to list"),
    ))]
pub async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    q: QueryParams,
) -> Result<HttpResponse, Error> {
    let page = q.page()?;
    let filter = ContractFilter {
        buyer_id: q.get("buyer_id")?,
        contractor_id: q.get("contractor_id")?,
    };
    let result = state
        .db
        .read(move |c| service::list(c, &caller, filter, &page))
        .await?;
    Ok(HttpResponse::Ok().json(result))
}

#[utoipa::path(get, path = "/contracts/{id}", tag = "contracts",
    params(("id" = ContractId, Path)),
    responses((status = 200, description = "The contract with its items", body = Contract)))]
pub async fn get(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<ContractId>,
) -> Result<HttpResponse, Error> {
    let id = id.into_inner();
    let contract = state.db.read(move |c| service::get(c, &caller, id)).await?;
    Ok(HttpResponse::Ok().json(contract))
}

#[utoipa::path(post, path = "/contracts/{id}/items", tag = "contracts",
    params(("id" = ContractId, Path)),
    request_body = NewContractItem,
    responses(
        (status = 201, description = "Added", body = ContractItem),
        (status = 200, description = "Already an item of this contract", body = ContractItem),
    ))]
pub async fn add_item(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<ContractId>,
    JsonBody(input): JsonBody<NewContractItem>,
) -> Result<HttpResponse, Error> {
    let id = id.into_inner();
    let now = state.clock.now_naive();
    let policy = state.policy.clone();
    let (item, is_new) = state
        .db
        .write(move |c| service::add_item(c, &caller, id, input, now, &policy))
        .await?;
    Ok(if is_new {
        created(format!("/api/v1/contracts/{id}"), &item)
    } else {
        HttpResponse::Ok().json(item)
    })
}

/// Mounted under `/api/v1`; each route is documented by its handler's `#[utoipa::path]`.
pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(resource(create, __path_create).and(list, __path_list));
    cfg.service(resource(get, __path_get));
    cfg.service(resource(add_item, __path_add_item));
}
