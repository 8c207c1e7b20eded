//! HTTP handlers for the outbox and the suppression list (admins).

use actix_web::{web, HttpResponse};
use utoipa_actix_web::service_config::ServiceConfig;

use super::service::{self, Notification, NotificationStatus, Suppression};
use crate::auth::Caller;
use crate::error::Error;
use crate::http::extract::QueryParams;
use crate::http::{resource, AppState};
use crate::pagination::Page;
use crate::values::{CaseId, Email, NotificationId};

#[utoipa::path(get, path = "/notifications", tag = "notifications",
    params(
        ("status" = Option<NotificationStatus>, Query), ("case_id" = Option<CaseId>, Query),
        ("limit" = Option<i64>, Query, minimum = 1, maximum = 500), ("cursor" = Option<crate::pagination::Cursor>, Query),
    ),
    responses(
        (status = 200, description = "The outbox", body = Page<Notification>),
        (status = 403, description = "Only admins read the outbox"),
    ))]
pub async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    q: QueryParams,
) -> Result<HttpResponse, Error> {
    let page = q.page()?;
    let status = q.get::<NotificationStatus>("status")?;
    let case = q.get::<CaseId>("case_id")?;
    let result = state
        .db
        .read(move |c| service::list(c, &caller, status, case, &page))
        .await?;
    Ok(HttpResponse::Ok().json(result))
}

#[utoipa::path(post, path = "/notifications/{id}/requeue", tag = "notifications",
    params(("id" = NotificationId, Path)),
    responses(
        (status = 200, description = "Back in the queue", body = Notification),
        (status = 409, description = "Pending or sent: nothing to re-queue", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Only admins re-queue notifications"),
    ))]
pub async fn requeue(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<NotificationId>,
) -> Result<HttpResponse, Error> {
    let id = id.into_inner();
    let now = state.clock.now_naive();
    let n = state
        .db
        .write(move |c| service::requeue(c, &caller, id, now))
        .await?;
    Ok(HttpResponse::Ok().json(n))
}

#[utoipa::path(get, path = "/suppressions", tag = "notifications",
    params(("limit" = Option<i64>, Query, minimum = 1, maximum = 500), ("after" = Option<Email>, Query, description = "Addresses after this one (the last of the previous page)")),
    responses(
        (status = 200, description = "Addresses no mail goes to", body = Page<Suppression>),
        (status = 403, description = "Only admins read the suppression list"),
    ))]
pub async fn suppressions(
    state: web::Data<AppState>,
    caller: Caller,
    q: QueryParams,
) -> Result<HttpResponse, Error> {
    let page = q.page()?;
    // Checked as an address, like the values it is compared with: free text would reach the
    // database as it came (PostgreSQL refuses a NUL byte in text with an error, a 500).
    let after = q
        .raw("after")
        .map(|raw| Email::try_from(raw.to_string()).map_err(|e| Error::bad_param("after", e)))
        .transpose()?
        .map(|e| e.as_str().to_string());
    let result = state
        .db
        .read(move |c| service::suppressions(c, &caller, &page, after))
        .await?;
    Ok(HttpResponse::Ok().json(result))
}

#[utoipa::path(delete, path = "/suppressions/{email}", tag = "notifications",
    params(("email" = Email, Path)),
    responses(
        (status = 204, description = "Cleared: mail goes to the address again"),
        (status = 403, description = "Only admins clear the suppression list"),
    ))]
pub async fn clear(
    state: web::Data<AppState>,
    caller: Caller,
    email: web::Path<String>,
) -> Result<HttpResponse, Error> {
    let email = Email::try_from(email.into_inner()).map_err(|e| Error::bad_param("email", e))?;
    state
        .db
        .write(move |c| service::clear_suppression(c, &caller, &email))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Mounted under `/api/v1`; each route is documented by its handler's `#[utoipa::path]`.
pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(resource(list, __path_list));
    cfg.service(resource(requeue, __path_requeue));
    cfg.service(resource(suppressions, __path_suppressions));
    cfg.service(resource(clear, __path_clear));
}
