//! What every page answer carries, and what a browser sees when a page fails.
//!
//! A failure answered to a browser becomes a page in the viewer's language: 401 sends them to
//! sign in and back, 404 says there is nothing here for them (the same for "missing" and "not
//! yours"). The headers of every page (`http::PAGE_CONTENT_SECURITY_POLICY`, `Cache-Control: no-store`)
//! are set with every other answer's, in `http::log_request`.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, HttpResponse};

use super::i18n;
use super::viewer::Viewer;
use crate::error::Error;

/// The middleware of every page (`actix_web::middleware::from_fn`).
pub async fn pages(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    // The API, its documentation and the assets answer as they are.
    let path = req.path();
    if ["/api/", "/docs", "/healthz", "/readyz", "/assets/"]
        .iter()
        .any(|p| path.starts_with(p))
    {
        return next
            .call(req)
            .await
            .map(ServiceResponse::map_into_boxed_body);
    }
    let wants_html = req
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/html"));
    let accept_language = req
        .headers()
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let back = if req.method() == Method::GET {
        req.uri()
            .path_and_query()
            .map_or("/home".to_string(), |p| p.as_str().to_string())
    } else {
        "/home".to_string()
    };
    let res = next.call(req).await?;
    let status = res.status();
    let is_html = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    let res = if wants_html && !is_html && (status.is_client_error() || status.is_server_error()) {
        let viewer = res.request().extensions().get::<Viewer>().cloned();
        let lang = viewer
            .as_ref()
            .map(|v| v.lang)
            .unwrap_or_else(|| i18n::from_accept_language(accept_language.as_deref()));
        let detail = res
            .response()
            .error()
            .and_then(|e| e.as_error::<Error>())
            .map(|e| e.to_string());
        let page = error_page(status, lang, viewer.as_ref(), detail, &back);
        res.into_response(page)
    } else {
        res.map_into_boxed_body()
    };
    Ok(res)
}

/// The error as a page: in the signed-in person's own frame (their menu, their language) when
/// the request got as far as knowing them.
fn error_page(
    status: StatusCode,
    lang: crate::values::Language,
    viewer: Option<&Viewer>,
    detail: Option<String>,
    back: &str,
) -> HttpResponse {
    if status == StatusCode::UNAUTHORIZED {
        let next: String = url::form_urlencoded::byte_serialize(back.as_bytes()).collect();
        return super::see_other(&format!("/auth/sign-in?next={next}"));
    }
    let code = match status.as_u16() {
        403 | 404 | 409 | 429 => status.as_u16(),
        s if s >= 500 => 500,
        _ => 400,
    };
    // A 404 says the same for "missing" and "not yours"; a 5xx's detail is for the log only.
    let detail = match code {
        403 | 409 | 400 => detail,
        _ => None,
    };
    let context = serde_json::json!({
        "code": code,
        "detail": detail,
    });
    let page = match viewer {
        Some(viewer) => super::Page::new("error.html", context)
            .status(status)
            .render(viewer),
        None => super::public_page(lang, status, "error.html", context),
    };
    page.unwrap_or_else(|e| {
        tracing::error!(error = %e, "could not render the error page");
        HttpResponse::build(status)
            .content_type("text/plain; charset=utf-8")
            .body(status.to_string())
    })
}
