//! The operator's list of organizations, and the form that creates one (the same request as
//! `POST /api/v1/organizations`).

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::{json, Map, Value};

use super::{service, NewOrganization};
use crate::error::Error;
use crate::http::extract::QueryParams;
use crate::http::{undocumented, AppState};
use crate::values::OrgKind;
use crate::web::viewer::{field_errors, typed};
use crate::web::{see_other, Page, Viewer};

/// Addresses typed one per line, or separated by commas or semicolons.
pub fn address_list(raw: &str) -> Vec<String> {
    raw.split(|c: char| c == ',' || c == ';' || c.is_whitespace())
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

/// A refusal's messages by the form field: `notification_emails[1]` is the field
/// `notification_emails`.
pub fn by_input(errors: Map<String, Value>) -> Map<String, Value> {
    let mut out = Map::new();
    for (field, message) in errors {
        let base = field
            .split(['[', '.'])
            .next()
            .unwrap_or_default()
            .to_string();
        out.entry(base).or_insert(message);
    }
    out
}

async fn show(
    state: &AppState,
    viewer: &Viewer,
    q: &QueryParams,
    status: StatusCode,
    form: Value,
) -> Result<HttpResponse, Error> {
    viewer
        .caller
        .require(&[OrgKind::Admin], "manage organizations")?;
    let page = q.page()?;
    let kind = q.get::<OrgKind>("kind")?;
    let caller = viewer.caller;
    let list = state
        .db
        .read(move |c| service::list(c, &caller, kind, &page))
        .await?;
    Page::new(
        "admin/organizations.html",
        json!({
            "organizations": list.items,
            "next_cursor": list.next_cursor,
            "kind": kind,
            "kinds": ["buyer", "contractor", "monitor", "admin"],
            "created": q.raw("created"),
            "form": form,
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
    show(&state, &viewer, &q, StatusCode::OK, json!({})).await
}

pub async fn create(
    state: web::Data<AppState>,
    viewer: Viewer,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, Error> {
    let form = viewer.form(&req, &body)?;
    viewer
        .caller
        .require(&[OrgKind::Admin], "create organizations")?;
    let optional = |name: &str| form.text(name).map_or(Value::Null, |v| json!(v));
    let escalation = form.text("escalation_emails").map(address_list);
    let input: Result<NewOrganization, Error> = typed(json!({
        "name": form.get("name").unwrap_or_default(),
        "kind": form.get("kind").unwrap_or_default(),
        "country": form.get("country").unwrap_or_default().trim().to_uppercase(),
        "notification_emails": address_list(form.get("notification_emails").unwrap_or_default()),
        "escalation_emails": escalation,
        "language": optional("language"),
        "timezone": optional("timezone"),
    }));
    let caller = viewer.caller;
    let now = viewer.now;
    let result = match input {
        Ok(input) => {
            state
                .db
                .write(move |c| service::create(c, &caller, input, now))
                .await
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(org) => {
            let name: String = url::form_urlencoded::byte_serialize(org.name.as_bytes()).collect();
            Ok(see_other(&format!("/admin/organizations?created={name}")))
        }
        Err(e) => {
            let Some(errors) = field_errors(&e) else {
                return Err(e);
            };
            let q = QueryParams::from_request(&req)?;
            let form = json!({ "errors": by_input(errors), "values": form.values() });
            show(&state, &viewer, &q, StatusCode::UNPROCESSABLE_ENTITY, form).await
        }
    }
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(undocumented("/admin/organizations").get(list).post(create));
}
