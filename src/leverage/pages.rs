//! The monitor's planning page (`/leverage`: the ranking with its filters as a GET form, CSV
//! and a next-page link) and a factory's exposure page (`/factories/{id}/exposure`). They parse
//! the query as the API does and call the same service functions, so they show exactly what the
//! API shows the person (a contractor gets the ranking's 403 as a page).

use actix_web::{web, HttpResponse};
use serde_json::json;

use super::http::{csv_response, day, filters, Blank};
use super::service::{self, Filters};
use super::Sort;
use crate::error::Error;
use crate::http::extract::QueryParams;
use crate::http::{undocumented, AppState};
use crate::pagination::PageRequest;
use crate::values::FactoryId;
use crate::web::{Page, Viewer};

/// Factories a page of the ranking shows.
const PAGE_ROWS: i64 = 100;
/// The CSV download has the whole ranking (20,000 factories at most in the registry we plan
/// for; the rows are a few numbers each).
const CSV_ROWS: i64 = 100_000;

/// The query string of the current filters (plus `extra`), for the CSV and next-page links.
fn query_of(f: &Filters, extra: Option<(&str, &str)>) -> String {
    let mut q = url::form_urlencoded::Serializer::new(String::new());
    q.append_pair("at", &f.at.to_string());
    if let Some(c) = &f.country {
        q.append_pair("country", c);
    }
    if let Some(s) = &f.sector {
        q.append_pair("sector", s);
    }
    q.append_pair("sort", f.sort.as_str());
    if let Some((k, v)) = extra {
        q.append_pair(k, v);
    }
    q.finish()
}

pub async fn ranking(
    state: web::Data<AppState>,
    viewer: Viewer,
    q: QueryParams,
) -> Result<HttpResponse, Error> {
    let f = filters(&q, viewer.now.date(), Blank::Absent)?;
    let mut page = q.page()?;
    page.limit = PAGE_ROWS;
    let caller = viewer.caller;
    let args = f.clone();
    let memo = state.db.memo();
    let r = state
        .db
        .read(move |c| service::ranking(c, &caller, &args, &page, &memo))
        .await?;
    let next_href = r
        .next_cursor
        .as_deref()
        .map(|c| format!("/leverage?{}", query_of(&f, Some(("cursor", c)))));
    Page::new(
        "leverage/ranking.html",
        json!({
            "ranking": r,
            "filters": {
                "at": f.at.to_string(),
                "country": f.country,
                "sector": f.sector,
                "sort": f.sort.as_str(),
            },
            "sorts": Sort::ALL.iter().map(|s| s.as_str()).collect::<Vec<_>>(),
            "csv_href": format!("/leverage.csv?{}", query_of(&f, None)),
            "next_href": next_href,
            "at_query": format!("at={}", f.at),
        }),
    )
    .render(&viewer)
}

/// The whole ranking as the page filters it, as CSV: a link a browser follows with its session
/// (the API's CSV needs an `Accept: text/csv` header a link cannot send).
pub async fn ranking_csv(
    state: web::Data<AppState>,
    viewer: Viewer,
    q: QueryParams,
) -> Result<HttpResponse, Error> {
    let f = filters(&q, viewer.now.date(), Blank::Absent)?;
    let caller = viewer.caller;
    let memo = state.db.memo();
    let r = state
        .db
        .read(move |c| service::ranking(c, &caller, &f, &PageRequest::first(CSV_ROWS), &memo))
        .await?;
    csv_response(&r)
}

pub async fn exposure(
    state: web::Data<AppState>,
    viewer: Viewer,
    id: web::Path<FactoryId>,
    q: QueryParams,
) -> Result<HttpResponse, Error> {
    let id = id.into_inner();
    let at = day(&q, viewer.now.date(), Blank::Absent)?;
    let caller = viewer.caller;
    let e = state
        .db
        .read(move |c| service::exposure(c, &caller, id, at))
        .await?;
    Page::new("leverage/exposure.html", json!({ "e": e })).render(&viewer)
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(undocumented("/leverage").get(ranking));
    cfg.service(undocumented("/leverage.csv").get(ranking_csv));
    cfg.service(undocumented("/factories/{id}/exposure").get(exposure));
}
