//! `Caller` as an actix extractor, two ways in: an organization's bearer token, or a signed-in
//! person's session cookie. A cookie request that changes something must also carry the
//! session's CSRF token in `X-CSRF-Token` (a bearer token is never sent by a browser on its
//! own, so it needs none). Failed attempts are counted per client address. The type and the
//! rules are `crate::auth`'s; this is only how a request presents them.

use actix_web::dev::Payload;
use actix_web::http::{header, Method};
use actix_web::{web, FromRequest, HttpMessage, HttpRequest};
use futures_util::future::LocalBoxFuture;

use super::AppState;
use crate::auth::sessions::{self, Current};
use crate::auth::{authenticate, Caller};
use crate::error::Error;

/// How the request presents itself.
enum Credential {
    Bearer(String),
    Session {
        token: String,
        csrf: Option<String>,
        changes: bool,
    },
}

/// The session behind a request made with a cookie, for handlers that need more than the
/// caller (`me` shows its CSRF token; sign-out ends it).
#[derive(Debug, Clone)]
pub struct SessionOf(pub Current);

impl FromRequest for Caller {
    type Error = Error;
    type Future = LocalBoxFuture<'static, Result<Self, Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let credential = credential(req);
        let ip = req.peer_addr().map(|a| a.ip());
        let req = req.clone();
        Box::pin(async move {
            let state = state.ok_or_else(|| Error::internal("application state missing"))?;
            let result = match credential {
                Ok(Credential::Bearer(token)) => {
                    state.db.read(move |conn| authenticate(conn, &token)).await
                }
                Ok(Credential::Session {
                    token,
                    csrf,
                    changes,
                }) => {
                    match session(&state, token).await {
                        Ok(current) => {
                            if changes && !sessions::csrf_matches(&current, csrf.as_deref()) {
                                return Err(Error::Forbidden(format!(
                                    "a request made with a session cookie that changes something must send the session's CSRF token in the {} header (GET /api/v1/me shows it)",
                                    sessions::CSRF_HEADER
                                )));
                            }
                            let caller = current.caller;
                            req.extensions_mut().insert(SessionOf(current));
                            Ok(caller)
                        }
                        Err(e) => Err(e),
                    }
                }
                Err(e) => Err(e),
            };
            // Valid credentials always pass, so colleagues behind one address are never locked
            // out; past the allowance, failures answer 429 instead of 401.
            if let (Err(Error::Unauthorized(_)), Some(ip)) = (&result, ip) {
                if let Err(retry_after) = state.auth_limiter.check(&ip) {
                    return Err(Error::TooManyRequests {
                        retry_after,
                        detail: "too many failed authentications from your address; wait before trying again".into(),
                    });
                }
                state.auth_limiter.count(ip);
            }
            result
        })
    }
}

/// The session a cookie's token stands for, marked as seen when it has not been for a while
/// (the web interface's `Viewer` authenticates the same way).
pub async fn session(state: &AppState, token: String) -> Result<Current, Error> {
    let now = state.clock.now_naive();
    let config = state.config.session;
    let current = state
        .db
        .read(move |conn| sessions::authenticate(conn, &token, now, &config))
        .await?;
    if current.stale {
        let id = current.session_id;
        // Only keeps the session from idling out; a failure here must not fail the request.
        if let Err(e) = state
            .db
            .write(move |conn| sessions::touch(conn, id, now))
            .await
        {
            tracing::warn!(error = %e, "could not mark the session as seen");
        }
    }
    Ok(current)
}

/// The bearer token when there is an `Authorization` header, else the session cookie.
fn credential(req: &HttpRequest) -> Result<Credential, Error> {
    if let Some(value) = req.headers().get(header::AUTHORIZATION) {
        return bearer_token(value).map(Credential::Bearer);
    }
    if let Some(cookie) = req.cookie(sessions::COOKIE) {
        let changes = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
        let csrf = req
            .headers()
            .get(sessions::CSRF_HEADER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        return Ok(Credential::Session {
            token: cookie.value().to_string(),
            csrf,
            changes,
        });
    }
    Err(Error::Unauthorized(
        "send an API token as 'Authorization: Bearer <token>', or sign in (POST /auth/sign-in)"
            .into(),
    ))
}

fn bearer_token(value: &header::HeaderValue) -> Result<String, Error> {
    let value = value
        .to_str()
        .map_err(|_| Error::Unauthorized("the Authorization header is not readable text".into()))?;
    match value.split_once(' ') {
        Some((scheme, token))
            if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() =>
        {
            Ok(token.trim().to_string())
        }
        _ => Err(Error::Unauthorized(
            "the Authorization header must be 'Bearer <token>'".into(),
        )),
    }
}
