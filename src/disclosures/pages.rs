//! The contractor's upload page: send the list, read the dry run's report as a table, choose
//! for each near match whether it is the registered factory, then apply the file. The file
//! checked is kept (`pending_imports`, a day at most) so that applying it needs no second
//! upload; applying runs the same import as the API, with the choices as `confirm`.

use std::collections::HashMap;
use std::io::Write;

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{NaiveDateTime, TimeDelta};
use diesel::prelude::*;
use serde_json::json;

use super::http::{run_import, ACCEPTED};
use super::Report;
use crate::auth::Caller;
use crate::db::DbConnection;
use crate::error::Error;
use crate::http::upload::{self, Upload};
use crate::http::{undocumented, AppState};
use crate::schema::pending_imports;
use crate::values::{FactoryId, OrgKind, OrganizationId};
use crate::web::viewer::field_errors;
use crate::web::{Page, Viewer};

/// How long a checked file waits to be applied.
const KEPT_FOR: TimeDelta = TimeDelta::hours(24);

fn contractor(viewer: &Viewer) -> Result<Caller, Error> {
    viewer
        .caller
        .require(&[OrgKind::Contractor], "import disclosure lists")?;
    Ok(viewer.caller)
}

fn show(
    viewer: &Viewer,
    status: StatusCode,
    report: Option<&Report>,
    pending: Option<&str>,
    problem: Option<String>,
) -> Result<HttpResponse, Error> {
    Page::new(
        "components/import.html",
        json!({
            "report": report,
            "pending": pending,
            "problem": problem,
        }),
    )
    .status(status)
    .render(viewer)
}

/// `GET /disclosures/import`: the upload form, the templates and the export.
pub async fn page(viewer: Viewer) -> Result<HttpResponse, Error> {
    contractor(&viewer)?;
    show(&viewer, StatusCode::OK, None, None, None)
}

/// A problem with the file as a whole: the form again with the reason (a 403 or 404 is the
/// error page).
fn refused(viewer: &Viewer, e: Error) -> Result<HttpResponse, Error> {
    let status = actix_web::ResponseError::status_code(&e);
    let reason = match &e {
        Error::PayloadTooLarge(_) | Error::UnsupportedMediaType(_) | Error::BadRequest { .. } => {
            e.to_string()
        }
        _ => match field_errors(&e) {
            Some(fields) => fields
                .values()
                .filter_map(|v| v.as_str())
                .collect::<Vec<_>>()
                .join(" "),
            None => return Err(e),
        },
    };
    show(viewer, status, None, None, Some(reason))
}

fn store(
    conn: &mut DbConnection,
    organization: OrganizationId,
    filename: &str,
    content: Vec<u8>,
    now: NaiveDateTime,
) -> Result<String, Error> {
    diesel::delete(pending_imports::table.filter(pending_imports::created_at.lt(now - KEPT_FOR)))
        .execute(conn)?;
    let id = uuid::Uuid::now_v7().to_string();
    diesel::insert_into(pending_imports::table)
        .values((
            pending_imports::id.eq(&id),
            pending_imports::organization_id.eq(organization),
            pending_imports::filename.eq(filename),
            pending_imports::content.eq(content),
            pending_imports::created_at.eq(now),
        ))
        .execute(conn)?;
    Ok(id)
}

/// `POST /disclosures/import` (multipart: `csrf_token`, `file`): the dry run's report.
pub async fn check(
    state: web::Data<AppState>,
    viewer: Viewer,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, Error> {
    let caller = contractor(&viewer)?;
    let upload = match upload::receive(&req, payload, state.config.max_upload_bytes, ACCEPTED).await
    {
        Ok(u) => u,
        Err(e) => return refused(&viewer, e),
    };
    viewer.check_form(&req, upload.fields.get("csrf_token").map(String::as_str))?;
    let content = std::fs::read(upload.file.path())
        .map_err(|e| Error::internal_from("reading the upload", e))?;
    let filename = upload.filename.clone().unwrap_or_else(|| "upload".into());
    let report = match run_import(&state, caller, upload, None, true, HashMap::new()).await {
        Ok(r) => r,
        Err(e) => return refused(&viewer, e),
    };
    let now = viewer.now;
    let org = caller.organization_id;
    let pending = state
        .db
        .write(move |c| store(c, org, &filename, content, now))
        .await?;
    show(&viewer, StatusCode::OK, Some(&report), Some(&pending), None)
}

/// `POST /disclosures/import/{id}`: applies a checked file, with the near matches chosen
/// (`confirm_ROW` = a factory id, or `new`).
pub async fn apply(
    state: web::Data<AppState>,
    viewer: Viewer,
    req: HttpRequest,
    id: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, Error> {
    let caller = contractor(&viewer)?;
    let form = viewer.form(&req, &body)?;
    let id = id.into_inner();
    let org = caller.organization_id;
    let since = viewer.now - KEPT_FOR;
    let wanted = id.clone();
    let found: Option<(String, Vec<u8>)> = state
        .db
        .read(move |c| {
            Ok(pending_imports::table
                .filter(pending_imports::id.eq(&wanted))
                .filter(pending_imports::organization_id.eq(org))
                .filter(pending_imports::created_at.ge(since))
                .select((pending_imports::filename, pending_imports::content))
                .first(c)
                .optional()?)
        })
        .await?;
    // Another organization's upload is as unknown as one that never was.
    let Some((filename, content)) = found else {
        return Err(Error::NotFound("checked file"));
    };
    let mut confirm = HashMap::new();
    for (name, value) in form.values() {
        if let Some(row) = name
            .strip_prefix("confirm_")
            .and_then(|r| r.parse::<u64>().ok())
        {
            // "new" (or anything not an id) keeps the new factory.
            if let Some(factory) = value.as_str().and_then(|v| v.parse::<FactoryId>().ok()) {
                confirm.insert(row, factory);
            }
        }
    }
    let mut file = tempfile::NamedTempFile::new()
        .map_err(|e| Error::internal_from("a temporary file for the upload", e))?;
    file.write_all(&content)
        .map_err(|e| Error::internal_from("writing the upload", e))?;
    let upload = Upload {
        file,
        size: content.len() as u64,
        filename: Some(filename),
        media_type: None,
        fields: HashMap::new(),
    };
    let report = match run_import(&state, caller, upload, None, false, confirm).await {
        Ok(r) => r,
        Err(e) => return refused(&viewer, e),
    };
    if report.committed {
        state
            .db
            .write(move |c| {
                diesel::delete(pending_imports::table.filter(pending_imports::id.eq(&id)))
                    .execute(c)?;
                Ok(())
            })
            .await?;
        show(&viewer, StatusCode::OK, Some(&report), None, None)
    } else {
        show(
            &viewer,
            StatusCode::UNPROCESSABLE_ENTITY,
            Some(&report),
            None,
            None,
        )
    }
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(undocumented("/disclosures/import").get(page).post(check));
    cfg.service(undocumented("/disclosures/import/{id}").post(apply));
}
