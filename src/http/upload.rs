//! A file sent to the service, written to a temporary file as it arrives so that memory does
//! not grow with its size: either the raw body (`text/csv`, the XLSX type,
//! `application/octet-stream`) or the `file` part of a `multipart/form-data` form, whose other
//! (small, text) parts are kept as fields. Over the limit is a 413, whatever the form. An
//! evidence file (`files`) may be of any declared type (`ANY_TYPE`): its content decides.

use std::collections::HashMap;
use std::io::Write;

use actix_web::http::header;
use actix_web::{web, HttpRequest};
use futures_util::StreamExt;

use crate::error::Error;
use crate::http::extract::media_type;

/// `accepted` for an upload whose raw body may have any declared type.
pub const ANY_TYPE: &[&str] = &["*/*"];

pub const XLSX_TYPE: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// The uploaded file and, for a form, its other fields.
pub struct Upload {
    pub file: tempfile::NamedTempFile,
    pub size: u64,
    /// The filename: the form part's, or the raw body's `Content-Disposition` header's
    /// (`filename*` preferred).
    pub filename: Option<String>,
    /// The declared media type of the file (the raw body's, or the form part's).
    pub media_type: Option<String>,
    pub fields: HashMap<String, String>,
}

/// Reads the upload. `accepted` lists the raw media types taken besides multipart.
pub async fn receive(
    req: &HttpRequest,
    payload: web::Payload,
    limit: usize,
    accepted: &[&str],
) -> Result<Upload, Error> {
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > limit) {
        return Err(Error::PayloadTooLarge(limit));
    }
    let mut upload = Upload {
        file: temp()?,
        size: 0,
        filename: None,
        media_type: None,
        fields: HashMap::new(),
    };
    match media_type(req).as_deref() {
        Some("multipart/form-data") => {
            let mut form = actix_multipart::Multipart::new(req.headers(), payload);
            let mut got_file = false;
            while let Some(field) = form.next().await {
                let mut field = field.map_err(bad_form)?;
                let name = field.name().unwrap_or("").to_string();
                if name == "file" && !got_file {
                    got_file = true;
                    upload.filename = field.content_disposition().and_then(filename_of);
                    upload.media_type = field.content_type().map(|m| m.essence_str().to_string());
                    while let Some(chunk) = field.next().await {
                        write(&mut upload, &chunk.map_err(bad_form)?, limit)?;
                    }
                } else {
                    // Small text fields only (a CSRF token, a checkbox): 4 KiB each, 64 fields.
                    let mut value = Vec::new();
                    while let Some(chunk) = field.next().await {
                        value.extend_from_slice(&chunk.map_err(bad_form)?);
                        if value.len() > 4096 || upload.fields.len() >= 64 {
                            return Err(Error::bad_param(name, "this form field is too long"));
                        }
                    }
                    upload
                        .fields
                        .insert(name, String::from_utf8_lossy(&value).into_owned());
                }
            }
            if !got_file {
                return Err(Error::bad_param(
                    "file",
                    "the form has no part named \"file\" holding the file",
                ));
            }
        }
        Some(t) if accepted.contains(&t) || accepted == ANY_TYPE => {
            upload.media_type = Some(t.to_string());
            upload.filename = req
                .headers()
                .get(header::CONTENT_DISPOSITION)
                .and_then(|v| header::ContentDisposition::from_raw(v).ok())
                .as_ref()
                .and_then(filename_of);
            let mut payload = payload;
            while let Some(chunk) = payload.next().await {
                let chunk = chunk.map_err(|e| Error::BadRequest {
                    detail: format!("the upload was cut off: {e}"),
                    field: None,
                })?;
                write(&mut upload, &chunk, limit)?;
            }
        }
        other => {
            return Err(Error::UnsupportedMediaType(format!(
                "send the file as {} or multipart/form-data with a part named \"file\" (got {})",
                accepted.join(", "),
                other.unwrap_or("no Content-Type")
            )))
        }
    }
    upload
        .file
        .flush()
        .map_err(|e| Error::internal_from("writing the upload", e))?;
    Ok(upload)
}

/// `filename*` (RFC 8187, UTF-8) when given, else `filename`.
fn filename_of(d: &header::ContentDisposition) -> Option<String> {
    match d.get_filename_ext() {
        Some(ext) if ext.charset.to_string().eq_ignore_ascii_case("utf-8") => {
            String::from_utf8(ext.value.clone()).ok()
        }
        _ => d.get_filename().map(str::to_string),
    }
}

fn temp() -> Result<tempfile::NamedTempFile, Error> {
    tempfile::Builder::new()
        .prefix("ketenzorg-upload-")
        .tempfile()
        .map_err(|e| Error::internal_from("a temporary file for the upload", e))
}

fn write(upload: &mut Upload, chunk: &[u8], limit: usize) -> Result<(), Error> {
    upload.size += chunk.len() as u64;
    if upload.size > limit as u64 {
        return Err(Error::PayloadTooLarge(limit));
    }
    upload
        .file
        .write_all(chunk)
        .map_err(|e| Error::internal_from("writing the upload", e))
}

fn bad_form(e: actix_multipart::MultipartError) -> Error {
    Error::bad_param("file", format!("the multipart form cannot be read: {e}"))
}
