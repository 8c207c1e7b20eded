//! HTTP handlers for cases, their history, transitions, comments and extensions.

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use utoipa_actix_web::service_config::ServiceConfig;

use super::events::Event;
use super::query::{self, CaseFilter, CaseSort};
use super::service;
use super::{
    etag, Case, CaseState, CommentRequest, ExtensionRefusal, ExtensionRequest, TransitionRequest,
};
use crate::auth::Caller;
use crate::error::Error;
use crate::findings::{Category, Severity};
use crate::http::extract::{JsonBody, QueryParams};
use crate::http::{resource, AppState};
use crate::pagination::Page;
use crate::values::{text_enum, CaseId, ContractId, FactoryId, FindingId, OrganizationId};

fn with_etag(case: &Case) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::ETAG, etag(case.version)))
        .json(case)
}

/// `If-Match: "7"` (or `*`, or absent: no condition). A value that names no version can match
/// nothing.
fn if_match(req: &HttpRequest) -> Result<Option<i32>, Error> {
    let Some(value) = req.headers().get(header::IF_MATCH) else {
        return Ok(None);
    };
    let raw = value.to_str().unwrap_or("").trim();
    if raw == "*" {
        return Ok(None);
    }
    raw.trim_start_matches("W/")
        .trim_matches('"')
        .parse::<i32>()
        .map(Some)
        .map_err(|_| {
            Error::PreconditionFailed(format!(
                "If-Match {raw:?} names no version of this case; use the ETag of GET"
            ))
        })
}

text_enum!(
    /// The order of the case list: newest first (the default), or by the next deadline.
    CaseOrder { Newest => "newest", NextDeadline => "next_deadline" }
);

fn parse<T: std::str::FromStr<Err = String>>(
    q: &QueryParams,
    name: &str,
) -> Result<Option<T>, Error> {
    q.get::<T>(name)
}

#[utoipa::path(get, path = "/cases", tag = "cases",
    params(
        ("state" = Option<CaseState>, Query), ("severity" = Option<Severity>, Query),
        ("category" = Option<Category>, Query), ("contract_id" = Option<ContractId>, Query),
        ("contractor_id" = Option<OrganizationId>, Query), ("factory_id" = Option<FactoryId>, Query),
        ("finding_id" = Option<FindingId>, Query), ("overdue" = Option<bool>, Query),
        ("sort" = Option<CaseOrder>, Query, description = "`newest` (default) or `next_deadline`"),
        ("limit" = Option<i64>, Query, minimum = 1, maximum = 500), ("cursor" = Option<crate::pagination::Cursor>, Query),
    ),
    responses(
        (status = 200, description = "The cases you may see", body = Page<Case>),
        (status = 404, description = "`contract_id` names a contract outside your reach", body = crate::error::Problem, content_type = "application/problem+json"),
    ))]
pub async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    q: QueryParams,
) -> Result<HttpResponse, Error> {
    let page = q.page()?;
    let filter = CaseFilter {
        state: parse(&q, "state")?,
        severity: parse(&q, "severity")?,
        category: parse(&q, "category")?,
        contract_id: q.get("contract_id")?,
        contractor_id: q.get("contractor_id")?,
        factory_id: q.get("factory_id")?,
        finding_id: q.get("finding_id")?,
        overdue: q.get("overdue")?,
    };
    let sort = match parse(&q, "sort")? {
        None | Some(CaseOrder::Newest) => CaseSort::Newest,
        Some(CaseOrder::NextDeadline) => CaseSort::NextDeadline,
    };
    let result = state
        .db
        .read(move |c| query::list(c, &caller, filter, sort, &page))
        .await?;
    Ok(HttpResponse::Ok().json(result))
}

#[utoipa::path(get, path = "/cases/{id}", tag = "cases",
    params(("id" = CaseId, Path)),
    responses((status = 200, description = "The case; its ETag is its version", body = Case,
        headers(("ETag" = String, description = "Send back in If-Match to detect concurrent changes")))))]
#[tracing::instrument(level = "warn", skip_all, fields(case_id = %id))]
pub async fn get(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<CaseId>,
) -> Result<HttpResponse, Error> {
    let id = id.into_inner();
    let case = state.db.read(move |c| query::get(c, &caller, id)).await?;
    Ok(with_etag(&case))
}

#[utoipa::path(get, path = "/cases/{id}/events", tag = "cases",
    params(("id" = CaseId, Path), ("limit" = Option<i64>, Query, minimum = 1, maximum = 500), ("cursor" = Option<crate::pagination::Cursor>, Query)),
    responses((status = 200, description = "The case history, oldest first", body = Page<Event>)))]
#[tracing::instrument(level = "warn", skip_all, fields(case_id = %id))]
pub async fn events(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<CaseId>,
    q: QueryParams,
) -> Result<HttpResponse, Error> {
    let id = id.into_inner();
    let page = q.page()?;
    let result = state
        .db
        .read(move |c| query::events(c, &caller, id, &page))
        .await?;
    Ok(HttpResponse::Ok().json(result))
}

#[utoipa::path(post, path = "/cases/{id}/transitions", tag = "cases",
    params(("id" = CaseId, Path), ("If-Match" = Option<String>, Header, description = "The ETag you read")),
    request_body = TransitionRequest,
    responses(
        (status = 200, description = "The case after the transition", body = Case),
        (status = 409, description = "Not possible in the current state; lists the allowed actions", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 412, description = "The case changed since you read it; nothing was changed", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "The action is not the caller's to take (see the table of actions)"),
    ))]
#[tracing::instrument(level = "warn", skip_all, fields(case_id = %id))]
pub async fn transition(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<CaseId>,
    req: HttpRequest,
    JsonBody(body): JsonBody<TransitionRequest>,
) -> Result<HttpResponse, Error> {
    let id = id.into_inner();
    let expected = if_match(&req)?;
    let now = state.clock.now_naive();
    let case = state
        .db
        .write({
            let policy = state.policy.clone();
            move |c| service::transition(c, &caller, id, body, expected, now, &policy)
        })
        .await?;
    Ok(with_etag(&case))
}

#[utoipa::path(post, path = "/cases/{id}/comments", tag = "cases",
    params(("id" = CaseId, Path)),
    request_body = CommentRequest,
    responses(
        (status = 201, description = "The comment, as an event of the case", body = Event),
        (status = 403, description = "Admins are no party to a case and do not comment on it"),
    ))]
#[tracing::instrument(level = "warn", skip_all, fields(case_id = %id))]
pub async fn comment(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<CaseId>,
    JsonBody(body): JsonBody<CommentRequest>,
) -> Result<HttpResponse, Error> {
    let id = id.into_inner();
    let now = state.clock.now_naive();
    let event = state
        .db
        .write(move |c| service::comment(c, &caller, id, body, now))
        .await?;
    Ok(HttpResponse::Created().json(event))
}

#[utoipa::path(post, path = "/cases/{id}/extensions", tag = "cases",
    params(("id" = CaseId, Path), ("If-Match" = Option<String>, Header)),
    request_body = ExtensionRequest,
    responses(
        (status = 200, description = "The buyer or monitor granted it: the case with the moved deadline", body = Case),
        (status = 202, description = "The contractor asked for it: the case with its pending `extension_request`, for the buyer or monitor to grant or refuse", body = Case),
        (status = 409, description = "The case is closed, the deadline is met, or a request already waits", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 412, description = "The case changed since you read it", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Admins take no part in a case"),
    ))]
#[tracing::instrument(level = "warn", skip_all, fields(case_id = %id))]
pub async fn extend(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<CaseId>,
    req: HttpRequest,
    JsonBody(body): JsonBody<ExtensionRequest>,
) -> Result<HttpResponse, Error> {
    let id = id.into_inner();
    let expected = if_match(&req)?;
    let now = state.clock.now_naive();
    let (case, granted) = state
        .db
        .write({
            let policy = state.policy.clone();
            move |c| service::extend(c, &caller, id, body, expected, now, &policy)
        })
        .await?;
    if granted {
        Ok(with_etag(&case))
    } else {
        Ok(HttpResponse::Accepted()
            .insert_header((header::ETAG, etag(case.version)))
            .json(case))
    }
}

#[utoipa::path(post, path = "/cases/{id}/extensions/refusal", tag = "cases",
    params(("id" = CaseId, Path), ("If-Match" = Option<String>, Header)),
    request_body = ExtensionRefusal,
    responses(
        (status = 200, description = "The contractor's pending request is refused", body = Case),
        (status = 409, description = "No request waits for an answer", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 412, description = "The case changed since you read it", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Only the buyer or the monitor answers a request"),
    ))]
#[tracing::instrument(level = "warn", skip_all, fields(case_id = %id))]
pub async fn refuse_extension(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<CaseId>,
    req: HttpRequest,
    JsonBody(body): JsonBody<ExtensionRefusal>,
) -> Result<HttpResponse, Error> {
    let id = id.into_inner();
    let expected = if_match(&req)?;
    let now = state.clock.now_naive();
    let case = state
        .db
        .write(move |c| service::refuse_extension(c, &caller, id, body, expected, now))
        .await?;
    Ok(with_etag(&case))
}

#[utoipa::path(get, path = "/cases/{id}/comments", tag = "cases",
    params(("id" = CaseId, Path), ("limit" = Option<i64>, Query, minimum = 1, maximum = 500), ("cursor" = Option<crate::pagination::Cursor>, Query)),
    responses((status = 200, description = "The comments on the case you may read, oldest first (the `comment` events of its history)", body = Page<Event>)))]
#[tracing::instrument(level = "warn", skip_all, fields(case_id = %id))]
pub async fn comments(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<CaseId>,
    q: QueryParams,
) -> Result<HttpResponse, Error> {
    let id = id.into_inner();
    let page = q.page()?;
    let result = state
        .db
        .read(move |c| query::comments(c, &caller, id, &page))
        .await?;
    Ok(HttpResponse::Ok().json(result))
}

/// Mounted under `/api/v1`; each route is documented by its handler's `#[utoipa::path]`.
pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(resource(list, __path_list));
    cfg.service(resource(get, __path_get));
    cfg.service(resource(events, __path_events));
    cfg.service(resource(transition, __path_transition));
    cfg.service(resource(comments, __path_comments).and(comment, __path_comment));
    cfg.service(resource(extend, __path_extend));
    cfg.service(resource(refuse_extension, __path_refuse_extension));
}
