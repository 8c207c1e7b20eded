//! The HTTP layer: application state, documented resources, the caller extractor, the request
//! log, health checks and the error handlers that keep every answer to bad input a
//! problem+json 4xx. Domains build on it; it mounts none of them (`crate::routes` does).

pub mod caller;
pub mod extract;
pub mod known_params;
pub mod upload;

use std::sync::Arc;
use std::time::Instant;

use actix_web::dev::{Service, ServiceResponse};
use actix_web::http::{header, Method};
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Serialize;
use tracing::Instrument;
use utoipa::openapi::path::{HttpMethod, PathItem, Paths};
use utoipa::openapi::{RefOr, Schema};
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
    pub sign_in_limits: Arc<crate::auth::limiter::SignInLimits>,
    /// Where evidence files are kept.
    pub files: crate::files::store::FileStore,
}

/// 201 with a `Location` header.
pub fn created<T: Serialize>(location: String, body: &T) -> HttpResponse {
    HttpResponse::Created()
        .insert_header((header::LOCATION, location))
        .json(body)
}

/// Every request runs in a `request` span (method, path and a request id of its own), entered
/// for the whole service call: the handler's span (its `case_id` or `finding_id`), the error
/// lines and the work sent to the database pool are inside it, so one request's lines can be
/// followed together. The span ends with one line: status and duration.
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
    let path = req.path().to_owned();
    // At warn level, so that a warning or an error says which request it belongs to even when
    // the log shows nothing below warn (the span itself prints no line).
    let span = tracing::warn_span!(
        "request",
        method = %req.method(),
        path = %path,
        id = %uuid::Uuid::new_v4().simple(),
    );
    // Middleware and handlers may do work when called, not only when polled.
    let fut = span.in_scope(|| srv.call(req));
    async move {
        let mut res = fut.await?;
        secure_headers(&path, res.headers_mut());
        tracing::info!(
            status = res.status().as_u16(),
            duration_ms = format!("{:.2}", start.elapsed().as_secs_f64() * 1000.0),
            "request"
        );
        Ok(res)
    }
    .instrument(span)
}
/// The policy of the web interface's pages: scripts, styles and images from this service only,
/// nothing inline, no framing, forms posted back here only.
pub const PAGE_CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// Headers that keep browsers from doing anything clever with our answers. The API serves
/// JSON, CSV and problem documents only: nothing may be framed, sniffed, cached or run; the
/// /docs page needs its own scripts and styles, the web interface's pages those of /assets. No CORS headers are sent: browsers on other
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
    } else if path.starts_with("/assets/") {
        // The stylesheet and script change only with the binary (`web::assets` sets caching).
        set(
            h,
            "content-security-policy",
            "default-src 'none'; frame-ancestors 'none'",
        );
    } else if path.starts_with("/api/") {
        set(
            h,
            "content-security-policy",
            "default-src 'none'; frame-ancestors 'none'",
        );
        set(h, "cache-control", "no-store");
    } else {
        // The web interface's pages: scripts and styles from /assets only, no inline script;
        // pages show case data, which must not stay in a shared computer's cache.
        set(h, "content-security-policy", PAGE_CONTENT_SECURITY_POLICY);
        set(h, "cache-control", "no-store");
    }
}

/// A resource whose unsupported methods answer 405 as problem+json with an `Allow` header
/// naming the methods it does take (RFC 9110 requires the header on every 405).
///
/// Each handler comes with its `#[utoipa::path]` description (the `__path_<handler>` type the
/// attribute generates), and the route is made from it: its path and method are the
/// documented ones, and the resource hands its operations to the OpenAPI document when it is
/// mounted (`utoipa_actix_web`). A route therefore cannot exist without its entry in the
/// document, nor differ from it, and the `Allow` header cannot drift from either.
pub fn resource<F, Args, D>(handler: F, doc: D) -> Resource
where
    F: actix_web::Handler<Args>,
    Args: actix_web::FromRequest + 'static,
    F::Output: actix_web::Responder + 'static,
    D: Documented,
{
    let path = D::path();
    Resource {
        inner: web::resource(path.as_str()),
        path,
        methods: Vec::new(),
        paths: Paths::new(),
        schemas: Vec::new(),
    }
    .and(handler, doc)
}

/// What `#[utoipa::path]` generates for a handler: its path, method and operation, and the
/// schemas the operation names.
pub trait Documented:
    utoipa::Path + utoipa::__dev::SchemaReferences + for<'t> utoipa::__dev::Tags<'t>
{
}

impl<T> Documented for T where
    T: utoipa::Path + utoipa::__dev::SchemaReferences + for<'t> utoipa::__dev::Tags<'t>
{
}

type Schemas = Vec<(String, RefOr<Schema>)>;

pub struct Resource {
    inner: actix_web::Resource,
    path: String,
    methods: Vec<&'static str>,
    paths: Paths,
    schemas: Schemas,
}

impl Resource {
    /// Another method of the same path. Panics, when the routes are mounted, if the handler
    /// is documented at another path, with other than one method, or with a method the
    /// resource already has: a mistake in the routes, which every test would show.
    pub fn and<F, Args, D>(mut self, handler: F, _doc: D) -> Self
    where
        F: actix_web::Handler<Args>,
        Args: actix_web::FromRequest + 'static,
        F::Output: actix_web::Responder + 'static,
        D: Documented,
    {
        assert_eq!(
            D::path(),
            self.path,
            "one resource, one path: {} is documented elsewhere",
            std::any::type_name::<D>()
        );
        let Ok([method]) = <[HttpMethod; 1]>::try_from(D::methods()) else {
            panic!(
                "{} must document exactly one method",
                std::any::type_name::<D>()
            );
        };
        let (name, actix_method) = match method {
            HttpMethod::Get => ("GET", Method::GET),
            HttpMethod::Post => ("POST", Method::POST),
            HttpMethod::Put => ("PUT", Method::PUT),
            HttpMethod::Patch => ("PATCH", Method::PATCH),
            HttpMethod::Delete => ("DELETE", Method::DELETE),
            HttpMethod::Head => ("HEAD", Method::HEAD),
            HttpMethod::Options => ("OPTIONS", Method::OPTIONS),
            HttpMethod::Trace => ("TRACE", Method::TRACE),
        };
        assert!(
            !self.methods.contains(&name),
            "{name} {} is routed twice",
            self.path
        );
        let mut operation = D::operation();
        let tags = D::tags();
        if !tags.is_empty() {
            let own = operation.tags.get_or_insert_with(Vec::new);
            own.extend(tags.into_iter().map(str::to_string));
        }
        self.paths.merge(
            Paths::builder()
                .path(self.path.clone(), PathItem::new(method, operation))
                .build(),
        );
        D::schemas(&mut self.schemas);
        self.inner = self.inner.route(web::method(actix_method).to(handler));
        self.methods.push(name);
        self
    }
}

impl utoipa_actix_web::OpenApiFactory for Resource {
    fn paths(&self) -> Paths {
        self.paths.clone()
    }

    fn schemas(&self, schemas: &mut Schemas) {
        schemas.extend(self.schemas.iter().cloned());
    }
}

impl actix_web::dev::HttpServiceFactory for Resource {
    fn register(self, config: &mut actix_web::dev::AppService) {
        refuse_other_methods(self.inner, self.methods).register(config)
    }
}

/// A resource that is not part of the API and so not in its document (the home page and the
/// document itself), with the same 405 answer.
pub fn undocumented(path: &str) -> Undocumented {
    Undocumented {
        inner: web::resource(path),
        methods: Vec::new(),
    }
}

pub struct Undocumented {
    inner: actix_web::Resource,
    methods: Vec<&'static str>,
}

impl Undocumented {
    pub fn get<F, Args>(mut self, handler: F) -> Self
    where
        F: actix_web::Handler<Args>,
        Args: actix_web::FromRequest + 'static,
        F::Output: actix_web::Responder + 'static,
    {
        self.inner = self.inner.get(handler);
        self.methods.push("GET");
        self
    }

    pub fn post<F, Args>(mut self, handler: F) -> Self
    where
        F: actix_web::Handler<Args>,
        Args: actix_web::FromRequest + 'static,
        F::Output: actix_web::Responder + 'static,
    {
        self.inner = self.inner.post(handler);
        self.methods.push("POST");
        self
    }
}

impl actix_web::dev::HttpServiceFactory for Undocumented {
    fn register(self, config: &mut actix_web::dev::AppService) {
        refuse_other_methods(self.inner, self.methods).register(config)
    }
}

fn refuse_other_methods(
    resource: actix_web::Resource,
    methods: Vec<&'static str>,
) -> actix_web::Resource {
    let allow = methods.join(", ");
    resource.default_service(web::to(move |req: HttpRequest| {
        let allow = allow.clone();
        async move {
            Err::<HttpResponse, _>(Error::MethodNotAllowed {
                method: req.method().to_string(),
                allow,
            })
        }
    }))
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
    // A browser goes to the web interface (its start page, or signing in).
    if wants_html {
        return HttpResponse::SeeOther()
            .insert_header((header::LOCATION, "/home"))
            .finish();
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

#[cfg(test)]
mod tests {
    use std::io::Write;
    use std::sync::{Arc, Mutex};

    use actix_web::{test, web, App, HttpResponse};

    /// Log output kept in memory.
    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl Write for Captured {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Captured {
        type Writer = Captured;

        fn make_writer(&'a self) -> Captured {
            self.clone()
        }
    }

    #[tracing::instrument(level = "warn", skip_all, fields(case_id = "case-1"))]
    async fn handler() -> HttpResponse {
        tracing::warn!("inside the handler");
        HttpResponse::Ok().finish()
    }

    /// The request id in a line's `request{...}` span, which every line of a request has.
    fn request_id(line: &str) -> &str {
        let span = line
            .split_once("request{")
            .unwrap_or_else(|| panic!("no request span in {line:?}"))
            .1;
        let span = &span[..span.find('}').unwrap()];
        span.split_once(" id=")
            .unwrap_or_else(|| panic!("no request id in {line:?}"))
            .1
    }

    #[actix_web::test]
    async fn each_request_logs_its_lines_in_a_span_of_its_own() {
        let out = Captured::default();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(out.clone())
            .with_ansi(false)
            .finish();
        let _guard = tracing::subscriber::set_default(subscriber);
        let app = test::init_service(
            App::new()
                .wrap_fn(super::log_request)
                .route("/cases/x", web::get().to(handler)),
        )
        .await;
        for _ in 0..2 {
            let res =
                test::call_service(&app, test::TestRequest::get().uri("/cases/x").to_request())
                    .await;
            assert_eq!(res.status(), 200);
        }
        let text = String::from_utf8(out.0.lock().unwrap().clone()).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 4, "{text}");
        for pair in lines.chunks(2) {
            let (inner, last) = (pair[0], pair[1]);
            assert!(inner.contains("method=GET path=/cases/x"), "{inner}");
            assert!(
                inner.contains("case_id=\"case-1\"") && inner.contains("inside the handler"),
                "{inner}"
            );
            assert!(last.contains("status=200"), "{last}");
            assert_eq!(request_id(inner), request_id(last), "{text}");
        }
        assert_ne!(request_id(lines[0]), request_id(lines[2]), "{text}");
    }
}
