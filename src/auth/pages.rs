//! Pages of signing in that need a session: the start page (each kind of organization starts
//! where its work is) and signing out from a form.

use actix_web::cookie::Cookie;
use actix_web::{web, HttpRequest, HttpResponse};

use super::sessions::{self, COOKIE};
use crate::error::Error;
use crate::http::{undocumented, AppState};
use crate::values::OrgKind;
use crate::web::{see_other, Viewer};

/// Where each kind of organization's work starts.
pub async fn home(viewer: Viewer) -> HttpResponse {
    let start = match viewer.caller.kind {
        OrgKind::Buyer => "/contracts",
        OrgKind::Contractor => "/cases",
        OrgKind::Monitor => "/findings",
        OrgKind::Admin => "/admin/organizations",
    };
    see_other(start)
}

/// Ends this session (the form in every page's header).
pub async fn sign_out(
    state: web::Data<AppState>,
    viewer: Viewer,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, Error> {
    viewer.form(&req, &body)?;
    let id = viewer.session.session_id;
    let now = state.clock.now_naive();
    state
        .db
        .write(move |c| sessions::revoke(c, id, now))
        .await?;
    let mut gone = Cookie::build(COOKIE, "").path("/").finish();
    gone.make_removal();
    let mut res = see_other(&format!("/auth/sign-in?lang={}", viewer.lang.as_str()));
    res.add_cookie(&gone)
        .map_err(|e| Error::internal(format!("clearing the cookie: {e}")))?;
    Ok(res)
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(undocumented("/home").get(home));
    cfg.service(undocumented("/sign-out").post(sign_out));
}
