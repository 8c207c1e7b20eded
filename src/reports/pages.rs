//! The report's pages: `/reports/due-diligence` (a small GET form, the report, links to its
//! CSV, JSON and printable forms), the CSV as a link a browser can follow, and the printable
//! page. All call `service::due_diligence`, as the API does: the same figures, the same rule
//! of who may ask (buyers for themselves, the operator for a named buyer; others 403).

use actix_web::{web, HttpResponse};
use chrono::{Datelike, NaiveDate};
use serde_json::json;

use super::respond::{context, csv_response, printable, query};
use super::{service, Report, ReportQuery};
use crate::error::Error;
use crate::http::extract::QueryParams;
use crate::http::{undocumented, AppState};
use crate::values::OrgKind;
use crate::web::{Page, Viewer};

/// The page's parameters: those of the API, the whole previous year when none are given.
fn page_query(q: &QueryParams, today: NaiveDate) -> Result<ReportQuery, Error> {
    if q.raw("from").is_none() && q.raw("to").is_none() {
        let year = today.year() - 1;
        let day = |m, d| NaiveDate::from_ymd_opt(year, m, d).unwrap_or(today);
        return Ok(ReportQuery {
            buyer: q.raw("buyer").and_then(|b| b.parse().ok()),
            from: day(1, 1),
            to: day(12, 31),
            framework: None,
        });
    }
    query(q)
}

async fn load(state: &AppState, viewer: &Viewer, rq: ReportQuery) -> Result<Report, Error> {
    let (caller, now) = (viewer.caller, viewer.now);
    state
        .db
        .read(move |c| service::due_diligence(c, &caller, &rq, now))
        .await
}

pub async fn page(
    state: web::Data<AppState>,
    viewer: Viewer,
    q: QueryParams,
) -> Result<HttpResponse, Error> {
    let rq = page_query(&q, viewer.now.date())?;
    // A turn for the report (db::LargeRead), held until the page is built.
    let _turn = state.db.large_read().await?;
    let r = load(&state, &viewer, rq).await?;
    let buyer = r.buyer.id;
    let frameworks = state
        .db
        .read(move |c| service::frameworks(c, buyer))
        .await?;
    let mut params = url::form_urlencoded::Serializer::new(String::new());
    params.append_pair("from", &r.from.to_string());
    params.append_pair("to", &r.to.to_string());
    if let Some(f) = &r.framework {
        params.append_pair("framework", &f.id.to_string());
    }
    if viewer.caller.is(OrgKind::Admin) {
        params.append_pair("buyer", &r.buyer.id.to_string());
    }
    let params = params.finish();
    let frameworks: Vec<serde_json::Value> = frameworks
        .into_iter()
        .map(|(id, reference, title)| json!({ "id": id, "reference": reference, "title": title }))
        .collect();
    let mut ctx = context(&r, viewer.lang);
    ctx["frameworks"] = json!(frameworks);
    ctx["csv_href"] = json!(format!("/reports/due-diligence.csv?{params}"));
    ctx["json_href"] = json!(format!("/api/v1/reports/due-diligence?{params}"));
    ctx["print_href"] = json!(format!("/reports/due-diligence/print?{params}"));
    Page::new("reports/page.html", ctx).render(&viewer)
}

pub async fn csv(
    state: web::Data<AppState>,
    viewer: Viewer,
    q: QueryParams,
) -> Result<HttpResponse, Error> {
    let rq = query(&q)?;
    let _turn = state.db.large_read().await?;
    let r = load(&state, &viewer, rq).await?;
    csv_response(&r)
}

pub async fn print(
    state: web::Data<AppState>,
    viewer: Viewer,
    q: QueryParams,
) -> Result<HttpResponse, Error> {
    let rq = query(&q)?;
    let _turn = state.db.large_read().await?;
    let r = load(&state, &viewer, rq).await?;
    printable(&r, viewer.lang)
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(undocumented("/reports/due-diligence").get(page));
    cfg.service(undocumented("/reports/due-diligence.csv").get(csv));
    cfg.service(undocumented("/reports/due-diligence/print").get(print));
}
