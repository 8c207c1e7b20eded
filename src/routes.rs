//! Every route of the service, mounted on an actix `App` together with its OpenAPI entry:
//! the document is what this registration collects (`utoipa_actix_web`), so a route cannot
//! be served without being documented. Only `server` uses this module; the HTTP layer
//! (`crate::http`) names no domain.

use actix_web::dev::ServiceRequest;
use actix_web::{web, App};
use utoipa::OpenApi;
use utoipa_actix_web::{scope, AppExt, UtoipaApp};

use crate::error::Error;
use crate::http::{self, __path_healthz, __path_readyz, healthz, readyz};
use crate::openapi::{self, ApiDoc};

/// Mounts every route on `app`, collecting the paths of the OpenAPI document.
pub fn mount<T>(app: UtoipaApp<T>) -> UtoipaApp<T>
where
    T: actix_web::dev::ServiceFactory<
        ServiceRequest,
        Config = (),
        Error = actix_web::Error,
        InitError = (),
    >,
{
    app.app_data(web::PathConfig::default().error_handler(|err, _req| {
        Error::bad_param("id", format!("the path does not name a valid id: {err}")).into()
    }))
    // The home page is no operation of the API.
    .map(|app| app.service(http::undocumented("/").get(http::home)))
    .service(http::resource(healthz, __path_healthz))
    .service(http::resource(readyz, __path_readyz))
    .configure(crate::auth::web::routes)
    .service(
        scope::scope("/api/v1")
            .configure(crate::organizations::http::routes)
            .configure(crate::ocds::http::routes)
            .configure(crate::auth::http::routes)
            .configure(crate::users::http::routes)
            .configure(crate::factories::http::routes)
            .configure(crate::components::http::routes)
            .configure(crate::contracts::http::routes)
            .configure(crate::disclosures::http::routes)
            .configure(crate::findings::http::routes)
            .configure(crate::cases::http::routes)
            .configure(crate::files::http::routes)
            .configure(crate::notifications::http::routes)
            .configure(crate::due_diligence::http::routes)
            .configure(crate::due_diligence::factories_export::routes)
            .configure(crate::scorecards::http::routes)
            .configure(crate::reports::http::routes)
            .configure(crate::leverage::http::routes)
            // The document itself needs no token and is no operation in it.
            .map(|scope| scope.service(http::undocumented("/openapi.json").get(openapi::serve))),
    )
    .map(|app| app.configure(openapi::docs_ui))
    // The web interface: pages are no operations of the API. Mounted last, so that its
    // catch-all scope only gets what nothing above took (and a browser gets a 404 page).
    .map(|app| {
        app.service(web::resource("/assets/{path:.*}").get(crate::web::assets::serve))
            .service(
                web::scope("")
                    .configure(crate::auth::pages::routes)
                    .configure(crate::users::pages::routes)
                    .configure(crate::components::pages::routes)
                    .configure(crate::disclosures::pages::routes)
                    .configure(crate::organizations::pages::routes)
                    .configure(crate::auth::token_pages::routes)
                    .configure(crate::notifications::pages::routes)
                    .configure(crate::cases::pages::routes)
                    .configure(crate::due_diligence::pages::routes)
                    .configure(crate::scorecards::pages::routes)
                    .configure(crate::reports::pages::routes)
                    .configure(crate::leverage::pages::routes)
                    .configure(crate::findings::pages::routes),
            )
    })
}

/// The OpenAPI document of the service: `ApiDoc` with the paths `mount` registers.
pub fn document() -> utoipa::openapi::OpenApi {
    let (_, doc) = mount(App::new().into_utoipa_app().openapi(ApiDoc::openapi())).split_for_parts();
    openapi::complete(doc)
}
