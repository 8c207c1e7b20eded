//! What every upload goes through, from the API or a page: a name that is no path, not
//! empty, the SHA-256 the client declared, a type on the allow-list (from the content), the
//! virus scanner; then the object is stored and the file attached, or nothing is left stored.

use actix_web::{web, HttpRequest};

use super::media;
use super::scan::{self, Verdict};
use super::service::{self, Options, Owner, Received};
use super::store::{self, Sha256Hex};
use super::AttachedFile;
use crate::auth::Caller;
use crate::error::Error;
use crate::http::upload;
use crate::http::AppState;
use crate::values::Name;
use crate::web::viewer::Viewer;

/// A page's upload form for `owner` (multipart: `csrf_token`, `file`, `label`, and on a finding
/// `confidential`), through the same checks as the API's upload. `Ok(None)`: attached.
/// `Ok(Some(refusal))`: a reason the page shows by its upload field. `Err`: out of reach,
/// forbidden or a fault, answered as such.
pub async fn from_page(
    state: &web::Data<AppState>,
    viewer: &Viewer,
    owner: Owner,
    req: &HttpRequest,
    payload: web::Payload,
) -> Result<Option<Error>, Error> {
    let caller = viewer.caller;
    state
        .db
        .read(move |c| service::may_attach(c, &caller, owner, &Default::default()))
        .await?;
    let outcome = match upload::receive(req, payload, state.config.files.max_file_bytes, &[]).await
    {
        Ok(up) => {
            viewer.check_form(req, up.fields.get("csrf_token").map(String::as_str))?;
            match form_options(&up) {
                Ok(opts) => accept(state, caller, owner, up, opts, None).await,
                Err(e) => Err(e),
            }
        }
        Err(e) => Err(e),
    };
    match outcome {
        Ok(_) => Ok(None),
        Err(e @ (Error::Forbidden(_) | Error::NotFound(_) | Error::Internal { .. })) => Err(e),
        Err(e) => Ok(Some(e)),
    }
}

/// The label and confidentiality of a page's upload form (its fields).
pub fn form_options(up: &upload::Upload) -> Result<Options, Error> {
    options_from(|name| up.fields.get(name).map(String::as_str))
}

/// The label and confidentiality from named values (query parameters or form fields).
pub fn options_from<'a>(raw: impl Fn(&str) -> Option<&'a str>) -> Result<Options, Error> {
    let label = match raw("label").map(str::trim).filter(|l| !l.is_empty()) {
        None => None,
        Some(l) => {
            Some(Name::try_from(l.to_string()).map_err(|e| Error::field("label", e.to_string()))?)
        }
    };
    let confidential = match raw("confidential") {
        None | Some("") | Some("false") => false,
        Some("true") | Some("on") => true,
        Some(other) => {
            return Err(Error::bad_param(
                "confidential",
                format!("confidential: {other:?} is not true or false"),
            ))
        }
    };
    Ok(Options {
        label,
        confidential,
    })
}

/// Checks a received upload (name, emptiness, declared hash, type, virus scan), stores it and
/// attaches it to `owner`: the API's and the pages' uploads both end here. Nothing is left
/// stored when it fails.
pub async fn accept(
    state: &AppState,
    caller: Caller,
    owner: Owner,
    up: upload::Upload,
    opts: Options,
    declared: Option<Sha256Hex>,
) -> Result<AttachedFile, Error> {
    let files = &state.config.files;
    let filename = check_filename(up.filename.as_deref())?;
    let csv_declared = filename.to_ascii_lowercase().ends_with(".csv")
        || up.media_type.as_deref() == Some("text/csv");
    let clamd = files.clamd.clone();
    // Hashing, sniffing and scanning read the whole file: on the blocking pool.
    let (received, temp) = web::block(move || -> Result<_, Error> {
        let mut temp = up.file;
        let io = |e: std::io::Error| Error::internal_from("reading the upload", e);
        if up.size == 0 {
            return Err(Error::field("file", "the file is empty"));
        }
        let sha256 = store::hash_file(temp.as_file_mut()).map_err(io)?;
        if let Some(declared) = declared {
            if declared != sha256 {
                return Err(Error::field(
                    "sha256",
                    format!("the file received has the SHA-256 {sha256}, not {declared}: it was changed or cut off on the way"),
                ));
            }
        }
        let media_type = media::sniff(temp.as_file_mut(), up.size, csv_declared)
            .map_err(io)?
            .ok_or_else(|| {
                Error::UnsupportedMediaType(format!(
                    "this kind of file is not taken; the content must be one of: {} (PDF, images, Office and OpenDocument files, UTF-8 text)",
                    media::ALLOWED.join(", ")
                ))
            })?;
        if let Some(clamd) = &clamd {
            if let Verdict::Infected(name) = scan::scan(clamd, temp.as_file_mut())? {
                tracing::warn!(signature = %name, %sha256, "upload refused: the virus scanner found it infected");
                return Err(Error::field(
                    "file",
                    format!("the virus scanner found this file infected ({name}); it was not stored"),
                ));
            }
        }
        Ok((
            Received {
                sha256,
                size: up.size,
                media_type,
                filename,
            },
            temp,
        ))
    })
    .await
    .map_err(|e| Error::internal_from("the upload check did not finish", e))??;
    let mut written = false;
    let now = state.clock.now_naive();
    let max_total = files.max_total_bytes;
    let mut result = Err(Error::Retry);
    for _ in 0..3 {
        // (Again after a `Retry` that found the object gone.)
        written |= state.files.put(&received.sha256, temp.path()).await?;
        let (received, opts) = (received.clone(), opts.clone());
        let (store, handle) = (state.files.clone(), tokio::runtime::Handle::current());
        result = state
            .db
            .write(move |c| {
                // The store is asked from the database's blocking thread.
                let stored = |sha: &Sha256Hex| handle.block_on(store.exists(sha));
                service::attach(c, &caller, owner, &received, &opts, max_total, now, &stored)
            })
            .await;
        if !matches!(result, Err(Error::Retry)) {
            break;
        }
    }
    drop(temp);
    if result.is_err() && written {
        // Nothing half-stored: an object this request wrote that no row refers to goes, under
        // the hash's lock, so that a concurrent upload of the same content keeps it.
        let (sha, store, handle) = (
            received.sha256.clone(),
            state.files.clone(),
            tokio::runtime::Handle::current(),
        );
        let removed = state
            .db
            .write(move |c| {
                service::lock_hash(c, &sha)?;
                if service::is_known(c, &sha)? {
                    return Ok(());
                }
                handle.block_on(store.delete(&sha))
            })
            .await;
        if let Err(e) = removed {
            tracing::warn!(error = %e, sha256 = %received.sha256, "an unattached object could not be removed");
        }
    }
    result
}

/// A filename as it is shown and offered for download, never used as a path: one to 255
/// characters, no path separators, no control characters, not `.` or `..`.
pub fn check_filename(name: Option<&str>) -> Result<String, Error> {
    let bad = |m: &str| Error::field("filename", m.to_string());
    let Some(name) = name else {
        return Err(bad(
            "name the file: Content-Disposition: attachment; filename=\"...\" (or the form part's filename)",
        ));
    };
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 255 {
        return Err(bad("a filename has 1 to 255 characters"));
    }
    if name.contains(['/', '\\']) || name == "." || name == ".." {
        return Err(bad("a filename has no path separators (/ or \\)"));
    }
    if name.chars().any(char::is_control) {
        return Err(bad("a filename has no control characters"));
    }
    Ok(name.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filenames_are_names_not_paths() {
        assert_eq!(check_filename(Some(" plan.pdf ")).unwrap(), "plan.pdf");
        assert_eq!(
            check_filename(Some("Lohnabrechnung März.pdf")).unwrap(),
            "Lohnabrechnung März.pdf"
        );
        for bad in [
            None,
            Some(""),
            Some("../etc/passwd"),
            Some("a\\b.pdf"),
            Some(".."),
            Some("a\nb.pdf"),
            Some("a\u{0}.pdf"),
        ] {
            assert!(check_filename(bad).is_err(), "{bad:?}");
        }
    }
}
