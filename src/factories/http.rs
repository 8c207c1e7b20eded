//! HTTP handlers for factories.

use actix_web::{web, HttpResponse};

use super::{service, Factory, FactoryPatch, NewFactory};
use crate::auth::Caller;
use crate::error::Error;
use crate::http::extract::{JsonBody, QueryParams};
use crate::http::{created, AppState};
use crate::pagination::Page;
use crate::values::{CountryCode, FactoryId};

#[utoipa::path(post, path = "/api/v1/factories", tag = "factories",
    request_body = NewFactory,
    responses(
        (status = 201, description = "Registered", body = Factory),
        (status = 200, description = "Already registered (same OS ID, or same name, address and country): the existing factory", body = Factory),
        (status = 403, description = "Only contractors and admins register factories"),
    ))]
pub async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    JsonBody(input): JsonBody<NewFactory>,
) -> Result<HttpResponse, Error> {
    let now = state.clock.now_naive();
    let (factory, is_new) = state
        .db
        .write(move |c| service::create(c, &caller, input, now))
        .await?;
    Ok(if is_new {
        created(format!("/api/v1/factories/{}", factory.id), &factory)
    } else {
        HttpResponse::Ok().json(factory)
    })
}

#[utoipa::path(get, path = "/api/v1/factories", tag = "factories",
    params(
        ("country" = Option<CountryCode>, Query, description = "Only factories in this country"),
        ("limit" = Option<i64>, Query, minimum = 1, maximum = 500), ("cursor" = Option<crate::pagination::Cursor>, Query),
    ),
    responses((status = 200, description = "Factories visible to the caller", body = Page<Factory>)))]
pub async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    q: QueryParams,
) -> Result<HttpResponse, Error> {
    let page = q.page()?;
    let country = match q.raw("country") {
        None => None,
        Some(raw) => Some(
            CountryCode::try_from(raw.to_string()).map_err(|e| Error::bad_param("country", e))?,
        ),
    };
    let result = state
        .db
        .read(move |c| service::list(c, &caller, country, &page))
        .await?;
    Ok(HttpResponse::Ok().json(result))
}

#[utoipa::path(get, path = "/api/v1/factories/{id}", tag = "factories",
    params(("id" = FactoryId, Path)),
    responses((status = 200, description = "The factory", body = Factory)))]
pub async fn get(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<FactoryId>,
) -> Result<HttpResponse, Error> {
    let id = id.into_inner();
    let factory = state.db.read(move |c| service::get(c, &caller, id)).await?;
    Ok(HttpResponse::Ok().json(factory))
}

#[utoipa::path(patch, path = "/api/v1/factories/{id}", tag = "factories",
    params(("id" = FactoryId, Path)),
    request_body = FactoryPatch,
    responses(
        (status = 200, description = "The changed factory", body = Factory),
        (status = 409, description = "Another factory has this identity", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Only the contractor that registered the factory, and admins, change it"),
    ))]
pub async fn update(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<FactoryId>,
    JsonBody(patch): JsonBody<FactoryPatch>,
) -> Result<HttpResponse, Error> {
    let id = id.into_inner();
    let now = state.clock.now_naive();
    let factory = state
        .db
        .write(move |c| service::update(c, &caller, id, patch, now))
        .await?;
    Ok(HttpResponse::Ok().json(factory))
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(crate::http::resource("/factories").post(create).get(list))
        .service(
            crate::http::resource("/factories/{id}")
                .get(get)
                .patch(update),
        );
}
