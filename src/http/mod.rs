//! The HTTP layer: application state, routes, the request log, health checks and the error
//! handlers that keep every answer to bad input a problem+json 4xx.

pub mod extract;
pub mod known_params;

use std::sync::Arc;
use std::time::Instant;

use actix_web::dev::{Service, ServiceResponse};
use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Serialize;
use utoipa::ToSchema;

use crate::clock::Clock;
use crate::config::Config;
use crate::db::Db;
use crate::error::Error;
use crate::escalation::Policy;

/// Shared by every request.
pub struct AppState {
    pub db: Db,
    pub config: Arc<Config>,
    pub clock: Clock,
    pub policy: Arc<Policy>,
    pub auth_limiter: Arc<crate::auth::limiter::FailedAuthLimiter>,
}

/// 201 with a `Location` header.
pub fn created<T: Serialize>(location: String, body: &T) -> HttpResponse {
    HttpResponse::Created()
        .insert_header((header::LOCATION, location))
        .json(body)
}

/// Everything the service answers, mounted on an actix `App`.
pub fn configure(state: web::Data<AppState>) -> impl FnOnce(&mut web::ServiceConfig) {
    move |cfg: &mut web::ServiceConfig| {
        cfg.app_data(state)
            .app_data(web::PathConfig::default().error_handler(|err, _req| {
                Error::bad_param("id", format!("the path does not name a valid id: {err}")).into()
            }))
            .service(resource("/").get(home))
            .service(resource("/healthz").get(healthz))
            .service(resource("/readyz").get(readyz))
            .service(
                web::scope("/api/v1")
                    .configure(crate::organizations::http::routes)
                    .configure(crate::auth::http::routes)
                    .configure(crate::factories::http::routes)
                    .configure(crate::components::http::routes)
                    .configure(crate::contracts::http::routes)
                    .configure(crate::findings::http::routes)
                    .configure(crate::cases::http::routes)
                    .configure(crate::notifications::http::routes)
                    .configure(crate::due_diligence::http::routes)
                    .service(resource("/openapi.json").get(crate::openapi::serve)),
            )
            .configure(crate::openapi::docs_ui);
    }
}

/// One log line per request: method, path, status and duration.
pub fn log_request<S, B>(
    req: actix_web::dev::ServiceRequest,
    srv: &S,
) -> impl std::future::Future<Output = Result<ServiceResponse<B>, actix_web::Error>>
where
    S: Service<
        actix_web::dev::ServiceRequest,
        Response = ServiceResponse<B>,
        Error = actix_web::Error,
    >,
{
    let start = Instant::now();
    let method = req.method().clone();
    let path = req.path().to_owned();
    let fut = srv.call(req);
    async move {
        let mut res = fut.await?;
        secure_headers(&path, res.headers_mut());
        tracing::info!(
            %method,
            %path,
            status = res.status().as_u16(),
            duration_ms = format!("{:.2}", start.elapsed().as_secs_f64() * 1000.0),
            "request"
        );
        Ok(res)
    }
}

/// Headers that keep browsers from doing anything clever with our answers. The API serves
/// JSON, CSV and problem documents only: nothing may be framed, sniffed, cached or run; the
/// /docs page needs its own scripts and styles. No CORS headers are sent: browsers on other
/// origins cannot call the API.
fn secure_headers(path: &str, h: &mut actix_web::http::header::HeaderMap) {
    use actix_web::http::header::{HeaderName, HeaderValue};
    let set = |h: &mut actix_web::http::header::HeaderMap, k: &'static str, v: &'static str| {
        h.insert(HeaderName::from_static(k), HeaderValue::from_static(v));
    };
    set(h, "x-content-type-options", "nosniff");
    set(h, "x-frame-options", "DENY");
    set(h, "referrer-policy", "no-referrer");
    if path.starts_with("/docs") {
        set(h, "content-security-policy", "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self' 'unsafe-inline'; frame-ancestors 'none'");
    } else {
        set(
            h,
            "content-security-policy",
            "default-src 'none'; frame-ancestors 'none'",
        );
        set(h, "cache-control", "no-store");
    }
}

/// A resource whose unsupported methods answer 405 as problem+json with an `Allow` header
/// naming the methods it does take (RFC 9110 requires the header on every 405). The methods
/// are collected as handlers are added, so the header cannot drift from the routes.
pub fn resource(path: &str) -> Resource {
    Resource {
        inner: web::resource(path),
        methods: Vec::new(),
    }
}

pub struct Resource {
    inner: actix_web::Resource,
    methods: Vec<&'static str>,
}

macro_rules! method_route {
    ($($name:ident => $method:literal),* $(,)?) => {
        impl Resource {
            $(
                pub fn $name<F, Args>(mut self, handler: F) -> Self
                where
                    F: actix_web::Handler<Args>,
                    Args: actix_web::FromRequest + 'static,
                    F::Output: actix_web::Responder + 'static,
                {
                    self.inner = self.inner.$name(handler);
                    self.methods.push($method);
                    self
                }
            )*
        }
    };
}

method_route!(get => "GET", post => "POST", patch => "PATCH", delete => "DELETE");

impl actix_web::dev::HttpServiceFactory for Resource {
    fn register(self, config: &mut actix_web::dev::AppService) {
        let allow = self.methods.join(", ");
        self.inner
            .default_service(web::to(move |req: HttpRequest| {
                let allow = allow.clone();
                async move {
                    Err::<HttpResponse, _>(Error::MethodNotAllowed {
                        method: req.method().to_string(),
                        allow,
                    })
                }
            }))
            .register(config)
    }
}

/// Answers routes that do not exist, and methods a route does not take, with problem+json.
pub async fn no_route(req: HttpRequest) -> Result<HttpResponse, Error> {
    Err(Error::NotFound(if req.path().starts_with("/api/") {
        "endpoint"
    } else {
        "page"
    }))
}

/// What this is, for someone who opens the address in a browser or with curl: the API's
/// documentation and document, until the web interface is built.
pub async fn home(req: HttpRequest) -> HttpResponse {
    let wants_html = req
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/html"));
    if wants_html {
        return HttpResponse::Ok()
            .content_type("text/html; charset=utf-8")
            .body(HOME_HTML);
    }
    HttpResponse::Ok().json(serde_json::json!({
        "service": "ketenzorg",
        "version": env!("CARGO_PKG_VERSION"),
        "description": HOME_TEXT,
        "links": {
            "documentation": "/docs/",
            "openapi": "/api/v1/openapi.json",
            "health": "/healthz",
        },
    }))
}

/// One description for the JSON and the HTML answer (a macro, so `concat!` can use it).
macro_rules! home_text {
    () => {
        "Supply-chain due diligence for public ICT procurement: contractors disclose the \
         factories behind their contracts, monitors file labour-condition findings, each \
         finding becomes a case for every responsible contractor, with deadlines and \
         escalation, and buyers see the due-diligence status of each contract."
    };
}

const HOME_TEXT: &str = home_text!();

const HOME_HTML: &str = concat!(
    "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n",
    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n",
    "<title>ketenzorg</title>\n</head>\n<body>\n<main>\n<h1>ketenzorg</h1>\n<p>",
    home_text!(),
    "</p>\n",
    "<p>This address serves the API; every call needs a bearer token.</p>\n<ul>\n",
    "<li><a href=\"/docs/\">API documentation</a> (try calls in the browser)</li>\n",
    "<li><a href=\"/api/v1/openapi.json\">OpenAPI document</a></li>\n",
    "<li><a href=\"/healthz\">Health</a></li>\n</ul>\n</main>\n</body>\n</html>\n"
);

#[derive(Serialize, ToSchema)]
pub struct Health {
    pub status: &'static str,
}

#[utoipa::path(get, path = "/healthz", tag = "operations",
    responses((status = 200, description = "The process is alive", body = Health)))]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(Health { status: "ok" })
}

#[utoipa::path(get, path = "/readyz", tag = "operations",
    responses(
        (status = 200, description = "The database answers and is migrated", body = Health),
        (status = 503, description = "Not ready", body = crate::error::Problem, content_type = "application/problem+json"),
    ))]
pub async fn readyz(state: web::Data<AppState>) -> Result<HttpResponse, Error> {
    state.db.ready().await?;
    Ok(HttpResponse::Ok().json(Health { status: "ready" }))
}
