//! What the API and the pages share: the report's parameters read from a query string (each
//! problem names its field, 422), and the report as CSV and as the printable page.

use actix_web::http::{header, StatusCode};
use actix_web::HttpResponse;
use chrono::NaiveDate;
use serde_json::json;

use super::{chart, service, Report, ReportQuery};
use crate::error::Error;
use crate::http::extract::QueryParams;
use crate::values::dates::{parse_date, DATE_EXPECTED};
use crate::values::{ContractId, Language, OrganizationId};
use crate::web::public_page;

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

/// The report's words and charts for the templates.
pub(super) fn context(r: &Report, lang: Language) -> serde_json::Value {
    let (months, severity) = chart::charts(r, lang);
    json!({ "r": r, "chart_months": months, "chart_severity": severity })
}

/// The printable page: a whole document with its print styles and inline SVG charts, in
/// `lang` (the API: the buyer organization's; the web: the signed-in person's).
pub fn printable(r: &Report, lang: Language) -> Result<HttpResponse, Error> {
    let mut res = public_page(lang, StatusCode::OK, "reports/print.html", context(r, lang))?;
    res.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    Ok(res)
}
