//! The scorecard page, `/organizations/{id}/scorecard`: the figures of the API (the same
//! service function, so the same reach) and, under each, links to the cases behind it.

use actix_web::http::header;
use actix_web::{web, HttpResponse};
use serde_json::json;

use super::http::read_period;
use super::service;
use crate::error::Error;
use crate::http::extract::QueryParams;
use crate::http::{undocumented, AppState};
use crate::values::OrganizationId;
use crate::web::{Page, Viewer};

/// The scorecard the viewer asks for: the period of the page's query, read as the viewer.
async fn load(
    state: &AppState,
    viewer: &Viewer,
    id: OrganizationId,
    q: &QueryParams,
) -> Result<super::Scorecard, Error> {
    let caller = viewer.caller;
    let now = viewer.now;
    let period = read_period(q, now.date(), true)?;
    state
        .db
        .read(move |c| service::scorecard(c, &caller, id, period, now))
        .await
}

pub async fn scorecard(
    state: web::Data<AppState>,
    viewer: Viewer,
    id: web::Path<OrganizationId>,
    q: QueryParams,
) -> Result<HttpResponse, Error> {
    let card = load(&state, &viewer, id.into_inner(), &q).await?;
    // The shares in the order the page shows them, each with the key of its label.
    let shares = [
        ("acknowledged_on_time", &card.acknowledged_on_time),
        ("plans_accepted_first_time", &card.plans_accepted_first_time),
        ("remediated_on_time", &card.remediated_on_time),
    ];
    Page::new(
        "scorecards/scorecard.html",
        json!({
            "card": card,
            "shares": shares,
        }),
    )
    .render(&viewer)
}

/// The page's figures as CSV, for the same period (the page's download link).
pub async fn scorecard_csv(
    state: web::Data<AppState>,
    viewer: Viewer,
    id: web::Path<OrganizationId>,
    q: QueryParams,
) -> Result<HttpResponse, Error> {
    let card = load(&state, &viewer, id.into_inner(), &q).await?;
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!(
                "attachment; filename=\"scorecard-{}-{}-{}.csv\"",
                card.organization_id, card.from, card.to
            ),
        ))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(super::scorecard_csv(&card)?))
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(undocumented("/organizations/{id}/scorecard").get(scorecard));
    cfg.service(undocumented("/organizations/{id}/scorecard.csv").get(scorecard_csv));
}
