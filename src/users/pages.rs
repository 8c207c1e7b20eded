//! A person's own profile (name, language) and the language switch of every page.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::json;

use std::collections::HashMap;

use super::service::{self, Invitation};
use super::{NewUser, UserPatch};
use crate::error::Error;
use crate::http::extract::QueryParams;
use crate::http::{undocumented, AppState};
use crate::organizations::service as organizations;
use crate::pagination::PageRequest;
use crate::values::OrganizationId;
use crate::web::viewer::{field_errors, typed};
use crate::web::{see_other, Page, Viewer};

fn me(viewer: &Viewer) -> Result<crate::values::UserId, Error> {
    viewer
        .caller
        .user
        .map(|u| u.id)
        .ok_or_else(|| Error::internal("a page without its user"))
}

pub async fn profile(
    state: web::Data<AppState>,
    viewer: Viewer,
    q: QueryParams,
) -> Result<HttpResponse, Error> {
    let caller = viewer.caller;
    let id = me(&viewer)?;
    let user = state.db.read(move |c| service::get(c, &caller, id)).await?;
    Page::new(
        "users/profile.html",
        json!({
            "user": user,
            "values": { "display_name": user.display_name, "language": user.language },
            "saved": q.raw("saved").is_some(),
        }),
    )
    .render(&viewer)
}

pub async fn save_profile(
    state: web::Data<AppState>,
    viewer: Viewer,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, Error> {
    let form = viewer.form(&req, &body)?;
    let id = me(&viewer)?;
    let caller = viewer.caller;
    let now = viewer.now;
    let patch: Result<UserPatch, Error> = typed(json!({
        "display_name": form.get("display_name").unwrap_or_default(),
        "language": form.get("language").unwrap_or_default(),
    }));
    let result = match patch {
        Ok(patch) => {
            state
                .db
                .write(move |c| service::update(c, &caller, id, patch, now))
                .await
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => Ok(see_other("/profile?saved=1")),
        Err(e) => {
            let Some(errors) = field_errors(&e) else {
                return Err(e);
            };
            let caller = viewer.caller;
            let user = state.db.read(move |c| service::get(c, &caller, id)).await?;
            Page::new(
                "users/profile.html",
                json!({ "user": user, "values": form.values(), "errors": errors }),
            )
            .status(StatusCode::UNPROCESSABLE_ENTITY)
            .render(&viewer)
        }
    }
}

/// The language switch in every page's header: changes the person's language, then back to
/// the page they were on.
pub async fn switch_language(
    state: web::Data<AppState>,
    viewer: Viewer,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, Error> {
    let form = viewer.form(&req, &body)?;
    let patch: UserPatch = typed(json!({ "language": form.get("language").unwrap_or_default() }))?;
    let id = me(&viewer)?;
    let caller = viewer.caller;
    let now = viewer.now;
    state
        .db
        .write(move |c| service::update(c, &caller, id, patch, now))
        .await?;
    let next = form
        .get("next")
        .and_then(crate::web::local_path)
        .unwrap_or("/home");
    Ok(see_other(next))
}

// The users of an organization, for its managers and the admin: invite, deactivate and
// reactivate. The list and every change are the API's (`service::list`, `create`, `update`),
// so who sees and changes whom is decided there.

/// Only those who manage users use these pages; a member gets 403.
fn manager(viewer: &Viewer) -> Result<(), Error> {
    if viewer
        .caller
        .manages_users_of(viewer.caller.organization_id)
    {
        Ok(())
    } else {
        Err(Error::Forbidden(
            "only a manager of the organization (or the admin) manages its users".into(),
        ))
    }
}

/// A failed invitation or change: its messages and what was typed.
#[derive(Default)]
struct Refused {
    form: &'static str,
    errors: serde_json::Map<String, serde_json::Value>,
    values: serde_json::Map<String, serde_json::Value>,
}

async fn show_users(
    state: &AppState,
    viewer: &Viewer,
    q: &QueryParams,
    refused: Option<Refused>,
) -> Result<HttpResponse, Error> {
    manager(viewer)?;
    let page = q.page()?;
    let filter = q.get::<OrganizationId>("organization_id")?;
    let caller = viewer.caller;
    let (list, organizations) = state
        .db
        .read(move |c| {
            let list = service::list(c, &caller, filter, &page)?;
            // Names for the list and the admin's choice of organization; a manager sees only
            // its own organization.
            let orgs = if caller.is_admin() {
                organizations::list(
                    c,
                    &caller,
                    None,
                    &PageRequest::first(PageRequest::MAX_LIMIT),
                )?
                .items
            } else {
                vec![organizations::get(c, &caller, caller.organization_id)?]
            };
            Ok((list, orgs))
        })
        .await?;
    let names: HashMap<String, String> = organizations
        .iter()
        .map(|o| (o.id.to_string(), o.name.clone()))
        .collect();
    let me = viewer.caller.user.map(|u| u.id.to_string());
    let users: Vec<serde_json::Value> = list
        .items
        .into_iter()
        .map(|u| {
            let org = u.organization_id.to_string();
            json!({
                "user": u,
                "organization": names.get(&org).cloned().unwrap_or(org),
                "myself": me.as_deref() == Some(u.id.to_string().as_str()),
            })
        })
        .collect();
    let refused = refused.unwrap_or_default();
    let status = if refused.form.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Page::new(
        "admin/users.html",
        json!({
            "users": users,
            "next_cursor": list.next_cursor,
            "organization_id": filter,
            "organizations": organizations,
            "admin": viewer.caller.is_admin(),
            "done": q.raw("done"),
            "form": refused.form,
            "errors": refused.errors,
            "values": refused.values,
        }),
    )
    .status(status)
    .render(viewer)
}

pub async fn users(
    state: web::Data<AppState>,
    viewer: Viewer,
    q: QueryParams,
) -> Result<HttpResponse, Error> {
    show_users(&state, &viewer, &q, None).await
}

/// Invites a person: the user is created and the sign-in link mailed, as `POST /api/v1/users`.
pub async fn invite(
    state: web::Data<AppState>,
    viewer: Viewer,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, Error> {
    let form = viewer.form(&req, &body)?;
    manager(&viewer)?;
    let optional = |name: &str| {
        form.text(name)
            .map_or(serde_json::Value::Null, |v| json!(v))
    };
    let input: Result<NewUser, Error> = typed(json!({
        "email": form.get("email").unwrap_or_default().trim(),
        "display_name": form.get("display_name").unwrap_or_default(),
        "language": optional("language"),
        "role": optional("role"),
        "organization_id": optional("organization_id"),
    }));
    let caller = viewer.caller;
    let now = viewer.now;
    let public_url = state.config.mail.public_url.clone();
    let result = match input {
        Ok(input) => {
            state
                .db
                .write(move |c| {
                    let invitation = Invitation {
                        public_url: &public_url,
                        now,
                    };
                    service::create(c, &caller, input, invitation)
                })
                .await
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(user) => Ok(see_other(&format!(
            "/admin/users?done=invited&organization_id={}",
            user.organization_id
        ))),
        Err(e) => {
            // The admin's unknown organization is the form's problem, not a missing page.
            let e = match e {
                Error::NotFound("organization") => {
                    Error::field("organization_id", "no organization with this id")
                }
                other => other,
            };
            let Some(errors) = field_errors(&e) else {
                return Err(e);
            };
            let refused = Refused {
                form: "invite",
                errors,
                values: form.values(),
            };
            let q = QueryParams::from_request(&req)?;
            show_users(&state, &viewer, &q, Some(refused)).await
        }
    }
}

/// Deactivates (`active=false`) or reactivates (`active=true`) a user.
pub async fn set_active(
    state: web::Data<AppState>,
    viewer: Viewer,
    req: HttpRequest,
    id: web::Path<crate::values::UserId>,
    body: web::Bytes,
) -> Result<HttpResponse, Error> {
    let form = viewer.form(&req, &body)?;
    manager(&viewer)?;
    let id = id.into_inner();
    let active = match form.get("active") {
        Some("true") => true,
        Some("false") => false,
        _ => return Err(Error::field("active", "true or false")),
    };
    let patch: UserPatch = typed(json!({ "active": active }))?;
    let caller = viewer.caller;
    let now = viewer.now;
    let result = state
        .db
        .write(move |c| service::update(c, &caller, id, patch, now))
        .await;
    match result {
        Ok(user) => {
            let done = if active { "reactivated" } else { "deactivated" };
            Ok(see_other(&format!(
                "/admin/users?done={done}&organization_id={}",
                user.organization_id
            )))
        }
        Err(e) => {
            let Some(errors) = field_errors(&e) else {
                return Err(e);
            };
            let refused = Refused {
                form: "active",
                errors,
                values: form.values(),
            };
            let q = QueryParams::from_request(&req)?;
            show_users(&state, &viewer, &q, Some(refused)).await
        }
    }
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(undocumented("/profile").get(profile).post(save_profile));
    cfg.service(undocumented("/profile/language").post(switch_language));
    cfg.service(undocumented("/admin/users").get(users).post(invite));
    cfg.service(undocumented("/admin/users/{id}/active").post(set_active));
}
