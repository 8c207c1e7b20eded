//! HTTP handlers for organizations: parse, call the service, answer.

use actix_web::{web, HttpResponse};
use utoipa_actix_web::service_config::ServiceConfig;

use super::{service, NewOrganization, Organization, OrganizationPatch};
use crate::auth::Caller;
use crate::error::Error;
use crate::http::extract::{JsonBody, QueryParams};
use crate::http::{created, resource, AppState};
use crate::pagination::Page;
use crate::values::{OrgKind, OrganizationId};

#[utoipa::path(post, path = "/organizations", tag = "organizations",
    request_body = NewOrganization,
    responses(
        (status = 201, description = "Created", body = Organization),
        (status = 403, description = "Only admins create organizations"),
    ))]
pub async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    JsonBody(input): JsonBody<NewOrganization>,
) -> Result<HttpResponse, Error> {
    let now = state.clock.now_naive();
    let org = state
        .db
        .write(move |c| service::create(c, &caller, input, now))
        .await?;
    Ok(created(format!("/api/v1/organizations/{}", org.id), &org))
}

#[utoipa::path(get, path = "/organizations", tag = "organizations",
    params(
        ("kind" = Option<OrgKind>, Query, description = "Only organizations of this kind"),
        ("limit" = Option<i64>, Query, minimum = 1, maximum = 500, description = "Page size, 1-500 (default 50)"),
        ("cursor" = Option<crate::pagination::Cursor>, Query, description = "From `next_cursor` of the previous page"),
    ),
    responses((status = 200, description = "Organizations visible to the caller", body = Page<Organization>)))]
pub async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    q: QueryParams,
) -> Result<HttpResponse, Error> {
    let page = q.page()?;
    let kind = q.get::<OrgKind>("kind")?;
    let result = state
        .db
        .read(move |c| service::list(c, &caller, kind, &page))
        .await?;
    Ok(HttpResponse::Ok().json(result))
}

#[utoipa::path(get, path = "/organizations/{id}", tag = "organizations",
    params(("id" = OrganizationId, Path)),
    responses((status = 200, description = "The organization", body = Organization)))]
pub async fn get(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<OrganizationId>,
) -> Result<HttpResponse, Error> {
    let id = id.into_inner();
    let org = state.db.read(move |c| service::get(c, &caller, id)).await?;
    Ok(HttpResponse::Ok().json(org))
}

#[utoipa::path(patch, path = "/organizations/{id}", tag = "organizations",
    params(("id" = OrganizationId, Path)),
    request_body = OrganizationPatch,
    responses(
        (status = 200, description = "The changed organization", body = Organization),
        (status = 403, description = "Only admins and the organization itself change it"),
    ))]
pub async fn update(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<OrganizationId>,
    JsonBody(patch): JsonBody<OrganizationPatch>,
) -> Result<HttpResponse, Error> {
    let id = id.into_inner();
    let now = state.clock.now_naive();
    let org = state
        .db
        .write(move |c| service::update(c, &caller, id, patch, now))
        .await?;
    Ok(HttpResponse::Ok().json(org))
}

/// Mounted under `/api/v1`; each route is documented by its handler's `#[utoipa::path]`.
pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(resource(create, __path_create).and(list, __path_list));
    cfg.service(resource(get, __path_get).and(update, __path_update));
}
