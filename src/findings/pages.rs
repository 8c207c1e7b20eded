//! The monitor's pages: its findings with where each was routed, filing a finding (the factory
//! chosen by searching the registry, without script), and one finding. They call the same
//! service functions as the API (`http.rs`): filing is for monitors, reading for monitors (their
//! own) and admins (all); anyone else is refused as the API refuses them.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::{json, Map, Value};

use super::service::{self, Filed};
use super::{Category, Finding, NewFinding, Severity};
use crate::error::Error;
use crate::factories::service::{self as factories, FactoryFilter};
use crate::files::service::Owner;
use crate::http::extract::QueryParams;
use crate::http::{undocumented, AppState};
use crate::pagination::{Cursor, PageRequest};
use crate::values::{CountryCode, FindingId, Name, OrgKind, ShortText};
use crate::web::viewer::{field_errors, typed};
use crate::web::{see_other, FormData, Page, Viewer};

/// Findings per page of the list.
const LIST_LIMIT: i64 = 100;
/// Matches listed by the factory search.
const SEARCH_LIMIT: i64 = 25;
/// Evidence links the form offers (the API takes up to 50; a page of three covers a report,
/// photos and an audit).
const EVIDENCE_ROWS: usize = 3;

/// The names of the factories `ids`, as the registry shows them to the caller.
fn factory_names(
    conn: &mut crate::db::DbConnection,
    caller: &crate::auth::Caller,
    ids: impl Iterator<Item = crate::values::FactoryId>,
) -> Result<HashMap<String, Value>, Error> {
    let mut out = HashMap::new();
    for id in ids {
        if out.contains_key(&id.to_string()) {
            continue;
        }
        let f = factories::get(conn, caller, id)?;
        out.insert(
            id.to_string(),
            json!({ "name": f.name, "country": f.country, "os_id": f.os_id }),
        );
    }
    Ok(out)
}

pub async fn list(
    state: web::Data<AppState>,
    viewer: Viewer,
    q: QueryParams,
) -> Result<HttpResponse, Error> {
    let page = PageRequest {
        limit: LIST_LIMIT,
        after: q.raw("cursor").and_then(Cursor::decode),
    };
    let unrouted_only = q.raw("routed") == Some("false");
    let caller = viewer.caller;
    let (result, names) = state
        .db
        .read(move |c| {
            let result = service::list(c, &caller, unrouted_only.then_some(false), &page)?;
            let names = factory_names(c, &caller, result.items.iter().map(|f| f.factory_id))?;
            Ok((result, names))
        })
        .await?;
    let more = result.next_cursor.as_ref().map(|c| {
        let mut q = url::form_urlencoded::Serializer::new(String::new());
        q.append_pair("cursor", c);
        if unrouted_only {
            q.append_pair("routed", "false");
        }
        format!("/findings?{}", q.finish())
    });
    Page::new(
        "findings/list.html",
        json!({
            "findings": result.items,
            "factories": names,
            "unrouted_only": unrouted_only,
            "more": more,
        }),
    )
    .render(&viewer)
}

/// The registry search of the filing page, from its query string (`q`, `os_id`, `country`,
/// as `GET /api/v1/factories` takes them). None when nothing was searched for.
fn search_filter(q: &QueryParams) -> Result<Option<FactoryFilter>, Error> {
    let text = |name: &str| {
        q.raw(name)
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_string)
    };
    let filter = FactoryFilter {
        country: text("country")
            .map(|c| CountryCode::try_from(c.to_ascii_uppercase()))
            .transpose()
            .map_err(|e| Error::field("country", e))?,
        os_id: text("os_id")
            .map(ShortText::try_from)
            .transpose()
            .map_err(|e| Error::field("os_id", e))?,
        q: text("q")
            .map(Name::try_from)
            .transpose()
            .map_err(|e| Error::field("q", e))?,
    };
    Ok(
        (filter.country.is_some() || filter.os_id.is_some() || filter.q.is_some())
            .then_some(filter),
    )
}

/// What the filing page shows besides the form's values: the registry search and its matches,
/// the chosen factory, the lists to choose from.
async fn filing_context(
    state: &AppState,
    viewer: &Viewer,
    q: &QueryParams,
    factory_id: Option<&str>,
) -> Result<Value, Error> {
    let (filter, search_errors) = match search_filter(q) {
        Ok(f) => (f, None),
        Err(e) => (None, field_errors(&e)),
    };
    let searched = filter.is_some();
    let chosen_id = factory_id.and_then(|raw| raw.trim().parse::<crate::values::FactoryId>().ok());
    let caller = viewer.caller;
    let (matches, chosen) = state
        .db
        .read(move |c| {
            let matches = match filter {
                Some(f) => factories::list(c, &caller, f, &PageRequest::first(SEARCH_LIMIT))?.items,
                None => Vec::new(),
            };
            // A chosen factory that does not exist is the form's problem (the API names it).
            let chosen = match chosen_id {
                Some(id) => match factories::get(c, &caller, id) {
                    Ok(f) => Some(f),
                    Err(Error::NotFound(_)) => None,
                    Err(e) => return Err(e),
                },
                None => None,
            };
            Ok((matches, chosen))
        })
        .await?;
    // The search keeps its words in the "choose" links, so a monitor can choose again.
    let keep = |extra: Option<(&str, String)>| {
        let mut s = url::form_urlencoded::Serializer::new(String::new());
        for k in ["q", "os_id", "country"] {
            if let Some(v) = q.raw(k).filter(|v| !v.trim().is_empty()) {
                s.append_pair(k, v);
            }
        }
        if let Some((k, v)) = extra {
            s.append_pair(k, &v);
        }
        s.finish()
    };
    let matches: Vec<Value> = matches
        .into_iter()
        .map(|f| {
            let href = format!(
                "/findings/new?{}#form-finding",
                keep(Some(("factory_id", f.id.to_string())))
            );
            json!({ "factory": f, "choose": href })
        })
        .collect();
    Ok(json!({
        "search": { "q": q.raw("q"), "os_id": q.raw("os_id"), "country": q.raw("country") },
        "search_errors": search_errors,
        "searched": searched,
        "matches": matches,
        "chosen": chosen,
        "form_action": format!("/findings/new?{}", keep(None)),
        "categories": Category::ALL.iter().map(|c| c.as_str()).collect::<Vec<_>>(),
        "severities": Severity::ALL.iter().map(|s| s.as_str()).collect::<Vec<_>>(),
        "evidence_rows": EVIDENCE_ROWS,
    }))
}

fn merge(mut base: Value, extra: Value) -> Value {
    if let (Some(b), Value::Object(e)) = (base.as_object_mut(), extra) {
        b.extend(e);
    }
    base
}

pub async fn new(
    state: web::Data<AppState>,
    viewer: Viewer,
    q: QueryParams,
) -> Result<HttpResponse, Error> {
    // Only monitors file findings: the API's rule (`service::file`), before showing the form.
    viewer
        .caller
        .require(&[OrgKind::Monitor], "file findings")?;
    let factory_id = q.raw("factory_id").map(str::to_string);
    let context = filing_context(&state, &viewer, &q, factory_id.as_deref()).await?;
    let values = json!({ "factory_id": factory_id, "observed_on": viewer.now.date().to_string() });
    Page::new(
        "findings/new.html",
        merge(context, json!({ "values": values })),
    )
    .render(&viewer)
}

/// The form's fields gathered into the API's JSON body: blank optional fields are left out, so
/// that the API's own rules decide about the rest.
fn body_of(form: &FormData) -> Value {
    let mut evidence = Vec::new();
    for i in 0..EVIDENCE_ROWS {
        if let Some(url) = form.text(&format!("evidence[{i}].url")) {
            let mut e = json!({ "url": url });
            if let Some(label) = form.text(&format!("evidence[{i}].label")) {
                e["label"] = json!(label);
            }
            evidence.push(e);
        }
    }
    let mut body = json!({
        "factory_id": form.get("factory_id").unwrap_or_default().trim(),
        "category": form.get("category").unwrap_or_default(),
        "severity": form.get("severity").unwrap_or_default(),
        "title": form.get("title").unwrap_or_default(),
        "description": form.get("description").unwrap_or_default(),
        "observed_on": form.get("observed_on").unwrap_or_default().trim(),
        "worker_protection": form.get("worker_protection").is_some(),
    });
    if !evidence.is_empty() {
        body["evidence"] = Value::Array(evidence);
    }
    if let Some(notes) = form.text("confidential_notes") {
        body["confidential_notes"] = json!(notes);
    }
    body
}

pub async fn file(
    state: web::Data<AppState>,
    viewer: Viewer,
    req: HttpRequest,
    q: QueryParams,
    body: web::Bytes,
) -> Result<HttpResponse, Error> {
    let form = viewer.form(&req, &body)?;
    // The service refuses too, but only after the form's fields parse: a contractor would
    // otherwise be shown the form again with its problems.
    viewer
        .caller
        .require(&[OrgKind::Monitor], "file findings")?;
    let input = body_of(&form);
    let mut result = Err(Error::Retry);
    // As the API: a concurrent write may ask for another attempt.
    for _ in 0..3 {
        let parsed: Result<NewFinding, Error> = typed(input.clone());
        result = match parsed {
            Ok(new) => {
                let caller = viewer.caller;
                let now = viewer.now;
                let policy = state.policy.clone();
                state
                    .db
                    .write(move |c| service::file(c, &caller, new, None, now, &policy))
                    .await
            }
            Err(e) => Err(e),
        };
        if !matches!(result, Err(Error::Retry)) {
            break;
        }
    }
    match result {
        Ok(Filed::Created(f)) => Ok(see_other(&format!("/findings/{}", f.id))),
        Ok(Filed::Replayed(_)) => Err(Error::internal("a page files without a key")),
        Err(e) => {
            let Some(errors) = field_errors(&e) else {
                return Err(e);
            };
            let context = filing_context(&state, &viewer, &q, form.get("factory_id")).await?;
            Page::new(
                "findings/new.html",
                merge(
                    context,
                    json!({ "values": form.values(), "errors": errors }),
                ),
            )
            .status(StatusCode::UNPROCESSABLE_ENTITY)
            .render(&viewer)
        }
    }
}

pub async fn show(
    state: web::Data<AppState>,
    viewer: Viewer,
    id: web::Path<FindingId>,
    q: QueryParams,
) -> Result<HttpResponse, Error> {
    let done = q.raw("done") == Some("file");
    show_finding(
        &state,
        &viewer,
        id.into_inner(),
        Map::new(),
        done,
        StatusCode::OK,
    )
    .await
}

async fn show_finding(
    state: &AppState,
    viewer: &Viewer,
    id: FindingId,
    errors: Map<String, Value>,
    done: bool,
    status: StatusCode,
) -> Result<HttpResponse, Error> {
    let caller = viewer.caller;
    let (finding, factory, files): (Finding, _, _) = state
        .db
        .read(move |c| {
            let finding = service::get(c, &caller, id)?;
            let factory = factories::get(c, &caller, finding.factory_id)?;
            let files = crate::files::service::list(c, &caller, Owner::Finding(id))?;
            Ok((finding, factory, files))
        })
        .await?;
    Page::new(
        "findings/show.html",
        json!({ "finding": finding, "factory": factory, "files": files, "errors": errors,
            "done": done }),
    )
    .status(status)
    .render(viewer)
}

/// `POST /findings/{id}/files` (multipart: `csrf_token`, `file`, `label`, `confidential`): the
/// monitor's file for its finding, through the same checks as the API's upload.
pub async fn upload_file(
    state: web::Data<AppState>,
    viewer: Viewer,
    id: web::Path<FindingId>,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, Error> {
    let id = id.into_inner();
    let owner = Owner::Finding(id);
    let Some(e) = crate::files::intake::from_page(&state, &viewer, owner, &req, payload).await?
    else {
        return Ok(see_other(&format!("/findings/{id}?done=file")));
    };
    let status = actix_web::ResponseError::status_code(&e);
    let mut errors = Map::new();
    errors.insert("file".into(), json!(e.problem().detail));
    show_finding(&state, &viewer, id, errors, false, status).await
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(undocumented("/findings").get(list));
    cfg.service(undocumented("/findings/new").get(new).post(file));
    cfg.service(undocumented("/findings/{id}").get(show));
    cfg.service(undocumented("/findings/{id}/files").post(upload_file));
}
