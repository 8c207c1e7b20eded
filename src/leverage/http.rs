//! HTTP handlers: a factory's exposure and the leverage ranking (JSON, or CSV with
//! `Accept: text/csv`). Every query parameter is parsed here into a typed value; one that does
//! not parse is a 400 naming it, as elsewhere in the API.

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::NaiveDate;
use utoipa_actix_web::service_config::ServiceConfig;

use super::service::{self, Filters};
use super::{Exposure, Ranking, Sort};
use crate::auth::Caller;
use crate::error::Error;
use crate::http::extract::QueryParams;
use crate::http::{resource, AppState};
use crate::values::dates::parse_date;
use crate::values::{CountryCode, FactoryId, ShortText};

/// How a query is read: the API takes every value as sent (an empty one is refused as what
/// it is); a page's GET form sends its empty fields too, which mean "any".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Blank {
    Refused,
    Absent,
}

fn present<'a>(q: &'a QueryParams, name: &str, blank: Blank) -> Option<&'a str> {
    q.raw(name)
        .filter(|v| blank == Blank::Refused || !v.trim().is_empty())
}

/// `at`, today when absent.
pub(super) fn day(q: &QueryParams, today: NaiveDate, blank: Blank) -> Result<NaiveDate, Error> {
    present(q, "at", blank).map_or(Ok(today), |raw| {
        parse_date(raw).map_err(|e| Error::bad_param("at", e))
    })
}

/// The ranking's filters and order.
pub(super) fn filters(q: &QueryParams, today: NaiveDate, blank: Blank) -> Result<Filters, Error> {
    let country = present(q, "country", blank)
        .map(|raw| CountryCode::try_from(raw.to_string()).map(String::from))
        .transpose()
        .map_err(|e| Error::bad_param("country", e))?;
    let sector = present(q, "sector", blank)
        .map(|raw| ShortText::try_from(raw.to_string()).map(String::from))
        .transpose()
        .map_err(|e| Error::bad_param("sector", format!("sector {e}")))?;
    let sort = present(q, "sort", blank)
        .map(|raw| raw.parse::<Sort>())
        .transpose()
        .map_err(|e| Error::bad_param("sort", e))?
        .unwrap_or(Sort::Buyers);
    Ok(Filters {
        at: day(q, today, blank)?,
        country,
        sector,
        sort,
    })
}

fn wants_csv(req: &HttpRequest) -> bool {
    req.headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim().starts_with("text/csv")))
}

/// The ranking as a CSV download.
pub(super) fn csv_response(ranking: &Ranking) -> Result<HttpResponse, Error> {
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"leverage-{}.csv\"", ranking.at),
        ))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(super::csv::ranking_csv(&ranking.items)?))
}

#[utoipa::path(get, path = "/factories/{id}/exposure", tag = "leverage",
    params(
        ("id" = FactoryId, Path),
        ("at" = Option<chrono::NaiveDate>, Query, description = "The day (YYYY-MM-DD), today by default: contracts running and sourcing links valid on it"),
    ),
    responses((status = 200, description = "The buyers, contracts, contractors and components that depend on the factory, and its open cases, as far as the caller may see them (docs/security.md)", body = Exposure),
        (status = 400, description = "`at` is not a date; `errors` names it")))]
pub async fn exposure(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<FactoryId>,
    q: QueryParams,
) -> Result<HttpResponse, Error> {
    let id = id.into_inner();
    let at = day(&q, state.clock.now_naive().date(), Blank::Refused)?;
    let e = state
        .db
        .read(move |c| service::exposure(c, &caller, id, at))
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(e))
}

#[utoipa::path(get, path = "/leverage", tag = "leverage",
    params(
        ("at" = Option<chrono::NaiveDate>, Query, description = "The day (YYYY-MM-DD), today by default"),
        ("country" = Option<CountryCode>, Query, description = "Only factories in this country"),
        ("sector" = Option<ShortText>, Query, description = "Only factories of this sector (exact)"),
        ("sort" = Option<Sort>, Query, description = "`buyers` (default), `open_cases`, `severity`, `workers`, `name`"),
        ("limit" = Option<i64>, Query, minimum = 1, maximum = 500), ("cursor" = Option<crate::pagination::Cursor>, Query),
    ),
    responses((status = 200, description = "Factories that running contracts depend on, ranked; monitors and admins see all, a buyer the factories behind its own contracts; contractors get 403",
        content((Ranking = "application/json"), (String = "text/csv"))),
        (status = 403, description = "Contractors do not rank factories"),
        (status = 400, description = "`at`, `country`, `sector` or `sort` does not parse; `errors` names it")))]
pub async fn ranking(
    state: web::Data<AppState>,
    caller: Caller,
    q: QueryParams,
    req: HttpRequest,
) -> Result<HttpResponse, Error> {
    let page = q.page()?;
    let filters = filters(&q, state.clock.now_naive().date(), Blank::Refused)?;
    let memo = state.db.memo();
    let r = state
        .db
        .read(move |c| service::ranking(c, &caller, &filters, &page, &memo))
        .await?;
    if wants_csv(&req) {
        csv_response(&r)
    } else {
        Ok(HttpResponse::Ok()
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .json(r))
    }
}

/// Mounted under `/api/v1`; each route is documented by its handler's `#[utoipa::path]`.
pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(resource(exposure, __path_exposure));
    cfg.service(resource(ranking, __path_ranking));
}
