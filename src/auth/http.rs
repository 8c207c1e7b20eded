//! HTTP handlers for tokens and `me`.

use actix_web::{web, HttpMessage, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;

use super::passwords;
use super::tokens::{self, IssuedToken, NewToken, TokenInfo};
use super::Caller;
use crate::error::Error;
use crate::http::caller::SessionOf;
use crate::http::extract::{JsonBody, QueryParams};
use crate::http::{created, resource, AppState};
use crate::organizations::{service as organizations, Organization};
use crate::pagination::Page;
use crate::users::{service as users, User};
use crate::values::{OrganizationId, SessionId, TokenId, UserId};

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

/// A new password for the signed-in person.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPassword {
    /// 12 to 200 characters.
    #[schema(format = Password, min_length = 12, max_length = 200)]
    pub password: String,
    /// Needed when a password is set already.
    #[schema(format = Password, max_length = 200)]
    pub current_password: Option<String>,
}

/// The person a session stands for, or 403 for an API token (which has no password).
fn person(req: &HttpRequest, caller: &Caller) -> Result<(UserId, SessionId), Error> {
    let session = req.extensions().get::<SessionOf>().map(|s| s.0.session_id);
    match (caller.user, session) {
        (Some(user), Some(session)) => Ok((user.id, session)),
        _ => Err(Error::Forbidden(
            "a password belongs to a signed-in person; this request came with an API token".into(),
        )),
    }
}

#[utoipa::path(put, path = "/me/password", tag = "tokens",
    request_body = NewPassword,
    responses(
        (status = 204, description = "Set; every other session of the person has ended"),
        (status = 403, description = "Called with an API token"),
        (status = 409, description = "The password changed meanwhile"),
    ))]
pub async fn set_password(
    state: web::Data<AppState>,
    req: HttpRequest,
    caller: Caller,
    JsonBody(input): JsonBody<NewPassword>,
) -> Result<HttpResponse, Error> {
    let (user, session) = person(&req, &caller)?;
    passwords::check_length(&input.password)?;
    let stored = state.db.read(move |c| passwords::stored(c, user)).await?;
    let for_hash = stored.clone();
    // The hash is slow on purpose: computed on the blocking pool, outside any transaction.
    let new_hash = web::block(move || {
        passwords::prepare(
            &input.password,
            input.current_password.as_deref(),
            for_hash.as_deref(),
        )
    })
    .await
    .map_err(|e| Error::internal(format!("hashing a password: {e}")))??;
    let now = state.clock.now_naive();
    state
        .db
        .write(move |c| passwords::replace(c, user, session, stored.as_deref(), &new_hash, now))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

#[utoipa::path(delete, path = "/me/password", tag = "tokens",
    responses(
        (status = 204, description = "Removed (also when there was none): sign-in by link only"),
        (status = 403, description = "Called with an API token"),
    ))]
pub async fn remove_password(
    state: web::Data<AppState>,
    req: HttpRequest,
    caller: Caller,
) -> Result<HttpResponse, Error> {
    let (user, _) = person(&req, &caller)?;
    let now = state.clock.now_naive();
    state
        .db
        .write(move |c| passwords::remove(c, user, now))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Mounted under `/api/v1`; each route is documented by its handler's `#[utoipa::path]`.
pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(resource(create, __path_create).and(list, __path_list));
    cfg.service(resource(revoke, __path_revoke));
    cfg.service(resource(me, __path_me));
    cfg.service(
        resource(set_password, __path_set_password).and(remove_password, __path_remove_password),
    );
}
