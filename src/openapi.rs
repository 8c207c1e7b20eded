//! The OpenAPI document, generated from the handlers' annotations, and the page that shows it.
//! Its paths come from the routes as they are mounted (`crate::routes`, `http::resource`);
//! this module holds the rest: info, tags, schemas only parameters name, and the error
//! answers common to many endpoints, added in one pass so each handler only documents what
//! is particular to it.

use actix_web::{web, HttpResponse};
use utoipa::openapi::header::HeaderBuilder;
use utoipa::openapi::response::{Response, ResponseBuilder};
use utoipa::openapi::schema::{ObjectBuilder, Type};
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{Content, Ref, RefOr};
use utoipa::{Modify, OpenApi};
use utoipa_swagger_ui::{Config as SwaggerConfig, SwaggerUi};

use crate::error::{FieldError, Problem};

/// Everything but the paths; `complete` adds the common answers once the routes have added
/// theirs.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "ketenzorg",
        description = "Supply-chain due diligence for public ICT procurement: contractors disclose \
            factories, monitors file findings, cases run against deadlines.",
    ),
    // Schemas used only by parameters, which utoipa does not collect by itself.
    components(schemas(
        Problem,
        FieldError,
        crate::values::Email,
        crate::cases::http::CaseOrder,
        crate::due_diligence::http::PortfolioOrder,
        crate::factories::http::FactoryExportFormat,
    )),
    tags(
        (name = "organizations", description = "Buyers, contractors, monitors and the operator"),
        (name = "tokens", description = "API tokens and who am I"),
        (name = "factories", description = "Factories, deduplicated across contracts"),
        (name = "components", description = "Products and components: the bill of materials and where it is made"),
        (name = "contracts", description = "Contracts and the components they cover"),
        (name = "disclosures", description = "Disclosure lists as spreadsheets: import with a dry run, template, export"),
        (name = "findings", description = "Findings filed by monitors, routed to responsible contractors"),
        (name = "cases", description = "One case per finding and responsible contractor: lifecycle, history, deadlines"),
        (name = "files", description = "Evidence files on findings and cases: stored by SHA-256, checked from their content, scanned"),
        (name = "due-diligence", description = "Per contract and per portfolio: coverage, cases, response times, status"),
        (name = "notifications", description = "The mail outbox and the suppression list (admins)"),
        (name = "operations", description = "Liveness and readiness"),
    )
)]
pub struct ApiDoc;

struct CommonResponses;

fn problem(description: &str) -> Response {
    ResponseBuilder::new()
        .description(description)
        .content(
            "application/problem+json",
            Content::new(Some(Ref::from_schema_name("Problem"))),
        )
        .build()
}

fn with_header(mut response: Response, name: &str, pattern: &str, description: &str) -> Response {
    let header = HeaderBuilder::new()
        .schema(Some(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .pattern(Some(pattern)),
        ))
        .description(Some(description))
        .build();
    response.headers.insert(name.to_string(), header.into());
    response
}

/// Adds the error answers every authenticated operation can give, so each handler documents
/// only what is particular to it (its 403, 409, 412). Only statuses the code can give are
/// added: 400 (any operation may get an unknown query parameter), 404 where a path names an object, the body
/// errors where there is a body. An error answer a handler declares without content gets the
/// problem document.
impl Modify for CommonResponses {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(utoipa::openapi::security::ApiKey::Cookie(
                utoipa::openapi::security::ApiKeyValue::with_description(
                    "kz_session",
                    "A signed-in person's session (POST /auth/link); changes also send X-CSRF-Token",
                ),
            )),
        );
        for (path, item) in openapi.paths.paths.iter_mut() {
            let api = path.starts_with("/api/v1/");
            let has_id = path.contains('{');
            for op in [
                &mut item.get,
                &mut item.delete,
                &mut item.post,
                &mut item.put,
                &mut item.patch,
            ] {
                let Some(op) = op.as_mut() else { continue };
                for (status, response) in op.responses.responses.iter_mut() {
                    if let RefOr::T(r) = response {
                        let error = status.parse::<u16>().is_ok_and(|s| s >= 400);
                        if error && r.content.is_empty() {
                            *r = problem(&r.description);
                        }
                    }
                }
                let has_body = op.request_body.is_some();
                let mut add = |status: &str, response: Response| {
                    op.responses
                        .responses
                        .entry(status.to_string())
                        .or_insert_with(|| response.into());
                };
                // The sign-in routes: no token, but bad input and an unavailable database
                // answer as everywhere.
                if path.starts_with("/auth/") {
                    add(
                        "400",
                        problem(
                            "Malformed request: bad JSON or form, unknown or bad query parameter",
                        ),
                    );
                    add("503", problem("Database unavailable; retry later"));
                    if has_body {
                        add("413", problem("Request body too large"));
                        add("422", problem("Invalid input; `errors` names the fields"));
                    }
                    continue;
                }
                if !api {
                    continue;
                }
                op.security = Some(vec![
                    SecurityRequirement::new("bearer", Vec::<String>::new()),
                    SecurityRequirement::new("session", Vec::<String>::new()),
                ]);
                // Every operation refuses query parameters it does not know (http::known_params).
                add(
                    "400",
                    problem("Malformed request: bad JSON, unknown or bad query parameter, header or path id"),
                );
                add(
                    "401",
                    with_header(
                        problem("Missing, invalid or revoked token"),
                        "WWW-Authenticate",
                        "^Bearer ",
                        "`Bearer realm=\"ketenzorg\"`",
                    ),
                );
                add(
                    "429",
                    with_header(
                        problem("Too many failed authentications from this address"),
                        "Retry-After",
                        "^[0-9]+$",
                        "Seconds to wait",
                    ),
                );
                add(
                    "503",
                    with_header(
                        problem("Database unavailable; retry later"),
                        "Retry-After",
                        "^[0-9]+$",
                        "Seconds to wait",
                    ),
                );
                if has_id {
                    add("404", problem("No such object within the caller's reach"));
                }
                if has_body {
                    add("413", problem("Request body too large"));
                    add("415", problem("Body is not application/json"));
                    add("422", problem("Invalid input; `errors` names the fields"));
                }
            }
        }
    }
}

/// `ApiDoc` with the paths the routes registered: the error answers every operation shares are
/// added here, to the whole document.
pub fn complete(mut doc: utoipa::openapi::OpenApi) -> utoipa::openapi::OpenApi {
    CommonResponses.modify(&mut doc);
    doc
}

/// The document as it is served: its JSON, written once at start. The built document is tens
/// of thousands of small allocations (some 18 MiB); only its text is kept.
#[derive(Clone)]
pub struct Served(pub web::Bytes);

impl Served {
    pub fn new(doc: &utoipa::openapi::OpenApi) -> Result<Served, serde_json::Error> {
        Ok(Served(web::Bytes::from(serde_json::to_vec(doc)?)))
    }
}

/// `/api/v1/openapi.json`, the document the server was mounted with. It is no operation of the
/// API (it needs no token), so it is not in itself.
pub async fn serve(doc: web::Data<Served>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(actix_web::http::header::ContentType::json())
        .body(doc.0.clone())
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
