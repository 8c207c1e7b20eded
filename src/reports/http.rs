//! `GET /api/v1/reports/due-diligence`: the report as JSON, CSV (`Accept: text/csv`) or the
//! printable HTML page (`Accept: text/html`, in the buyer organization's language).

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::NaiveDate;
use utoipa_actix_web::service_config::ServiceConfig;

use super::{pages, service, Report, ReportQuery};
use crate::auth::Caller;
use crate::error::Error;
use crate::http::extract::QueryParams;
use crate::http::{resource, AppState};
use crate::values::dates::{parse_date, DATE_EXPECTED};
use crate::values::{ContractId, Language, OrganizationId};

fn date(q: &QueryParams, name: &str) -> Result<NaiveDate, Error> {
    match q.raw(name) {
        None | Some("") => Err(Error::field(
            name,
            format!("{name} is required: {DATE_EXPECTED}"),
        )),
        Some(raw) => parse_date(raw).map_err(|e| Error::field(name, format!("{name}: {e}"))),
    }
}

fn id<T: std::str::FromStr>(q: &QueryParams, name: &str) -> Result<Option<T>, Error> {
    match q.raw(name) {
        None | Some("") => Ok(None),
        Some(raw) => raw
            .parse()
            .map(Some)
            .map_err(|_| Error::field(name, format!("{name}: {raw:?} is not an id (a UUID)"))),
    }
}

/// The report's parameters, each parsed here so that a problem names its field (422).
pub fn query(q: &QueryParams) -> Result<ReportQuery, Error> {
    Ok(ReportQuery {
        buyer: id::<OrganizationId>(q, "buyer")?,
        from: date(q, "from")?,
        to: date(q, "to")?,
        framework: id::<ContractId>(q, "framework")?,
    })
}

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

/// The CSV answer, a file named after the buyer's period.
pub fn csv_response(r: &Report) -> Result<HttpResponse, Error> {
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!(
                "attachment; filename=\"due-diligence-report-{}-{}.csv\"",
                r.from, r.to
            ),
        ))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(service::report_csv(r)?))
}

#[utoipa::path(get, path = "/reports/due-diligence", tag = "due-diligence",
    params(
        ("from" = chrono::NaiveDate, Query, description = "First day of the period (UTC, inclusive)"),
        ("to" = chrono::NaiveDate, Query, description = "Last day of the period (UTC, inclusive), today at the latest"),
        ("framework" = Option<ContractId>, Query, description = "A framework agreement of the buyer: the report covers it and its call-offs"),
        ("buyer" = Option<OrganizationId>, Query, description = "The buyer (the operator only; others report on their own organization)"),
    ),
    responses((status = 200, description = "The due-diligence report of the buyer over the period",
        content((Report = "application/json"), (String = "text/csv"), (String = "text/html")))))]
pub async fn report(
    state: web::Data<AppState>,
    caller: Caller,
    q: QueryParams,
    req: HttpRequest,
) -> Result<HttpResponse, Error> {
    let rq = query(&q)?;
    let now = state.clock.now_naive();
    let r = state
        .db
        .read(move |c| service::due_diligence(c, &caller, &rq, now))
        .await?;
    match wants(&req) {
        Some("csv") => csv_response(&r),
        Some("html") => {
            let lang = r.buyer.language.parse().unwrap_or(Language::En);
            pages::printable(&r, lang)
        }
        _ => Ok(HttpResponse::Ok().json(r)),
    }
}

/// Mounted under `/api/v1`.
pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(resource(report, __path_report));
}
