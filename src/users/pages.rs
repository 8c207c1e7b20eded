//! A person's own profile (name, language) and the language switch of every page.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::json;

use super::service;
use super::UserPatch;
use crate::error::Error;
use crate::http::extract::QueryParams;
use crate::http::{undocumented, AppState};
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
    let caller = viewer.caller.clone();
    let id = me(&viewer)?;
    let user = state
        .db
        .read(move |c| service::get(c, &caller, id))
        .await?;
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
    let caller = viewer.caller.clone();
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
            let caller = viewer.caller.clone();
            let user = state
                .db
                .read(move |c| service::get(c, &caller, id))
                .await?;
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
    let caller = viewer.caller.clone();
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

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(undocumented("/profile").get(profile).post(save_profile));
    cfg.service(undocumented("/profile/language").post(switch_language));
}
