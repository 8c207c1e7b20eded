//! HTTP handlers for findings.

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use utoipa_actix_web::service_config::ServiceConfig;

use super::service::{self, Filed};
use super::{Finding, NewFinding};
use crate::auth::Caller;
use crate::error::Error;
use crate::http::extract::{JsonBody, QueryParams};
use crate::http::{resource, AppState};
use crate::idempotency::IdempotencyKey;
use crate::pagination::Page;
use crate::values::FindingId;

#[utoipa::path(post, path = "/findings", tag = "findings",
    request_body = NewFinding,
    params(("Idempotency-Key" = Option<String>, Header, pattern = "^[!-~]{1,255}$",
        description = "1 to 255 visible ASCII characters. Retrying with the same key and body returns the first answer and files nothing twice")),
    responses(
        (status = 201, description = "Filed and routed; `cases` lists the cases opened", body = Finding),
        (status = 403, description = "Only monitors file findings"),
    ))]
#[tracing::instrument(level = "warn", skip_all, fields(finding_id = tracing::field::Empty))]
pub async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    JsonBody(body): JsonBody<serde_json::Value>,
) -> Result<HttpResponse, Error> {
    // The canonical value identifies the request for Idempotency-Key; the typed parse (inside
    // the loop, as it is moved into the transaction) checks it.
    let key = match req.headers().get(IdempotencyKey::HEADER) {
        None => None,
        Some(v) => Some(IdempotencyKey::parse(
            v.to_str()
                .map_err(|_| Error::bad_param(IdempotencyKey::HEADER, "not readable text"))?,
            &body,
        )?),
    };
    let now = state.clock.now_naive();
    // A concurrent request with the same key makes this one fail with `Retry`; the next
    // attempt finds the stored answer.
    for attempt in 0..3 {
        let input: NewFinding = crate::http::extract::parse_json(body.to_string().as_bytes())?;
        let key = key.clone();
        let policy = state.policy.clone();
        let result = state
            .db
            .write(move |c| service::file(c, &caller, input, key.as_ref(), now, &policy))
            .await;
        match result {
            Ok(Filed::Created(finding)) => {
                tracing::Span::current().record("finding_id", tracing::field::display(finding.id));
                return Ok(HttpResponse::Created()
                    .insert_header((header::LOCATION, format!("/api/v1/findings/{}", finding.id)))
                    .json(finding));
            }
            Ok(Filed::Replayed(replay)) => {
                return Ok(HttpResponse::build(
                    actix_web::http::StatusCode::from_u16(replay.status)
                        .unwrap_or(actix_web::http::StatusCode::OK),
                )
                .insert_header(("Idempotent-Replayed", "true"))
                .content_type("application/json")
                .body(replay.body))
            }
            Err(Error::Retry) if attempt < 2 => continue,
            Err(e) => return Err(e),
        }
    }
    Err(Error::Retry)
}

#[utoipa::path(get, path = "/findings", tag = "findings",
    params(
        ("routed" = Option<bool>, Query, description = "false: the unrouted findings (reaching no contractor yet)"),
        ("limit" = Option<i64>, Query, minimum = 1, maximum = 500), ("cursor" = Option<crate::pagination::Cursor>, Query),
    ),
    responses(
        (status = 200, description = "Your findings", body = Page<Finding>),
        (status = 403, description = "Only monitors and admins list findings"),
    ))]
pub async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    q: QueryParams,
) -> Result<HttpResponse, Error> {
    let page = q.page()?;
    let routed = q.get::<bool>("routed")?;
    let result = state
        .db
        .read(move |c| service::list(c, &caller, routed, &page))
        .await?;
    Ok(HttpResponse::Ok().json(result))
}

#[utoipa::path(get, path = "/findings/{id}", tag = "findings",
    params(("id" = FindingId, Path)),
    responses((status = 200, description = "The finding and its cases", body = Finding)))]
#[tracing::instrument(level = "warn", skip_all, fields(finding_id = %id))]
pub async fn get(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<FindingId>,
) -> Result<HttpResponse, Error> {
    let id = id.into_inner();
    let finding = state.db.read(move |c| service::get(c, &caller, id)).await?;
    Ok(HttpResponse::Ok().json(finding))
}

/// Mounted under `/api/v1`; each route is documented by its handler's `#[utoipa::path]`.
pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(resource(create, __path_create).and(list, __path_list));
    cfg.service(resource(get, __path_get));
}
