//! The list of cases: a contractor's inbox (its cases by next deadline) and everyone else's
//! list, through the same query as `GET /api/v1/cases`.

use actix_web::{web, HttpResponse};
use serde_json::{json, Value};

use super::super::query::{self, CaseFilter, CaseSort};
use super::super::CaseState;
use crate::error::Error;
use crate::http::extract::QueryParams;
use crate::http::AppState;
use crate::values::{FactoryId, OrgKind};
use crate::web::{Page, Viewer};

/// `GET /cases`: a contractor's inbox (soonest deadline first); for everyone else the cases
/// they may see, newest first. Both filter by state and page with the API's cursor.
pub async fn list(
    state: web::Data<AppState>,
    viewer: Viewer,
    q: QueryParams,
) -> Result<HttpResponse, Error> {
    let page = q.page()?;
    let wanted: Option<CaseState> = match q.raw("state") {
        None | Some("") => None,
        Some(_) => q.get("state")?,
    };
    let inbox = viewer.caller.is(OrgKind::Contractor);
    let sort = if inbox {
        CaseSort::NextDeadline
    } else {
        CaseSort::Newest
    };
    let filter = CaseFilter {
        state: wanted,
        ..CaseFilter::default()
    };
    let caller = viewer.caller;
    let (cases, factories) = state
        .db
        .read(move |c| {
            let cases = query::list(c, &caller, filter, sort, &page)?;
            let ids: Vec<FactoryId> = cases.items.iter().map(|k| k.factory_id).collect();
            let names = crate::factories::service::names(c, &ids)?;
            Ok((cases, names))
        })
        .await?;
    let now = crate::clock::utc(viewer.now);
    let items: Vec<Value> = cases
        .items
        .iter()
        .map(|k| {
            json!({
                "id": k.id, "title": k.finding.title, "state": k.state, "severity": k.severity,
                "factory": factories.get(&k.factory_id), "contractor": k.contractor_name,
                "next_due_at": k.next_due_at, "escalation_level": k.escalation_level,
                "late": k.next_due_at.is_some_and(|d| d < now) || k.overdue,
            })
        })
        .collect();
    let next = cases.next_cursor.map(|cursor| {
        let mut url = url::form_urlencoded::Serializer::new(String::new());
        if let Some(s) = wanted {
            url.append_pair("state", s.as_str());
        }
        if let Some(limit) = q.raw("limit") {
            url.append_pair("limit", limit);
        }
        url.append_pair("cursor", &cursor);
        format!("/cases?{}", url.finish())
    });
    Page::new(
        "cases/list.html",
        json!({
            "inbox": inbox, "cases": items, "next": next,
            "state": wanted, "states": CaseState::ALL,
        }),
    )
    .render(&viewer)
}
