//! `GET /api/v1/reports/due-diligence`: the report as JSON, CSV (`Accept: text/csv`) or the
//! printable HTML page (`Accept: text/html`, in the buyer organization's language).

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use utoipa_actix_web::service_config::ServiceConfig;

use super::respond::{csv_response, printable, query};
use super::{service, Report};
use crate::auth::Caller;
use crate::error::Error;
use crate::http::extract::QueryParams;
use crate::http::{resource, AppState};
use crate::values::{ContractId, Language, OrganizationId};

/// What the `Accept` header asks for first among CSV and HTML (JSON otherwise).
fn wants(req: &HttpRequest) -> Option<&'static str> {
    let accept = req.headers().get(header::ACCEPT)?.to_str().ok()?;
    accept.split(',').find_map(|t| {
        let t = t.trim();
        if t.starts_with("text/csv") {
            Some("csv")
        } else if t.starts_with("text/html") {
            Some("html")
        } else {
            None
        }
    })
}

#[utoipa::path(get, path = "/reports/due-diligence", tag = "due-diligence",
    params(
        ("from" = chrono::NaiveDate, Query, description = "First day of the period (UTC, inclusive)"),
        ("to" = chrono::NaiveDate, Query, description = "Last day of the period (UTC, inclusive), today at the latest"),
        ("framework" = Option<ContractId>, Query, description = "A framework agreement of the buyer: the report covers it and its call-offs"),
        ("buyer" = Option<OrganizationId>, Query, description = "The buyer (the operator only; others report on their own organization)"),
    ),
    responses(
        (status = 200, description = "The due-diligence report of the buyer over the period",
            content((Report = "application/json"), (String = "text/csv"), (String = "text/html"))),
        (status = 403, description = "Reports are for buyers (their own) and admins (a named buyer)"),
        (status = 404, description = "No such buyer or framework agreement within the caller's reach"),
        (status = 422, description = "`from`, `to`, `framework` or `buyer` is missing, does not parse or does not fit the period's rules; `errors` names it"),
    ))]
pub async fn report(
    state: web::Data<AppState>,
    caller: Caller,
    q: QueryParams,
    req: HttpRequest,
) -> Result<HttpResponse, Error> {
    let rq = query(&q)?;
    let now = state.clock.now_naive();
    // Held until the answer is built (dropped after `r`).
    let _turn = state.db.large_read().await?;
    let r = state
        .db
        .read(move |c| service::due_diligence(c, &caller, &rq, now))
        .await?;
    match wants(&req) {
        Some("csv") => csv_response(&r),
        Some("html") => {
            let lang = r.buyer.language.parse().unwrap_or(Language::En);
            printable(&r, lang)
        }
        _ => Ok(HttpResponse::Ok().json(r)),
    }
}

/// Mounted under `/api/v1`.
pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(resource(report, __path_report));
}
