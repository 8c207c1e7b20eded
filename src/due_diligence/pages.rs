//! The buyer's pages: the portfolio of its contracts (sortable, filterable, as CSV too) and a
//! contract's due-diligence page with a chart of its cases over time. They call the same
//! service functions as the API (`http.rs`), so they see exactly what the API shows the caller:
//! the buyer and the contractor of a contract, monitors and admins; anyone else gets 404.

use std::collections::BTreeMap;

use actix_web::http::header;
use actix_web::{web, HttpResponse};
use serde_json::json;

use super::chart::{self, Bar};
use super::service::{self, PortfolioSort};
use super::{PortfolioEntry, Status};
use crate::error::Error;
use crate::http::extract::QueryParams;
use crate::http::{undocumented, AppState};
use crate::pagination::PageRequest;
use crate::values::{ContractId, OrgKind};
use crate::web::i18n;
use crate::web::{Page, Viewer};

/// The whole portfolio is one page: a buyer has tens to hundreds of contracts, and the summary
/// cards count them all.
const PORTFOLIO_LIMIT: i64 = 10_000;

/// Weeks shown in a contract's chart.
const CHART_WEEKS: u32 = 12;

/// The orders the portfolio page offers: the API's, plus by title.
const SORTS: [&str; 6] = [
    "status",
    "reference",
    "title",
    "ends_on",
    "open_cases",
    "overdue_cases",
];

/// A portfolio row: the API's entry and the contract's end date.
#[derive(serde::Serialize)]
struct Row {
    #[serde(flatten)]
    entry: PortfolioEntry,
    ends_on: Option<chrono::NaiveDate>,
}

/// The portfolio's filters as the page's query string has them; unknown values are ignored
/// (a page shows the default rather than an error for a hand-edited address).
struct Filters {
    status: Option<Status>,
    framework: Option<ContractId>,
    text: String,
    sort: &'static str,
}

impl Filters {
    fn of(q: &QueryParams) -> Filters {
        Filters {
            status: q.get::<Status>("status").ok().flatten(),
            framework: q.get::<ContractId>("framework").ok().flatten(),
            text: q.raw("q").unwrap_or_default().trim().to_string(),
            sort: q
                .raw("sort")
                .and_then(|s| SORTS.iter().find(|k| **k == s).copied())
                .unwrap_or("status"),
        }
    }

    fn service_sort(&self) -> PortfolioSort {
        match self.sort {
            "reference" | "title" | "ends_on" => PortfolioSort::Reference,
            "open_cases" => PortfolioSort::OpenCases,
            "overdue_cases" => PortfolioSort::OverdueCases,
            _ => PortfolioSort::Status,
        }
    }

    /// Keeps the entries the filters name, in the chosen order.
    fn apply(&self, rows: &mut Vec<Row>) {
        if let Some(s) = self.status {
            rows.retain(|r| r.entry.status == s);
        }
        if !self.text.is_empty() {
            let needle = self.text.to_lowercase();
            rows.retain(|r| {
                r.entry.reference.to_lowercase().contains(&needle)
                    || r.entry.title.to_lowercase().contains(&needle)
            });
        }
        // Stable sorts over the API's order by reference.
        match self.sort {
            "title" => rows.sort_by_key(|r| r.entry.title.to_lowercase()),
            // The soonest end first; a contract without one (none today) last.
            "ends_on" => rows.sort_by_key(|r| (r.ends_on.is_none(), r.ends_on)),
            _ => {}
        }
    }

    /// The query string of this view in another order (the sort links keep the filters).
    fn with_sort(&self, sort: &str) -> String {
        let mut q = url::form_urlencoded::Serializer::new(String::new());
        if let Some(s) = self.status {
            q.append_pair("status", s.as_str());
        }
        if let Some(f) = self.framework {
            q.append_pair("framework", &f.to_string());
        }
        if !self.text.is_empty() {
            q.append_pair("q", &self.text);
        }
        q.append_pair("sort", sort);
        q.finish()
    }
}

/// Every contract of the viewer, as the API's portfolio lists it, with its end date.
async fn entries(
    state: &AppState,
    viewer: &Viewer,
    framework: Option<ContractId>,
    sort: PortfolioSort,
) -> Result<(Vec<Row>, bool), Error> {
    let caller = viewer.caller;
    let now = viewer.now;
    let (page, ends) = state
        .db
        .read(move |c| {
            let page = service::portfolio(
                c,
                &caller,
                None,
                framework,
                sort,
                &PageRequest::first(PORTFOLIO_LIMIT),
                now,
            )?;
            Ok((page, service::end_dates(c, &caller)?))
        })
        .await?;
    let truncated = page.next_cursor.is_some();
    let rows = page
        .items
        .into_iter()
        .map(|entry| Row {
            ends_on: ends.get(&entry.contract_id.to_string()).copied(),
            entry,
        })
        .collect();
    Ok((rows, truncated))
}

pub async fn portfolio(
    state: web::Data<AppState>,
    viewer: Viewer,
    q: QueryParams,
) -> Result<HttpResponse, Error> {
    let filters = Filters::of(&q);
    let (mut list, truncated) =
        entries(&state, &viewer, filters.framework, filters.service_sort()).await?;
    let count = |s: Status| list.iter().filter(|r| r.entry.status == s).count();
    let summary = json!({
        "total": list.len(),
        "red": count(Status::Red),
        "amber": count(Status::Amber),
        "green": count(Status::Green),
    });
    filters.apply(&mut list);
    let sorts: Vec<serde_json::Value> = SORTS
        .iter()
        .map(|s| json!({ "key": s, "href": format!("/contracts?{}", filters.with_sort(s)), "current": *s == filters.sort }))
        .collect();
    // The frameworks the viewer's contracts are call-offs of, to filter by.
    let mut frameworks: Vec<serde_json::Value> = list
        .iter()
        .filter_map(|r| Some((r.entry.framework_id?, r.entry.framework_reference.clone()?)))
        .collect::<BTreeMap<_, _>>()
        .into_iter()
        .map(|(id, reference)| json!({ "id": id, "reference": reference, "current": Some(id) == filters.framework }))
        .collect();
    frameworks.sort_by(|a, b| a["reference"].as_str().cmp(&b["reference"].as_str()));
    let csv_query = {
        let mut q = url::form_urlencoded::Serializer::new(String::new());
        if let Some(s) = filters.status {
            q.append_pair("status", s.as_str());
        }
        if let Some(f) = filters.framework {
            q.append_pair("framework", &f.to_string());
        }
        if !filters.text.is_empty() {
            q.append_pair("q", &filters.text);
        }
        q.append_pair("sort", filters.sort);
        q.finish()
    };
    Page::new(
        "due_diligence/portfolio.html",
        json!({
            "contracts": list,
            "summary": summary,
            "truncated": truncated,
            "frameworks": frameworks,
            "filters": {
                "status": filters.status.map(|s| s.as_str()),
                "q": filters.text,
                "sort": filters.sort,
            },
            "sorts": sorts,
            "csv_href": format!("/contracts.csv?{csv_query}"),
        }),
    )
    .render(&viewer)
}

/// The portfolio as the page shows it, as CSV (the API's columns): a link a browser follows
/// with its session (the API's own CSV needs an `Accept: text/csv` header a link cannot send).
pub async fn portfolio_csv(
    state: web::Data<AppState>,
    viewer: Viewer,
    q: QueryParams,
) -> Result<HttpResponse, Error> {
    let filters = Filters::of(&q);
    let (mut list, _) = entries(&state, &viewer, filters.framework, filters.service_sort()).await?;
    filters.apply(&mut list);
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            header::CONTENT_DISPOSITION,
            "attachment; filename=\"due-diligence-portfolio.csv\"",
        ))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(service::portfolio_csv(
            &list.into_iter().map(|r| r.entry).collect::<Vec<_>>(),
        )?))
}

pub async fn contract(
    state: web::Data<AppState>,
    viewer: Viewer,
    id: web::Path<ContractId>,
) -> Result<HttpResponse, Error> {
    let id = id.into_inner();
    let caller = viewer.caller;
    let now = viewer.now;
    let (dd, series, contractor) = state
        .db
        .read(move |c| {
            let dd = service::contract(c, &caller, id, None, now)?;
            let series = service::series(c, &caller, id, CHART_WEEKS, now)?;
            // The buyer (and the admin) read who holds the contract, and so its scorecard;
            // monitors see the status only, not who holds it.
            let contractor = if caller.is(OrgKind::Buyer) || caller.is(OrgKind::Admin) {
                Some(crate::contracts::service::get(c, &caller, id)?.contractor_id)
            } else {
                None
            };
            Ok((dd, series, contractor))
        })
        .await?;
    // The supply chain by country, then tier, as the page lists it.
    let mut by_country: BTreeMap<&str, BTreeMap<i32, Vec<&super::SupplyChainFactory>>> =
        BTreeMap::new();
    for f in &dd.factories.list {
        by_country
            .entry(f.country.as_str())
            .or_default()
            .entry(f.tier)
            .or_default()
            .push(f);
    }
    let countries: Vec<serde_json::Value> = by_country
        .into_iter()
        .map(|(country, tiers)| {
            json!({
                "country": country,
                "tiers": tiers
                    .into_iter()
                    .map(|(tier, list)| json!({ "tier": tier, "factories": list }))
                    .collect::<Vec<_>>(),
            })
        })
        .collect();
    let lang = viewer.lang;
    let t = |key: &str| i18n::text(lang, key);
    let bars: Vec<Bar> = series
        .iter()
        .map(|p| Bar {
            label: p.day.format("%Y-%m-%d").to_string(),
            open: p.open,
            overdue: p.overdue,
        })
        .collect();
    let (title, desc) = (
        t("due_diligence.chart.title"),
        i18n::text_with(
            lang,
            "due_diligence.chart.desc",
            &[("weeks", CHART_WEEKS.to_string())],
        ),
    );
    let (open, overdue, y_axis) = (
        t("due_diligence.chart.open"),
        t("due_diligence.chart.overdue"),
        t("due_diligence.chart.y_axis"),
    );
    let svg = chart::svg(
        &bars,
        &chart::Words {
            id: "cases-chart",
            title: &title,
            desc: &desc,
            open: &open,
            overdue: &overdue,
            y_axis: &y_axis,
        },
    );
    // By state in the order of a case's life (the API's map is alphabetical).
    let by_state: Vec<(&str, i64)> = crate::cases::CaseState::ALL
        .iter()
        .map(|s| {
            (
                s.as_str(),
                dd.cases.by_state.get(s.as_str()).copied().unwrap_or(0),
            )
        })
        .collect();
    Page::new(
        "due_diligence/contract.html",
        json!({
            "by_state": by_state,
            "dd": dd,
            "countries": countries,
            "series": series,
            "chart": svg,
            "contractor_id": contractor,
        }),
    )
    .render(&viewer)
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(undocumented("/contracts").get(portfolio));
    cfg.service(undocumented("/contracts.csv").get(portfolio_csv));
    cfg.service(undocumented("/contracts/{id}").get(contract));
}
