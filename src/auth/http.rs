//! HTTP handlers for tokens and `me`.

use actix_web::{web, HttpMessage, HttpRequest, HttpResponse};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;

use super::tokens::{self, IssuedToken, NewToken, TokenInfo};
use super::Caller;
use crate::error::Error;
use crate::http::caller::SessionOf;
use crate::http::extract::{JsonBody, QueryParams};
use crate::http::{created, resource, AppState};
use crate::organizations::{service as organizations, Organization};
use crate::pagination::Page;
use crate::users::{service as users, User};
use crate::values::{OrganizationId, TokenId};

#[utoipa::path(post, path = "/tokens", tag = "tokens",
    request_body = NewToken,
    responses(
        (status = 201, description = "The token, shown this once", body = IssuedToken),
        (status = 403, description = "Only admins issue tokens"),
    ))]
pub async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    JsonBody(input): JsonBody<NewToken>,
) -> Result<HttpResponse, Error> {
    let now = state.clock.now_naive();
    let issued = state
        .db
        .write(move |c| tokens::issue(c, &caller, input, now))
        .await?;
    Ok(created(format!("/api/v1/tokens/{}", issued.id), &issued))
}

#[utoipa::path(get, path = "/tokens", tag = "tokens",
    params(
        ("organization_id" = Option<OrganizationId>, Query, description = "Only this organization's tokens"),
        ("limit" = Option<i64>, Query, minimum = 1, maximum = 500), ("cursor" = Option<crate::pagination::Cursor>, Query),
    ),
    responses(
        (status = 200, description = "Tokens (never their secrets)", body = Page<TokenInfo>),
        (status = 403, description = "Only admins list tokens"),
    ))]
pub async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    q: QueryParams,
) -> Result<HttpResponse, Error> {
    let page = q.page()?;
    let org = q.get::<OrganizationId>("organization_id")?;
    let result = state
        .db
        .read(move |c| tokens::list(c, &caller, org, &page))
        .await?;
    Ok(HttpResponse::Ok().json(result))
}

#[utoipa::path(delete, path = "/tokens/{id}", tag = "tokens",
    params(("id" = TokenId, Path)),
    responses(
        (status = 204, description = "Revoked (also when it already was)"),
        (status = 403, description = "Only admins revoke tokens"),
    ))]
pub async fn revoke(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<TokenId>,
) -> Result<HttpResponse, Error> {
    let id = id.into_inner();
    let now = state.clock.now_naive();
    state
        .db
        .write(move |c| tokens::revoke(c, &caller, id, now))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Who the caller is: an organization through one of its API tokens, or a signed-in person.
#[derive(Debug, Serialize, ToSchema)]
pub struct Me {
    pub organization: Organization,
    /// The API token used; null for a session.
    pub token_id: Option<TokenId>,
    /// The signed-in person; null for an API token.
    pub user: Option<User>,
    /// With a session: send it as `X-CSRF-Token` with every request that changes something.
    pub csrf_token: Option<String>,
}

#[utoipa::path(get, path = "/me", tag = "tokens",
    responses((status = 200, description = "The caller's organization, and its token or its person", body = Me)))]
pub async fn me(
    state: web::Data<AppState>,
    req: HttpRequest,
    caller: Caller,
) -> Result<HttpResponse, Error> {
    let (organization, user) = state
        .db
        .read(move |c| {
            let organization = organizations::get(c, &caller, caller.organization_id)?;
            let user = caller
                .user
                .map(|u| users::get(c, &caller, u.id))
                .transpose()?;
            Ok((organization, user))
        })
        .await?;
    let csrf_token = req
        .extensions()
        .get::<SessionOf>()
        .map(|s| s.0.csrf_token.clone());
    Ok(HttpResponse::Ok().json(Me {
        organization,
        token_id: caller.token_id,
        user,
        csrf_token,
    }))
}

/// Mounted under `/api/v1`; each route is documented by its handler's `#[utoipa::path]`.
pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(resource(create, __path_create).and(list, __path_list));
    cfg.service(resource(revoke, __path_revoke));
    cfg.service(resource(me, __path_me));
}
