//! HTTP handlers for contracts and their items.

use actix_web::{web, HttpRequest, HttpResponse};
use utoipa_actix_web::service_config::ServiceConfig;

use super::service::{self, ContractFilter};
use super::{Contract, ContractItem, NewContract, NewContractItem};
use crate::auth::Caller;
use crate::error::Error;
use crate::http::extract::{declared_length, media_type, read_limited, JsonBody, QueryParams};
use crate::http::{created, resource, AppState};
use crate::ocds::{self, ImportReport};
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
        ("framework" = Option<ContractId>, Query, description = "Only the call-offs of this framework agreement"),
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
    let framework: Option<ContractId> = q.get("framework")?;
    let result = state
        .db
        .read(move |c| service::list_call_offs(c, &caller, filter, framework, &page))
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

/// The largest OCDS package an import takes, larger than other bodies: a buyer's contracts of
/// several years fit in it.
pub const MAX_IMPORT_BYTES: usize = 8 * 1024 * 1024;

#[utoipa::path(post, path = "/contracts/import", tag = "contracts",
    params(("dry_run" = Option<bool>, Query,
        description = "true (the default): answer the report and change nothing; false: import, all or nothing")),
    request_body(content = ocds::OcdsPackage, content_type = "application/json",
        description = "An OCDS 1.1 release package or record package (at most 8 MiB); see docs/imports.md"),
    responses(
        (status = 200, description = "What the import did (or, in a dry run, would do) with each party and contract, and why", body = ImportReport),
        (status = 403, description = "Only buyers (their own contracts) and admins import"),
        (status = 422, description = "Not an OCDS package, a field that cannot be read (`errors` names it), or a commit whose report has errors (nothing was written)"),
    ))]
pub async fn import(
    state: web::Data<AppState>,
    caller: Caller,
    q: QueryParams,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, Error> {
    // Refused before the body is read: a contractor learns nothing from a package's errors.
    ocds::service::may_import(&caller)?;
    let dry_run = q.get::<bool>("dry_run")?.unwrap_or(true);
    let body = json_bytes(&req, payload, MAX_IMPORT_BYTES).await?;
    let package = ocds::parse::package(&body)?;
    drop(body);
    let now = state.clock.now_naive();
    let policy = state.policy.clone();
    let report = state
        .db
        .write(move |c| ocds::service::import(c, &caller, &package, !dry_run, now, &policy))
        .await?;
    Ok(HttpResponse::Ok().json(report))
}

/// A JSON body of at most `limit` bytes, as bytes: the OCDS parser names its own fields.
async fn json_bytes(
    req: &HttpRequest,
    payload: web::Payload,
    limit: usize,
) -> Result<Vec<u8>, Error> {
    let content_type = media_type(req);
    if content_type.as_deref() != Some("application/json") {
        return Err(Error::UnsupportedMediaType(format!(
            "send the OCDS package as application/json (got {})",
            content_type.as_deref().unwrap_or("no Content-Type")
        )));
    }
    let body = read_limited(payload.into_inner(), declared_length(req), limit).await?;
    Ok(body.to_vec())
}

/// Mounted under `/api/v1`; each route is documented by its handler's `#[utoipa::path]`.
pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(resource(create, __path_create).and(list, __path_list));
    // Before `/contracts/{id}`, which would otherwise take the path and answer 405.
    cfg.service(resource(import, __path_import));
    cfg.service(resource(get, __path_get));
    cfg.service(resource(add_item, __path_add_item));
}
