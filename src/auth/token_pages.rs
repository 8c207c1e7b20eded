//! The operator's API tokens: the list (never a secret), issuing one (its secret shown on the
//! answer page, this once) and revoking one. The same functions as `/api/v1/tokens`.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::{json, Map, Value};

use super::tokens::{self, IssuedToken, NewToken};
use crate::error::Error;
use crate::http::extract::QueryParams;
use crate::http::{undocumented, AppState};
use crate::organizations::service as organizations;
use crate::pagination::PageRequest;
use crate::values::{OrgKind, OrganizationId, TokenId};
use crate::web::viewer::{field_errors, typed};
use crate::web::{see_other, Page, Viewer};

/// What the page shows besides the list: a token just issued, or the refused form.
#[derive(Default)]
struct Outcome {
    issued: Option<IssuedToken>,
    errors: Map<String, Value>,
    values: Map<String, Value>,
}

async fn show(
    state: &AppState,
    viewer: &Viewer,
    q: &QueryParams,
    status: StatusCode,
    outcome: Outcome,
) -> Result<HttpResponse, Error> {
    viewer.caller.require(&[OrgKind::Admin], "manage tokens")?;
    let page = q.page()?;
    let filter = q.get::<OrganizationId>("organization_id")?;
    let caller = viewer.caller;
    let (list, orgs) = state
        .db
        .read(move |c| {
            let list = tokens::list(c, &caller, filter, &page)?;
            let all = PageRequest::first(PageRequest::MAX_LIMIT);
            Ok((list, organizations::list(c, &caller, None, &all)?.items))
        })
        .await?;
    let names: HashMap<String, String> = orgs
        .iter()
        .map(|o| (o.id.to_string(), o.name.clone()))
        .collect();
    let name_of = |id: &OrganizationId| {
        let id = id.to_string();
        names.get(&id).cloned().unwrap_or(id)
    };
    let rows: Vec<Value> = list
        .items
        .iter()
        .map(|t| json!({ "token": t, "organization": name_of(&t.organization_id) }))
        .collect();
    let issued = outcome.issued.as_ref().map(|t| {
        json!({
            "label": t.label,
            "token": t.token,
            "organization": name_of(&t.organization_id),
        })
    });
    Page::new(
        "admin/tokens.html",
        json!({
            "tokens": rows,
            "next_cursor": list.next_cursor,
            "organization_id": filter,
            "organizations": orgs,
            "issued": issued,
            "done": q.raw("done"),
            "errors": outcome.errors,
            "values": outcome.values,
        }),
    )
    .status(status)
    .render(viewer)
}

pub async fn list(
    state: web::Data<AppState>,
    viewer: Viewer,
    q: QueryParams,
) -> Result<HttpResponse, Error> {
    show(&state, &viewer, &q, StatusCode::OK, Outcome::default()).await
}

/// Issues a token and answers with it: the only time its secret is shown. The answer is no
/// redirect, so the secret is never in a URL or a page that can be reloaded from history.
pub async fn issue(
    state: web::Data<AppState>,
    viewer: Viewer,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, Error> {
    let form = viewer.form(&req, &body)?;
    viewer.caller.require(&[OrgKind::Admin], "issue tokens")?;
    let input: Result<NewToken, Error> = typed(json!({
        "organization_id": form.get("organization_id").unwrap_or_default(),
        "label": form.get("label").unwrap_or_default(),
    }));
    let caller = viewer.caller;
    let now = viewer.now;
    let result = match input {
        Ok(input) => {
            state
                .db
                .write(move |c| tokens::issue(c, &caller, input, now))
                .await
        }
        Err(e) => Err(e),
    };
    let q = QueryParams::from_request(&req)?;
    match result {
        Ok(issued) => {
            let outcome = Outcome {
                issued: Some(issued),
                ..Outcome::default()
            };
            show(&state, &viewer, &q, StatusCode::CREATED, outcome).await
        }
        Err(e) => {
            let Some(errors) = field_errors(&e) else {
                return Err(e);
            };
            let outcome = Outcome {
                issued: None,
                errors,
                values: form.values(),
            };
            show(
                &state,
                &viewer,
                &q,
                StatusCode::UNPROCESSABLE_ENTITY,
                outcome,
            )
            .await
        }
    }
}

pub async fn revoke(
    state: web::Data<AppState>,
    viewer: Viewer,
    req: HttpRequest,
    id: web::Path<TokenId>,
    body: web::Bytes,
) -> Result<HttpResponse, Error> {
    viewer.form(&req, &body)?;
    let id = id.into_inner();
    let caller = viewer.caller;
    let now = viewer.now;
    state
        .db
        .write(move |c| tokens::revoke(c, &caller, id, now))
        .await?;
    Ok(see_other("/admin/tokens?done=revoked"))
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(undocumented("/admin/tokens").get(list).post(issue));
    cfg.service(undocumented("/admin/tokens/{id}/revoke").post(revoke));
}
