//! HTTP handlers for users: parse, call the service, answer.

use actix_web::{web, HttpResponse};
use utoipa_actix_web::service_config::ServiceConfig;

use super::service::{self, Invitation};
use super::{NewUser, User, UserPatch};
use crate::auth::Caller;
use crate::error::Error;
use crate::http::extract::{JsonBody, QueryParams};
use crate::http::{created, resource, AppState};
use crate::pagination::Page;
use crate::values::{OrganizationId, UserId};

#[utoipa::path(post, path = "/users", tag = "users",
    request_body = NewUser,
    responses(
        (status = 201, description = "Invited: the user exists and a sign-in link is on its way", body = User),
        (status = 403, description = "Only a manager of the organization or the admin invites, and only the admin into another organization"),
        (status = 404, description = "The admin named an organization that does not exist"),
        (status = 409, description = "The address is already a user's"),
    ))]
pub async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    JsonBody(input): JsonBody<NewUser>,
) -> Result<HttpResponse, Error> {
    let now = state.clock.now_naive();
    let config = state.config.clone();
    let user = state
        .db
        .write(move |c| {
            let invitation = Invitation {
                public_url: &config.mail.public_url,
                now,
            };
            service::create(c, &caller, input, invitation)
        })
        .await?;
    Ok(created(format!("/api/v1/users/{}", user.id), &user))
}

#[utoipa::path(get, path = "/users", tag = "users",
    params(
        ("organization_id" = Option<OrganizationId>, Query, description = "Only this organization's users (the admin's filter; others see their own organization's)"),
        ("limit" = Option<i64>, Query, minimum = 1, maximum = 500, description = "Page size, 1-500 (default 50)"),
        ("cursor" = Option<crate::pagination::Cursor>, Query, description = "From `next_cursor` of the previous page"),
    ),
    responses((status = 200, description = "Users of the caller's organization (all, for the admin)", body = Page<User>)))]
pub async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    q: QueryParams,
) -> Result<HttpResponse, Error> {
    let page = q.page()?;
    let org = q.get::<OrganizationId>("organization_id")?;
    let result = state
        .db
        .read(move |c| service::list(c, &caller, org, &page))
        .await?;
    Ok(HttpResponse::Ok().json(result))
}

#[utoipa::path(get, path = "/users/{id}", tag = "users",
    params(("id" = UserId, Path)),
    responses(
        (status = 200, description = "The user", body = User),
        (status = 404, description = "No such user within your reach"),
    ))]
pub async fn get(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<UserId>,
) -> Result<HttpResponse, Error> {
    let id = id.into_inner();
    let user = state.db.read(move |c| service::get(c, &caller, id)).await?;
    Ok(HttpResponse::Ok().json(user))
}

#[utoipa::path(patch, path = "/users/{id}", tag = "users",
    params(("id" = UserId, Path)),
    request_body = UserPatch,
    responses(
        (status = 200, description = "The changed user", body = User),
        (status = 403, description = "Not yours to change"),
        (status = 404, description = "No such user within your reach"),
    ))]
pub async fn update(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<UserId>,
    JsonBody(patch): JsonBody<UserPatch>,
) -> Result<HttpResponse, Error> {
    let id = id.into_inner();
    let now = state.clock.now_naive();
    let user = state
        .db
        .write(move |c| service::update(c, &caller, id, patch, now))
        .await?;
    Ok(HttpResponse::Ok().json(user))
}

/// Mounted under `/api/v1`; each route is documented by its handler's `#[utoipa::path]`.
pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(resource(create, __path_create).and(list, __path_list));
    cfg.service(resource(get, __path_get).and(update, __path_update));
}
