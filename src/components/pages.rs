//! A contractor's disclosures: its bill of materials as a tree, where each component is made
//! (sourcing links with tier and dates), the factories behind them and the contracts the
//! components are sold under; forms to add a component, a link or a factory, and to end a
//! link. Every change goes through the same service functions as the API, so routing runs
//! when a disclosure changes who answers for a factory.

use std::collections::{BTreeMap, HashMap};

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::{json, Map, Value};

use super::{service, Component, EndSourcingLink, NewComponent, NewSourcingLink, SourcingLink};
use crate::auth::Caller;
use crate::contracts::service::{self as contracts, ContractFilter};
use crate::db::DbConnection;
use crate::error::Error;
use crate::factories::service::{self as factories, FactoryFilter};
use crate::factories::{Factory, NewFactory};
use crate::http::extract::QueryParams;
use crate::http::{undocumented, AppState};
use crate::pagination::{Cursor, Page as ListPage, PageRequest};
use crate::values::{CountryCode, FactoryId, Name, OrgKind, ShortText, SourcingLinkId};
use crate::web::viewer::{field_errors, typed};
use crate::web::{see_other, FormData, Page, Viewer};

/// Factories a registry search shows at most.
const SEARCH_LIMIT: i64 = 50;

/// Every item of a paged list (a bill of materials is shown whole, as a tree).
fn all<T>(
    mut next: impl FnMut(&PageRequest) -> Result<ListPage<T>, Error>,
) -> Result<Vec<T>, Error> {
    let mut page = PageRequest::first(PageRequest::MAX_LIMIT);
    let mut items = Vec::new();
    loop {
        let got = next(&page)?;
        items.extend(got.items);
        match got.next_cursor.as_deref().and_then(Cursor::decode) {
            Some(cursor) => page.after = Some(cursor),
            None => return Ok(items),
        }
    }
}

/// Disclosures are a contractor's: others are refused (a buyer or monitor may read
/// components through the API, but discloses none).
fn contractor(viewer: &Viewer) -> Result<Caller, Error> {
    viewer
        .caller
        .require(&[OrgKind::Contractor], "disclose their supply chain")?;
    Ok(viewer.caller)
}

/// The registry search of the page (`q`, `country`, `os_id`), read as the API reads it.
fn search_filter(q: &QueryParams) -> Result<Option<FactoryFilter>, Error> {
    let text = |name: &'static str| q.raw(name).map(str::trim).filter(|v| !v.is_empty());
    if ["q", "country", "os_id"].iter().all(|n| text(n).is_none()) {
        return Ok(None);
    }
    Ok(Some(FactoryFilter {
        country: text("country")
            .map(|v| CountryCode::try_from(v.to_uppercase()))
            .transpose()
            .map_err(|e| Error::bad_param("country", e))?,
        os_id: text("os_id")
            .map(|v| ShortText::try_from(v.to_string()))
            .transpose()
            .map_err(|e| Error::bad_param("os_id", e))?,
        q: text("q")
            .map(|v| Name::try_from(v.to_string()))
            .transpose()
            .map_err(|e| Error::bad_param("q", e))?,
    }))
}

/// What the page shows, read in one go.
struct Disclosures {
    components: Vec<Component>,
    links: Vec<SourcingLink>,
    factories: HashMap<FactoryId, Factory>,
    /// Contracts (reference, title) by the component their item names.
    used_in: HashMap<String, Vec<Value>>,
    found: Option<Vec<Factory>>,
    /// The factory a refused link form had chosen, offered again.
    chosen: Option<Factory>,
}

fn read(
    conn: &mut DbConnection,
    caller: &Caller,
    search: Option<FactoryFilter>,
    chosen: Option<FactoryId>,
) -> Result<Disclosures, Error> {
    let components = all(|p| service::list(conn, caller, None, p))?;
    let mut links = Vec::new();
    for c in &components {
        links.extend(all(|p| service::list_sources(conn, caller, c.id, p))?);
    }
    let mut known = HashMap::new();
    for link in &links {
        if let std::collections::hash_map::Entry::Vacant(slot) = known.entry(link.factory_id) {
            slot.insert(factories::get(conn, caller, link.factory_id)?);
        }
    }
    let mut used_in: HashMap<String, Vec<Value>> = HashMap::new();
    let everyone = || ContractFilter {
        buyer_id: None,
        contractor_id: None,
    };
    for contract in all(|p| contracts::list(conn, caller, everyone(), p))? {
        for item in &contract.items {
            used_in
                .entry(item.component_id.to_string())
                .or_default()
                .push(json!({ "reference": contract.reference, "title": contract.title }));
        }
    }
    let found = match search {
        Some(filter) => {
            Some(factories::list(conn, caller, filter, &PageRequest::first(SEARCH_LIMIT))?.items)
        }
        None => None,
    };
    let chosen = match chosen {
        Some(id) => match factories::get(conn, caller, id) {
            Ok(f) => Some(f),
            Err(Error::NotFound(_)) => None,
            Err(e) => return Err(e),
        },
        None => None,
    };
    Ok(Disclosures {
        chosen,
        components,
        links,
        factories: known,
        used_in,
        found,
    })
}

fn link_view(link: &SourcingLink, factories: &HashMap<FactoryId, Factory>) -> Value {
    let factory = factories.get(&link.factory_id);
    json!({
        "id": link.id,
        "factory_id": link.factory_id,
        "factory": factory.map(|f| f.name.as_str()),
        "country": factory.map(|f| f.country.as_str()),
        "tier": link.tier,
        "valid_from": link.valid_from,
        "valid_to": link.valid_to,
    })
}

/// The components as a tree: each under its parent, roots in name order.
fn tree(d: &Disclosures) -> Vec<Value> {
    let mut children: BTreeMap<Option<String>, Vec<&Component>> = BTreeMap::new();
    let ids: Vec<String> = d.components.iter().map(|c| c.id.to_string()).collect();
    for c in &d.components {
        // A parent outside the list cannot be (same owner), but would hide the component.
        let parent = c
            .parent_id
            .map(|p| p.to_string())
            .filter(|p| ids.contains(p));
        children.entry(parent).or_default().push(c);
    }
    for list in children.values_mut() {
        list.sort_by_key(|c| c.name.to_lowercase());
    }
    let mut links: HashMap<String, Vec<Value>> = HashMap::new();
    for link in &d.links {
        links
            .entry(link.component_id.to_string())
            .or_default()
            .push(link_view(link, &d.factories));
    }
    fn build(
        parent: Option<String>,
        children: &BTreeMap<Option<String>, Vec<&Component>>,
        links: &HashMap<String, Vec<Value>>,
        used_in: &HashMap<String, Vec<Value>>,
        depth: usize,
    ) -> Vec<Value> {
        let Some(list) = children.get(&parent) else {
            return Vec::new();
        };
        list.iter()
            .map(|c| {
                let id = c.id.to_string();
                // The tree is at most as deep as the service lets a bill of materials be.
                let below = if depth < 64 {
                    build(Some(id.clone()), children, links, used_in, depth + 1)
                } else {
                    Vec::new()
                };
                json!({
                    "id": id,
                    "name": c.name,
                    "links": links.get(&id).cloned().unwrap_or_default(),
                    "contracts": used_in.get(&id).cloned().unwrap_or_default(),
                    "children": below,
                })
            })
            .collect()
    }
    build(None, &children, &links, &d.used_in, 0)
}

/// A failed form: which one, its messages by field and what was typed.
struct Refused {
    form: &'static str,
    errors: Map<String, Value>,
    values: Map<String, Value>,
    link_id: Option<String>,
}

async fn show(
    state: &AppState,
    viewer: &Viewer,
    q: Option<&QueryParams>,
    refused: Option<Refused>,
) -> Result<HttpResponse, Error> {
    let caller = contractor(viewer)?;
    let (search, search_error) = match q.map(search_filter).transpose() {
        Ok(filter) => (filter.flatten(), None),
        Err(e) => (None, field_errors(&e)),
    };
    let chosen = refused
        .as_ref()
        .and_then(|r| r.values.get("factory_id"))
        .and_then(Value::as_str)
        .and_then(|v| v.parse::<FactoryId>().ok());
    let d = state
        .db
        .read(move |c| read(c, &caller, search, chosen))
        .await?;
    let mut components: Vec<Value> = d
        .components
        .iter()
        .map(|c| json!({ "id": c.id, "name": c.name }))
        .collect();
    components.sort_by_key(|c| c["name"].as_str().unwrap_or_default().to_lowercase());
    let mut known: Vec<&Factory> = d.factories.values().collect();
    known.sort_by_key(|f| f.name.to_lowercase());
    // The link form's factory list: the search's results first, then those already used.
    let mut choices: Vec<Value> = Vec::new();
    let searched = d.found.iter().flatten().chain(d.chosen.iter());
    for f in searched.chain(known.iter().copied()) {
        if !choices.iter().any(|c| c["id"] == json!(f.id)) {
            choices.push(
                json!({ "id": f.id, "name": f.name, "country": f.country, "os_id": f.os_id }),
            );
        }
    }
    let raw = |name: &str| q.and_then(|q| q.raw(name)).unwrap_or_default().to_string();
    let (status, form, errors, values, link_id) = match refused {
        Some(r) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            r.form,
            r.errors,
            r.values,
            r.link_id,
        ),
        None if search_error.is_some() => (
            StatusCode::BAD_REQUEST,
            "search",
            search_error.unwrap_or_default(),
            Map::new(),
            None,
        ),
        None => (StatusCode::OK, "", Map::new(), Map::new(), None),
    };
    Page::new(
        "components/disclosures.html",
        json!({
            "tree": tree(&d),
            "components": components,
            "factories": known,
            "choices": choices,
            "search": {
                "q": raw("q"), "country": raw("country"), "os_id": raw("os_id"),
                "done": d.found.is_some(),
                "count": d.found.as_ref().map_or(0, Vec::len),
            },
            "done": raw("done"),
            "form": form,
            "errors": errors,
            "values": values,
            "link_id": link_id,
        }),
    )
    .status(status)
    .render(viewer)
}

pub async fn page(
    state: web::Data<AppState>,
    viewer: Viewer,
    q: QueryParams,
) -> Result<HttpResponse, Error> {
    show(&state, &viewer, Some(&q), None).await
}

/// Answers a form: back to the page with a notice, or the page again with the problems by
/// the fields and the input kept. Errors that name no input (403, a 404 outside the form)
/// become the error page.
async fn answer<T>(
    state: &AppState,
    viewer: &Viewer,
    result: Result<T, Error>,
    form: &'static str,
    data: &FormData,
    link_id: Option<String>,
    done: &str,
) -> Result<HttpResponse, Error> {
    match result {
        Ok(_) => Ok(see_other(done)),
        Err(e) => {
            let Some(errors) = field_errors(&e) else {
                return Err(e);
            };
            let refused = Refused {
                form,
                errors,
                values: data.values(),
                link_id,
            };
            show(state, viewer, None, Some(refused)).await
        }
    }
}

/// A blank optional field is absent, as in the API.
fn optional(form: &FormData, name: &str) -> Value {
    form.text(name).map_or(Value::Null, |v| json!(v))
}

pub async fn add_component(
    state: web::Data<AppState>,
    viewer: Viewer,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, Error> {
    let form = viewer.form(&req, &body)?;
    let caller = contractor(&viewer)?;
    let now = viewer.now;
    let input: Result<NewComponent, Error> = typed(json!({
        "name": form.get("name").unwrap_or_default(),
        "parent_id": optional(&form, "parent_id"),
    }));
    let result = match input {
        Ok(input) => {
            state
                .db
                .write(move |c| service::create(c, &caller, input, now))
                .await
        }
        Err(e) => Err(e),
    };
    let done = "/disclosures?done=component";
    answer(&state, &viewer, result, "component", &form, None, done).await
}

pub async fn add_link(
    state: web::Data<AppState>,
    viewer: Viewer,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, Error> {
    let form = viewer.form(&req, &body)?;
    let caller = contractor(&viewer)?;
    let now = viewer.now;
    // The tier is a number in the API's JSON; what is not a number is passed on as typed, for
    // the API's own message.
    let tier = form.get("tier").unwrap_or_default().trim();
    let tier = tier
        .parse::<i64>()
        .map_or_else(|_| json!(tier), |n| json!(n));
    let component = form
        .text("component_id")
        .and_then(|v| v.parse::<crate::values::ComponentId>().ok())
        .ok_or_else(|| Error::field("component_id", "choose one of your components"));
    let input: Result<NewSourcingLink, Error> = typed(json!({
        "factory_id": form.get("factory_id").unwrap_or_default(),
        "tier": tier,
        "valid_from": form.get("valid_from").unwrap_or_default(),
        "valid_to": optional(&form, "valid_to"),
    }));
    let policy = state.policy.clone();
    let result = match (component, input) {
        (Ok(id), Ok(input)) => state
            .db
            .write(move |c| service::add_source(c, &caller, id, input, now, &policy))
            .await
            .map_err(|e| match e {
                Error::NotFound("component") => {
                    Error::field("component_id", "choose one of your components")
                }
                other => other,
            }),
        (Err(e), _) | (_, Err(e)) => Err(e),
    };
    let done = "/disclosures?done=link";
    answer(&state, &viewer, result, "link", &form, None, done).await
}

pub async fn end_link(
    state: web::Data<AppState>,
    viewer: Viewer,
    req: HttpRequest,
    id: web::Path<SourcingLinkId>,
    body: web::Bytes,
) -> Result<HttpResponse, Error> {
    let form = viewer.form(&req, &body)?;
    let caller = contractor(&viewer)?;
    let id = id.into_inner();
    let input: Result<EndSourcingLink, Error> =
        typed(json!({ "valid_to": form.get("valid_to").unwrap_or_default() }));
    let now = viewer.now;
    let policy = state.policy.clone();
    let result = match input {
        Ok(input) => {
            state
                .db
                .write(move |c| service::end_source(c, &caller, id, input, now, &policy))
                .await
        }
        Err(e) => Err(e),
    };
    let done = "/disclosures?done=ended";
    let link = Some(id.to_string());
    answer(&state, &viewer, result, "end", &form, link, done).await
}

pub async fn add_factory(
    state: web::Data<AppState>,
    viewer: Viewer,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, Error> {
    let form = viewer.form(&req, &body)?;
    let caller = contractor(&viewer)?;
    let now = viewer.now;
    let input: Result<NewFactory, Error> = typed(json!({
        "name": form.get("name").unwrap_or_default(),
        "address": form.get("address").unwrap_or_default(),
        "country": form.get("country").unwrap_or_default().trim().to_uppercase(),
        "os_id": optional(&form, "os_id"),
    }));
    let result = match input {
        // A concurrent registration of the same factory is retried, as the API does: the
        // next attempt finds it and answers the conflict naming it.
        Ok(input) => {
            let mut result = Err(Error::Retry);
            for _ in 0..3 {
                let (caller, input) = (caller, input.clone());
                result = state
                    .db
                    .write(move |c| factories::create(c, &caller, input, now))
                    .await;
                if !matches!(result, Err(Error::Retry)) {
                    break;
                }
            }
            result
        }
        Err(e) => Err(e),
    };
    // Back with the new factory found by its name, so the link form offers it.
    let name: String = url::form_urlencoded::byte_serialize(
        form.get("name").unwrap_or_default().trim().as_bytes(),
    )
    .collect();
    let done = format!("/disclosures?done=factory&q={name}#form-link");
    answer(&state, &viewer, result, "factory", &form, None, &done).await
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(undocumented("/disclosures").get(page));
    cfg.service(undocumented("/disclosures/components").post(add_component));
    cfg.service(undocumented("/disclosures/links").post(add_link));
    cfg.service(undocumented("/disclosures/links/{id}/end").post(end_link));
    cfg.service(undocumented("/disclosures/factories").post(add_factory));
}
