//! `Caller` as an actix extractor: the bearer token of the request, authenticated against the
//! database, with failed attempts counted per address. The type and the token rules are
//! `crate::auth`'s; this is only how a request presents them.

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{web, FromRequest, HttpRequest};
use futures_util::future::LocalBoxFuture;

use super::AppState;
use crate::auth::{authenticate, Caller};
use crate::error::Error;

impl FromRequest for Caller {
    type Error = Error;
    type Future = LocalBoxFuture<'static, Result<Self, Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let token = bearer_token(req);
        let ip = req.peer_addr().map(|a| a.ip());
        Box::pin(async move {
            let state = state.ok_or_else(|| Error::internal("application state missing"))?;
            let result = match token {
                Ok(token) => state.db.read(move |conn| authenticate(conn, &token)).await,
                Err(e) => Err(e),
            };
            // Valid tokens always pass, so colleagues behind one address are never locked out;
            // past the allowance, failures answer 429 instead of 401.
            if let (Err(Error::Unauthorized(_)), Some(ip)) = (&result, ip) {
                if let Err(retry_after) = state.auth_limiter.check(ip) {
                    return Err(Error::TooManyRequests {
                        retry_after,
                        detail: "too many failed authentications from your address; wait before trying again".into(),
                    });
                }
                state.auth_limiter.failed(ip);
            }
            result
        })
    }
}

fn bearer_token(req: &HttpRequest) -> Result<String, Error> {
    let value = req.headers().get(header::AUTHORIZATION).ok_or_else(|| {
        Error::Unauthorized("send an API token as 'Authorization: Bearer <token>'".into())
    })?;
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
