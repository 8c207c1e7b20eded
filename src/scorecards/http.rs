//! `GET /api/v1/organizations/{id}/scorecard`: a contractor's scorecard over a period.

use actix_web::{web, HttpRequest, HttpResponse};
use chrono::NaiveDate;
use utoipa_actix_web::service_config::ServiceConfig;

use super::service;
use super::Scorecard;
use crate::auth::Caller;
use crate::due_diligence::http::{csv, wants_csv};
use crate::error::Error;
use crate::http::extract::QueryParams;
use crate::http::{resource, AppState};
use crate::values::dates::parse_date;
use crate::values::OrganizationId;

/// `from` and `to` as the query string has them: a date that does not parse is refused naming
/// its parameter (400); `from` after `to`, or `to` after today, is a 422 naming `to`. Shared
/// with the page, whose empty form field means the default (`blank_is_default`); the API takes
/// a value as sent, and an empty one is no date.
pub fn read_period(
    q: &QueryParams,
    today: NaiveDate,
    blank_is_default: bool,
) -> Result<(NaiveDate, NaiveDate), Error> {
    let date = |name: &str| -> Result<Option<NaiveDate>, Error> {
        match q.raw(name) {
            None => Ok(None),
            Some("") if blank_is_default => Ok(None),
            Some(raw) => parse_date(raw)
                .map(Some)
                .map_err(|e| Error::bad_param(name, format!("{name}: {e}"))),
        }
    };
    service::period(date("from")?, date("to")?, today)
}

#[utoipa::path(get, path = "/organizations/{id}/scorecard", tag = "organizations",
    params(
        ("id" = OrganizationId, Path, description = "A contractor"),
        ("from" = Option<chrono::NaiveDate>, Query, description = "First day of the period (YYYY-MM-DD, UTC); default: twelve months before `to`"),
        ("to" = Option<chrono::NaiveDate>, Query, description = "Last day of the period, included (YYYY-MM-DD, UTC), today or earlier; default: today"),
    ),
    responses(
        (status = 200, description = "The contractor's scorecard over the period; CSV (one row per figure) with `Accept: text/csv`",
            content((Scorecard = "application/json"), (String = "text/csv"))),
        (status = 403, description = "A buyer without a contract with the contractor"),
        (status = 404, description = "No such contractor, or another contractor asking"),
        (status = 422, description = "`from` after `to`, or `to` after today"),
    ))]
pub async fn scorecard(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<OrganizationId>,
    q: QueryParams,
    req: HttpRequest,
) -> Result<HttpResponse, Error> {
    let id = id.into_inner();
    let now = state.clock.now_naive();
    let period = read_period(&q, now.date(), false)?;
    let card = state
        .db
        .read(move |c| service::scorecard(c, &caller, id, period, now))
        .await?;
    if wants_csv(&req) {
        let name = format!(
            "scorecard-{}-{}-{}",
            card.organization_id, card.from, card.to
        );
        Ok(csv(super::scorecard_csv(&card)?, &name))
    } else {
        Ok(HttpResponse::Ok().json(card))
    }
}

/// Mounted under `/api/v1`.
pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(resource(scorecard, __path_scorecard));
}
