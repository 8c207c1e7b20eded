//! HTTP handlers for components and their sourcing links.

use actix_web::{web, HttpResponse};
use utoipa_actix_web::service_config::ServiceConfig;

use super::{service, Component, ComponentPatch, NewComponent, NewSourcingLink, SourcingLink};
use crate::auth::Caller;
use crate::error::Error;
use crate::http::extract::{JsonBody, QueryParams};
use crate::http::{created, resource, AppState};
use crate::pagination::Page;
use crate::values::ComponentId;

#[utoipa::path(post, path = "/components", tag = "components",
    request_body = NewComponent,
    responses(
        (status = 201, description = "Registered", body = Component),
        (status = 403, description = "Only contractors and admins register components"),
    ))]
pub async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    JsonBody(input): JsonBody<NewComponent>,
) -> Result<HttpResponse, Error> {
    let now = state.clock.now_naive();
    let component = state
        .db
        .write(move |c| service::create(c, &caller, input, now))
        .await?;
    Ok(created(
        format!("/api/v1/components/{}", component.id),
        &component,
    ))
}

#[utoipa::path(get, path = "/components", tag = "components",
    params(
        ("parent_id" = Option<ComponentId>, Query, description = "Only direct parts of this component"),
        ("limit" = Option<i64>, Query, minimum = 1, maximum = 500), ("cursor" = Option<crate::pagination::Cursor>, Query),
    ),
    responses((status = 200, description = "Components visible to the caller", body = Page<Component>)))]
pub async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    q: QueryParams,
) -> Result<HttpResponse, Error> {
    let page = q.page()?;
    let parent = q.get::<ComponentId>("parent_id")?;
    let result = state
        .db
        .read(move |c| service::list(c, &caller, parent, &page))
        .await?;
    Ok(HttpResponse::Ok().json(result))
}

#[utoipa::path(get, path = "/components/{id}", tag = "components",
    params(("id" = ComponentId, Path)),
    responses((status = 200, description = "The component", body = Component)))]
pub async fn get(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<ComponentId>,
) -> Result<HttpResponse, Error> {
    let id = id.into_inner();
    let component = state.db.read(move |c| service::get(c, &caller, id)).await?;
    Ok(HttpResponse::Ok().json(component))
}

#[utoipa::path(patch, path = "/components/{id}", tag = "components",
    params(("id" = ComponentId, Path)),
    request_body = ComponentPatch,
    responses(
        (status = 200, description = "The changed component. A new `parent_id` routes findings at the factories where the component or its parts are made again, as a new sourcing link does", body = Component),
        (status = 403, description = "Only contractors (their own components) and admins change components"),
    ))]
pub async fn update(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<ComponentId>,
    JsonBody(patch): JsonBody<ComponentPatch>,
) -> Result<HttpResponse, Error> {
    let id = id.into_inner();
    let now = state.clock.now_naive();
    let component = state
        .db
        .write({
            let policy = state.policy.clone();
            move |c| service::update(c, &caller, id, patch, now, &policy)
        })
        .await?;
    Ok(HttpResponse::Ok().json(component))
}

#[utoipa::path(post, path = "/components/{id}/sources", tag = "components",
    params(("id" = ComponentId, Path)),
    request_body = NewSourcingLink,
    responses(
        (status = 201, description = "Disclosed", body = SourcingLink),
        (status = 200, description = "The same disclosure already exists", body = SourcingLink),
        (status = 403, description = "Only contractors (their own components) and admins disclose where components are made"),
    ))]
pub async fn add_source(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<ComponentId>,
    JsonBody(input): JsonBody<NewSourcingLink>,
) -> Result<HttpResponse, Error> {
    let id = id.into_inner();
    let now = state.clock.now_naive();
    let (link, is_new) = state
        .db
        .write({
            let policy = state.policy.clone();
            move |c| service::add_source(c, &caller, id, input, now, &policy)
        })
        .await?;
    Ok(if is_new {
        created(format!("/api/v1/components/{id}/sources"), &link)
    } else {
        HttpResponse::Ok().json(link)
    })
}

#[utoipa::path(get, path = "/components/{id}/sources", tag = "components",
    params(("id" = ComponentId, Path), ("limit" = Option<i64>, Query, minimum = 1, maximum = 500), ("cursor" = Option<crate::pagination::Cursor>, Query)),
    responses((status = 200, description = "Where the component is made", body = Page<SourcingLink>)))]
pub async fn list_sources(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<ComponentId>,
    q: QueryParams,
) -> Result<HttpResponse, Error> {
    let id = id.into_inner();
    let page = q.page()?;
    let result = state
        .db
        .read(move |c| service::list_sources(c, &caller, id, &page))
        .await?;
    Ok(HttpResponse::Ok().json(result))
}

/// Mounted under `/api/v1`; each route is documented by its handler's `#[utoipa::path]`.
pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(resource(create, __path_create).and(list, __path_list));
    cfg.service(resource(get, __path_get).and(update, __path_update));
    cfg.service(resource(add_source, __path_add_source).and(list_sources, __path_list_sources));
}
