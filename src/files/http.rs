//! HTTP handlers for evidence files: upload to a finding or a case (multipart, or the raw
//! body with a `Content-Disposition` filename), list, download.

use std::fmt::Write;

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use utoipa_actix_web::service_config::ServiceConfig;

use super::intake;
use super::service::{self, Options, Owner};
use super::store::Sha256Hex;
use super::AttachedFile;
use crate::auth::Caller;
use crate::error::Error;
use crate::http::extract::QueryParams;
use crate::http::upload;
use crate::http::{resource, AppState};
use crate::values::{AttachmentId, CaseId, FindingId, Name};

#[utoipa::path(post, path = "/findings/{id}/files", tag = "files",
    params(("id" = FindingId, Path),
        ("label" = Option<Name>, Query, description = "What the file shows (one line); a form sends it as the field `label`"),
        ("confidential" = Option<bool>, Query, description = "true: only the monitor and the operator ever see the file (its source stays protected); a form sends the field `confidential`"),
        ("sha256" = Option<String>, Query, pattern = "^[0-9a-fA-F]{64}$", description = "The SHA-256 the client computed; a different one is a 422 and nothing is stored; a form sends the field `sha256`"),
        ("Content-Disposition" = Option<String>, Header, description = "The raw body's name: `attachment; filename=\"...\"` (or `filename*=UTF-8''...`); required with a raw body"),
    ),
    request_body(description = "The file: the raw body with its Content-Type and `Content-Disposition: attachment; filename=\"...\"` (or `filename*=UTF-8''...`), or a multipart/form-data form whose part `file` holds it", content(
        (String = "application/octet-stream"), (String = "multipart/form-data"))),
    responses(
        (status = 201, description = "Attached; `Location` is its content", body = AttachedFile),
        (status = 400, description = "The upload was cut off, or a malformed form or query"),
        (status = 403, description = "Only the monitor that filed the finding (and the operator) adds files to it"),
        (status = 404, description = "No finding with this id is visible to you"),
        (status = 413, description = "The file is over KETENZORG_MAX_FILE_BYTES, or the finding's files would be over KETENZORG_MAX_FILES_PER_CASE_BYTES"),
        (status = 415, description = "Not one of the allowed types (found from the content); the answer names them"),
        (status = 422, description = "An empty file, no filename or one with path separators or control characters, a label that is not one line, a SHA-256 that does not match, or a file the virus scanner found infected"),
        (status = 503, description = "The virus scanner or the file store cannot be reached; nothing was stored"),
    ))]
#[tracing::instrument(level = "warn", skip_all, fields(finding_id = %id))]
pub async fn upload_to_finding(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<FindingId>,
    q: QueryParams,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, Error> {
    upload(
        state,
        caller,
        Owner::Finding(id.into_inner()),
        q,
        req,
        payload,
    )
    .await
}

#[utoipa::path(post, path = "/cases/{id}/files", tag = "files",
    params(("id" = CaseId, Path),
        ("label" = Option<Name>, Query, description = "What the file shows (one line); a form sends it as the field `label`"),
        ("confidential" = Option<bool>, Query, description = "Only false: a case's files are read by every party to it (true is a 422)"),
        ("sha256" = Option<String>, Query, pattern = "^[0-9a-fA-F]{64}$", description = "The SHA-256 the client computed; a different one is a 422 and nothing is stored"),
        ("Content-Disposition" = Option<String>, Header, description = "The raw body's name: `attachment; filename=\"...\"` (or `filename*=UTF-8''...`); required with a raw body"),
    ),
    request_body(description = "The file: the raw body with its Content-Type and `Content-Disposition: attachment; filename=\"...\"`, or a multipart/form-data form whose part `file` holds it", content(
        (String = "application/octet-stream"), (String = "multipart/form-data"))),
    responses(
        (status = 201, description = "Attached, recorded as a `file_attached` event of the case; `Location` is its content", body = AttachedFile),
        (status = 400, description = "The upload was cut off, or a malformed form or query"),
        (status = 403, description = "The operator is no party to a case"),
        (status = 404, description = "No case with this id is visible to you"),
        (status = 413, description = "The file is over KETENZORG_MAX_FILE_BYTES, or the case's files would be over KETENZORG_MAX_FILES_PER_CASE_BYTES"),
        (status = 415, description = "Not one of the allowed types (found from the content); the answer names them"),
        (status = 422, description = "An empty file, no filename or one with path separators or control characters, a label that is not one line, `confidential=true`, a SHA-256 that does not match, or a file the virus scanner found infected"),
        (status = 503, description = "The virus scanner or the file store cannot be reached; nothing was stored"),
    ))]
#[tracing::instrument(level = "warn", skip_all, fields(case_id = %id))]
pub async fn upload_to_case(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<CaseId>,
    q: QueryParams,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, Error> {
    upload(state, caller, Owner::Case(id.into_inner()), q, req, payload).await
}

/// A query parameter, or the form field of the same name.
fn option<'a>(q: &'a QueryParams, fields: &'a upload::Upload, name: &str) -> Option<&'a str> {
    q.raw(name)
        .or_else(|| fields.fields.get(name).map(String::as_str))
}

fn options(q: &QueryParams, up: Option<&upload::Upload>) -> Result<Options, Error> {
    intake::options_from(|name| match up {
        Some(up) => option(q, up, name),
        None => q.raw(name),
    })
}

async fn upload(
    state: web::Data<AppState>,
    caller: Caller,
    owner: Owner,
    q: QueryParams,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, Error> {
    // Reach and permission first, so nobody outside stores anything; checked again when the
    // file is attached.
    let early = options(&q, None)?;
    state
        .db
        .read(move |c| service::may_attach(c, &caller, owner, &early))
        .await?;
    let up = upload::receive(
        &req,
        payload,
        state.config.files.max_file_bytes,
        upload::ANY_TYPE,
    )
    .await?;
    let opts = options(&q, Some(&up))?;
    let declared = match option(&q, &up, "sha256") {
        None => None,
        Some(raw) => Some(
            Sha256Hex::parse(raw)
                .ok_or_else(|| Error::bad_param("sha256", "sha256: not 64 hexadecimal digits"))?,
        ),
    };
    let file = intake::accept(&state, caller, owner, up, opts, declared).await?;
    Ok(HttpResponse::Created()
        .insert_header((
            header::LOCATION,
            format!("/api/v1/files/{}/content", file.id),
        ))
        .json(file))
}

#[utoipa::path(get, path = "/findings/{id}/files", tag = "files",
    params(("id" = FindingId, Path)),
    responses(
        (status = 200, description = "The finding's files you may read, oldest first: all of them for its monitor and the operator; those not confidential for the parties of its cases", body = Vec<AttachedFile>),
        (status = 404, description = "No finding with this id is visible to you"),
    ))]
pub async fn list_of_finding(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<FindingId>,
) -> Result<HttpResponse, Error> {
    let owner = Owner::Finding(id.into_inner());
    let list = state
        .db
        .read(move |c| service::list(c, &caller, owner))
        .await?;
    Ok(HttpResponse::Ok().json(list))
}

#[utoipa::path(get, path = "/cases/{id}/files", tag = "files",
    params(("id" = CaseId, Path)),
    responses(
        (status = 200, description = "The case's files you may read, oldest first (a buyer does not see another buyer's)", body = Vec<AttachedFile>),
        (status = 404, description = "No case with this id is visible to you"),
    ))]
pub async fn list_of_case(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<CaseId>,
) -> Result<HttpResponse, Error> {
    let owner = Owner::Case(id.into_inner());
    let list = state
        .db
        .read(move |c| service::list(c, &caller, owner))
        .await?;
    Ok(HttpResponse::Ok().json(list))
}

#[utoipa::path(get, path = "/files/{id}/content", tag = "files",
    params(("id" = AttachmentId, Path)),
    responses(
        (status = 200, description = "The file as it was uploaded, as an attachment (`Content-Disposition`), with its media type, `X-Content-Type-Options: nosniff` and `Cache-Control: no-store`", content((String = "application/octet-stream"))),
        (status = 404, description = "No file with this id is visible to you"),
        (status = 503, description = "The file store cannot be reached"),
    ))]
#[tracing::instrument(level = "warn", skip_all, fields(attachment_id = %id))]
pub async fn content(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<AttachmentId>,
) -> Result<HttpResponse, Error> {
    let id = id.into_inner();
    let (attachment, file) = state
        .db
        .read(move |c| service::find(c, &caller, id))
        .await?;
    let sha = Sha256Hex::parse(&file.sha256)
        .ok_or_else(|| Error::internal(format!("corrupt sha256 {:?}", file.sha256)))?;
    let bytes = state.files.get(&sha).await?.ok_or_else(|| {
        Error::internal(format!(
            "the stored object {sha} is missing (run ketenzorg verify-audit --files)"
        ))
    })?;
    let media = if file.media_type.starts_with("text/") {
        format!("{}; charset=utf-8", file.media_type)
    } else {
        file.media_type.clone()
    };
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, media))
        .insert_header((
            header::CONTENT_DISPOSITION,
            content_disposition(&attachment.filename),
        ))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::ETAG, format!("\"{sha}\"")))
        .body(bytes))
}

/// `attachment` with an ASCII `filename` for old clients and, when the name is not plain
/// ASCII, the exact name as `filename*` (RFC 6266, RFC 8187).
pub fn content_disposition(name: &str) -> String {
    let ascii: String = name
        .chars()
        .map(|c| match c {
            ' '..='~' if c != '"' && c != '\\' => c,
            _ => '_',
        })
        .collect();
    if ascii == name {
        return format!("attachment; filename=\"{ascii}\"");
    }
    let mut encoded = String::new();
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
            encoded.push(b as char);
        } else {
            let _ = write!(encoded, "%{b:02X}");
        }
    }
    format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
}

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(
        resource(list_of_finding, __path_list_of_finding)
            .and(upload_to_finding, __path_upload_to_finding),
    );
    cfg.service(
        resource(list_of_case, __path_list_of_case).and(upload_to_case, __path_upload_to_case),
    );
    cfg.service(resource(content, __path_content));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_non_ascii_name_is_sent_twice() {
        assert_eq!(
            content_disposition("plan.pdf"),
            "attachment; filename=\"plan.pdf\""
        );
        assert_eq!(
            content_disposition("März \"1\".pdf"),
            "attachment; filename=\"M_rz _1_.pdf\"; filename*=UTF-8''M%C3%A4rz%20%221%22.pdf"
        );
    }
}
