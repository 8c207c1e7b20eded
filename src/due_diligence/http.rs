//! HTTP handlers for the due-diligence status: JSON, or CSV with `Accept: text/csv`.

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use utoipa_actix_web::service_config::ServiceConfig;

use super::service::{self, PortfolioSort};
use super::{DueDiligence, PortfolioEntry, Status};
use crate::auth::Caller;
use crate::error::Error;
use crate::http::extract::QueryParams;
use crate::http::{resource, AppState};
use crate::pagination::Page;
use crate::values::{text_enum, ContractId};

text_enum!(
    /// The order of the portfolio: `status` (red first, the default), `reference`, most open
    /// cases first, most overdue cases first.
    PortfolioOrder {
        Status => "status",
        Reference => "reference",
        OpenCases => "open_cases",
        OverdueCases => "overdue_cases",
    }
);

/// Whether the client asked for CSV (`Accept: text/csv`); also the scorecards'.
pub(crate) fn wants_csv(req: &HttpRequest) -> bool {
    req.headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim().starts_with("text/csv")))
}

/// A CSV answer, as an attachment named `name`.csv; also the scorecards'.
pub(crate) fn csv(body: String, name: &str) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{name}.csv\""),
        ))
        .body(body)
}

#[utoipa::path(get, path = "/contracts/{id}/due-diligence", tag = "due-diligence",
    params(
        ("id" = ContractId, Path),
        ("at" = Option<chrono::NaiveDate>, Query, description = "A past date (YYYY-MM-DD): the status as of the end of that day, from the event history"),
    ),
    responses((status = 200, description = "The contract's due-diligence status",
        content((DueDiligence = "application/json"), (String = "text/csv")))))]
pub async fn contract(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<ContractId>,
    q: QueryParams,
    req: HttpRequest,
) -> Result<HttpResponse, Error> {
    let id = id.into_inner();
    let at = match q.raw("at") {
        None => None,
        Some(raw) => {
            Some(crate::values::dates::parse_date(raw).map_err(|e| Error::bad_param("at", e))?)
        }
    };
    let now = state.clock.now_naive();
    let dd = state
        .db
        .read(move |c| service::contract(c, &caller, id, at, now))
        .await?;
    if wants_csv(&req) {
        Ok(csv(
            service::contract_csv(&dd)?,
            &format!(
                "due-diligence-{}",
                dd.reference.replace(['/', '"', '\\'], "-")
            ),
        ))
    } else {
        Ok(HttpResponse::Ok().json(dd))
    }
}

#[utoipa::path(get, path = "/due-diligence", tag = "due-diligence",
    params(
        ("status" = Option<Status>, Query, description = "Only contracts with this status"),
        ("framework" = Option<ContractId>, Query, description = "Only this framework agreement and its call-offs"),
        ("sort" = Option<PortfolioOrder>, Query, description = "`status` (red first, default), `reference`, `open_cases`, `overdue_cases`"),
        ("limit" = Option<i64>, Query, minimum = 1, maximum = 500), ("cursor" = Option<crate::pagination::Cursor>, Query),
    ),
    responses((status = 200, description = "Every contract of the caller with its status and key figures",
        content((Page<PortfolioEntry> = "application/json"), (String = "text/csv")))))]
pub async fn portfolio(
    state: web::Data<AppState>,
    caller: Caller,
    q: QueryParams,
    req: HttpRequest,
) -> Result<HttpResponse, Error> {
    let page = q.page()?;
    let only = q.get::<Status>("status")?;
    let framework = q.get::<ContractId>("framework")?;
    let sort = match q.get::<PortfolioOrder>("sort")? {
        None | Some(PortfolioOrder::Status) => PortfolioSort::Status,
        Some(PortfolioOrder::Reference) => PortfolioSort::Reference,
        Some(PortfolioOrder::OpenCases) => PortfolioSort::OpenCases,
        Some(PortfolioOrder::OverdueCases) => PortfolioSort::OverdueCases,
    };
    let now = state.clock.now_naive();
    let result = state
        .db
        .read(move |c| service::portfolio(c, &caller, only, framework, sort, &page, now))
        .await?;
    if wants_csv(&req) {
        Ok(csv(
            service::portfolio_csv(&result.items)?,
            "due-diligence-portfolio",
        ))
    } else {
        Ok(HttpResponse::Ok().json(result))
    }
}

/// Mounted under `/api/v1`; each route is documented by its handler's `#[utoipa::path]`.
pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(resource(contract, __path_contract));
    cfg.service(resource(portfolio, __path_portfolio));
}
