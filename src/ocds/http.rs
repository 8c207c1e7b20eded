//! The HTTP handler for organizations' identifiers (the import itself is a contracts route,
//! `crate::contracts::http::import`).

use actix_web::{web, HttpResponse};
use utoipa_actix_web::service_config::ServiceConfig;

use super::identifiers::{self, Identifiers};
use crate::auth::Caller;
use crate::error::Error;
use crate::http::extract::JsonBody;
use crate::http::{resource, AppState};
use crate::values::OrganizationId;

#[utoipa::path(put, path = "/organizations/{id}/identifiers", tag = "organizations",
    params(("id" = OrganizationId, Path)),
    request_body = Identifiers,
    responses(
        (status = 200, description = "The organization's identifiers, replaced", body = Identifiers),
        (status = 403, description = "Only admins set identifiers"),
        (status = 409, description = "An identifier already names another organization"),
    ))]
pub async fn replace(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<OrganizationId>,
    JsonBody(input): JsonBody<Identifiers>,
) -> Result<HttpResponse, Error> {
    let id = id.into_inner();
    let now = state.clock.now_naive();
    let list = state
        .db
        .write(move |c| identifiers::replace(c, &caller, id, input, now))
        .await?;
    Ok(HttpResponse::Ok().json(list))
}

/// Mounted under `/api/v1`.
pub fn routes(cfg: &mut ServiceConfig) {
    // No GET beside it: schemathesis 4.32 infers a broken link from POST /organizations when
    // /organizations/{id}/identifiers has one (CI's schema fuzzing fails on it). The PUT
    // answers the list it leaves.
    cfg.service(resource(replace, __path_replace));
}
