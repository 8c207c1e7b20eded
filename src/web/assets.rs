//! `/assets/*`: the stylesheet, the small script and the icons built into the binary. They
//! change only with the binary, so a browser may keep them for a day.

use actix_web::http::header;
use actix_web::{web, HttpResponse};

pub async fn serve(path: web::Path<String>) -> HttpResponse {
    let name = path.into_inner();
    // Only plain file names under assets/: no way up or out.
    let safe = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/'))
        && !name.contains("..");
    let Some(bytes) = safe
        .then(|| super::files::get(&format!("assets/{name}")))
        .flatten()
    else {
        return HttpResponse::NotFound()
            .content_type("text/plain; charset=utf-8")
            .body("no such asset");
    };
    let media_type = match name.rsplit('.').next() {
        Some("css") => "text/css; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("ico") => "image/x-icon",
        _ => "application/octet-stream",
    };
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, media_type))
        .insert_header((header::CACHE_CONTROL, "public, max-age=86400"))
        .body(bytes)
}
