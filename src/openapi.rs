//! The OpenAPI document, generated from the handlers' annotations, and the page that shows it.
//! Error answers common to many endpoints are added here in one pass, so each handler only
//! documents what is particular to it.

use actix_web::{web, HttpResponse};
use utoipa::openapi::path::Operation;
use utoipa::openapi::response::{Response, ResponseBuilder};
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{Content, Ref, RefOr};
use utoipa::{Modify, OpenApi};
use utoipa_swagger_ui::{Config as SwaggerConfig, SwaggerUi};

use crate::error::{FieldError, Problem};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "ketenzorg",
        description = "Supply-chain due diligence for public ICT procurement: contractors disclose \
            factories, monitors file findings, cases run against deadlines.",
    ),
    paths(
        crate::http::healthz,
        crate::http::readyz,
        crate::organizations::http::create,
        crate::organizations::http::list,
        crate::organizations::http::get,
        crate::organizations::http::update,
        crate::auth::http::create,
        crate::auth::http::list,
        crate::auth::http::revoke,
        crate::auth::http::me,
        crate::factories::http::create,
        crate::factories::http::list,
        crate::factories::http::get,
        crate::factories::http::update,
        crate::components::http::create,
        crate::components::http::list,
        crate::components::http::get,
        crate::components::http::update,
        crate::components::http::add_source,
        crate::components::http::list_sources,
        crate::contracts::http::create,
        crate::contracts::http::list,
        crate::contracts::http::get,
        crate::contracts::http::add_item,
        crate::findings::http::create,
        crate::findings::http::list,
        crate::findings::http::get,
        crate::cases::http::list,
        crate::cases::http::get,
        crate::cases::http::events,
        crate::cases::http::transition,
        crate::cases::http::comment,
        crate::cases::http::extend,
        crate::notifications::http::list,
        crate::notifications::http::requeue,
        crate::notifications::http::suppressions,
        crate::notifications::http::clear,
        crate::due_diligence::http::contract,
        crate::due_diligence::http::portfolio,
    ),
    components(schemas(Problem, FieldError)),
    modifiers(&CommonResponses),
    tags(
        (name = "organizations", description = "Buyers, contractors, monitors and the operator"),
        (name = "tokens", description = "API tokens and who am I"),
        (name = "factories", description = "Factories, deduplicated across contracts"),
        (name = "components", description = "Products and components: the bill of materials and where it is made"),
        (name = "contracts", description = "Contracts and the components they cover"),
        (name = "findings", description = "Findings filed by monitors, routed to responsible contractors"),
        (name = "cases", description = "One case per finding and responsible contractor: lifecycle, history, deadlines"),
        (name = "due-diligence", description = "Per contract and per portfolio: coverage, cases, response times, status"),
        (name = "notifications", description = "The mail outbox and the suppression list (admins)"),
        (name = "operations", description = "Liveness and readiness"),
    )
)]
pub struct ApiDoc;

struct CommonResponses;

fn problem(description: &str) -> RefOr<Response> {
    ResponseBuilder::new()
        .description(description)
        .content(
            "application/problem+json",
            Content::new(Some(Ref::from_schema_name("Problem"))),
        )
        .build()
        .into()
}

impl Modify for CommonResponses {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
        for (path, item) in openapi.paths.paths.iter_mut() {
            if !path.starts_with("/api/v1/") {
                continue;
            }
            let has_id = path.contains('{');
            let ops: [(&mut Option<Operation>, bool); 5] = [
                (&mut item.get, false),
                (&mut item.delete, false),
                (&mut item.post, true),
                (&mut item.put, true),
                (&mut item.patch, true),
            ];
            for (op, _) in ops {
                let Some(op) = op.as_mut() else { continue };
                let has_body = op.request_body.is_some();
                op.security = Some(vec![SecurityRequirement::new(
                    "bearer",
                    Vec::<String>::new(),
                )]);
                let mut add = |status: &str, description: &str| {
                    op.responses
                        .responses
                        .entry(status.to_string())
                        .or_insert_with(|| problem(description));
                };
                add(
                    "400",
                    "Malformed request: bad JSON, query parameter or path id",
                );
                add("401", "Missing, invalid or revoked token");
                add("403", "Not allowed for the caller's role");
                add("503", "Database unavailable; retry later");
                if has_id {
                    add("404", "No such object within the caller's reach");
                }
                if has_body {
                    add("413", "Request body too large");
                    add("415", "Body is not application/json");
                    add("422", "Invalid input; `errors` names the fields");
                }
            }
        }
    }
}

#[utoipa::path(get, path = "/api/v1/openapi.json", tag = "operations",
    responses((status = 200, description = "This document", content_type = "application/json")))]
pub async fn serve() -> HttpResponse {
    HttpResponse::Ok().json(ApiDoc::openapi())
}

/// `/docs` renders the document with Swagger UI (its files are built into the binary).
pub fn docs_ui(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/docs").get(|| async {
        HttpResponse::PermanentRedirect()
            .insert_header(("Location", "/docs/"))
            .finish()
    }))
    .service(SwaggerUi::new("/docs/{_:.*}").config(SwaggerConfig::new(["/api/v1/openapi.json"])));
}
