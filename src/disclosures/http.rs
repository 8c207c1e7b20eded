//! HTTP handlers for disclosure lists: import (dry run by default), template, export.

use std::collections::HashMap;

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use utoipa_actix_web::service_config::ServiceConfig;

use super::read::{sniff, FileProblem};
use super::service::{self, ImportRequest};
use super::{export, template, Report};
use crate::auth::Caller;
use crate::error::{Error, FieldError, Problem};
use crate::http::extract::QueryParams;
use crate::http::upload::{self, XLSX_TYPE};
use crate::http::{resource, AppState};
use crate::values::{FactoryId, Language, OrganizationId};

/// The raw types an import takes besides a multipart form.
pub const ACCEPTED: &[&str] = &[
    "text/csv",
    "application/csv",
    "text/plain",
    XLSX_TYPE,
    "application/octet-stream",
];

/// `confirm=ROW:FACTORY_ID,ROW:FACTORY_ID`: near matches the person accepted.
pub fn parse_confirm(raw: Option<&str>) -> Result<HashMap<u64, FactoryId>, Error> {
    let mut out = HashMap::new();
    for pair in raw
        .unwrap_or("")
        .split(',')
        .filter(|p| !p.trim().is_empty())
    {
        let bad = || {
            Error::bad_param(
                "confirm",
                format!("{pair:?} is not ROW:FACTORY_ID (e.g. 12:0193d2e4-...)"),
            )
        };
        let (row, id) = pair.trim().split_once(':').ok_or_else(bad)?;
        let row: u64 = row.trim().parse().map_err(|_| bad())?;
        let id: FactoryId = id.trim().parse().map_err(|_| bad())?;
        out.insert(row, id);
    }
    Ok(out)
}

fn parse_bool(q: &QueryParams, name: &str, default: bool) -> Result<bool, Error> {
    match q.raw(name) {
        None => Ok(default),
        Some("true") | Some("1") => Ok(true),
        Some("false") | Some("0") => Ok(false),
        Some(other) => Err(Error::bad_param(
            name,
            format!("{name} is true or false (got {other:?})"),
        )),
    }
}

/// Runs an import of an upload already received; shared with the upload page.
pub async fn run_import(
    state: &AppState,
    caller: Caller,
    upload: upload::Upload,
    requested: Option<OrganizationId>,
    dry_run: bool,
    confirm: HashMap<u64, FactoryId>,
) -> Result<Report, Error> {
    let now = state.clock.now_naive();
    let policy = state.policy.clone();
    state
        .db
        .write(move |c| {
            let contractor = service::contractor_for(c, &caller, requested)?;
            let path = upload.file.path();
            let format = sniff(path).map_err(|p| match p {
                FileProblem::Empty => Error::field("file", p.to_string()),
                FileProblem::NotASpreadsheet(_) => Error::UnsupportedMediaType(p.to_string()),
            })?;
            let request = ImportRequest {
                contractor,
                dry_run,
                confirm,
                date: now.date(),
            };
            service::import(c, path, format, &request, now, &policy)
        })
        .await
}

/// The answer to a commit that found errors: 422 with the report, nothing changed.
pub fn refused(report: &Report) -> HttpResponse {
    let errors: Vec<FieldError> = report
        .listed
        .iter()
        .flat_map(|r| {
            r.errors.iter().map(move |e| {
                FieldError::new(
                    format!(
                        "row {}{}",
                        r.row,
                        e.column
                            .as_ref()
                            .map(|c| format!(" {c}"))
                            .unwrap_or_default()
                    ),
                    e.message.clone(),
                )
            })
        })
        .take(100)
        .collect();
    let problem = Problem {
        kind: "/problems/validation".into(),
        title: "Invalid input".into(),
        status: 422,
        detail: format!(
            "{} of {} rows have errors; nothing was changed. The report lists them by row and column.",
            report.errors, report.rows
        ),
        errors: Some(errors),
        extra: Some(serde_json::json!({ "report": report })),
    };
    HttpResponse::UnprocessableEntity()
        .content_type("application/problem+json")
        .json(problem)
}

#[utoipa::path(post, path = "/disclosures", tag = "disclosures",
    params(
        ("dry_run" = Option<bool>, Query, description = "true (the default): report what the file would change and change nothing; false: apply the whole file, or nothing if a row has an error"),
        ("contractor_id" = Option<OrganizationId>, Query, description = "Whose list this is: the caller's own organization for a contractor (may be left out); any contractor's for the admin"),
        ("confirm" = Option<String>, Query, pattern = r"^([0-9]{1,9}:[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}(,[0-9]{1,9}:[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})*)?$",
            description = "Near matches to use instead of registering a new factory: ROW:FACTORY_ID pairs separated by commas, from a dry run's report"),
    ),
    request_body(description = "The disclosure list: CSV (UTF-8, comma or semicolon separated) or XLSX, as the raw body or as the part named `file` of a multipart form (see docs/imports.md for the columns)",
        content((String = "text/csv"), (String = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
    responses(
        (status = 200, description = "The report of a dry run, or of a commit that was applied", body = Report),
        (status = 400, description = "A malformed query or form"),
        (status = 403, description = "Only contractors (their own list) and the admin import"),
        (status = 404, description = "contractor_id names no contractor"),
        (status = 413, description = "The file is over KETENZORG_MAX_UPLOAD_BYTES"),
        (status = 415, description = "Not a spreadsheet, or sent as another media type"),
        (status = 422, description = "Wrong columns, an empty file, or a commit with row errors (`report` holds the report; nothing was changed)"),
    ))]
pub async fn import(
    state: web::Data<AppState>,
    caller: Caller,
    q: QueryParams,
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, Error> {
    let dry_run = parse_bool(&q, "dry_run", true)?;
    let requested = q.get::<OrganizationId>("contractor_id")?;
    let confirm = parse_confirm(q.raw("confirm"))?;
    caller.require(
        &[
            crate::values::OrgKind::Contractor,
            crate::values::OrgKind::Admin,
        ],
        "import disclosure lists",
    )?;
    let upload = upload::receive(&req, payload, state.config.max_upload_bytes, ACCEPTED).await?;
    let report = run_import(&state, caller, upload, requested, dry_run, confirm).await?;
    if !dry_run && !report.committed {
        return Ok(refused(&report));
    }
    Ok(HttpResponse::Ok().json(report))
}

fn lang_of(q: &QueryParams) -> Result<Language, Error> {
    Ok(q.get::<Language>("lang")?.unwrap_or(Language::En))
}

fn attachment<B: actix_web::body::MessageBody + 'static>(
    body: B,
    media: &str,
    name: &str,
) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(media)
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{name}\""),
        ))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(body)
}

#[utoipa::path(get, path = "/disclosures/template.csv", tag = "disclosures",
    params(("lang" = Option<Language>, Query, description = "The language of the headers (default en)")),
    responses((status = 200, description = "The header row and one example row", content((String = "text/csv"))),
        (status = 400, description = "A malformed query parameter")))]
pub async fn template_csv(_caller: Caller, q: QueryParams) -> Result<HttpResponse, Error> {
    let lang = lang_of(&q)?;
    Ok(attachment(
        template::csv(lang)?,
        "text/csv; charset=utf-8",
        &format!("ketenzorg-disclosure-template-{}.csv", lang.as_str()),
    ))
}

#[utoipa::path(get, path = "/disclosures/template.xlsx", tag = "disclosures",
    params(("lang" = Option<Language>, Query, description = "The language of the headers and explanations (default en)")),
    responses((status = 200, description = "The header row and one example row; a second sheet explains each column", content((String = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
        (status = 400, description = "A malformed query parameter")))]
pub async fn template_xlsx(_caller: Caller, q: QueryParams) -> Result<HttpResponse, Error> {
    let lang = lang_of(&q)?;
    Ok(attachment(
        template::xlsx(lang)?,
        XLSX_TYPE,
        &format!("ketenzorg-disclosure-template-{}.xlsx", lang.as_str()),
    ))
}

async fn export_rows(
    state: &AppState,
    caller: Caller,
    q: &QueryParams,
) -> Result<Vec<Vec<String>>, Error> {
    let requested = q.get::<OrganizationId>("contractor_id")?;
    let today = state.clock.now_naive().date();
    state
        .db
        .read(move |c| {
            let contractor = service::contractor_for(c, &caller, requested)?;
            export::rows(c, contractor, today)
        })
        .await
}

#[utoipa::path(get, path = "/disclosures/export.csv", tag = "disclosures",
    params(
        ("contractor_id" = Option<OrganizationId>, Query, description = "Whose list: the caller's own for a contractor; any contractor's for the admin"),
        ("lang" = Option<Language>, Query, description = "The language of the headers (default en)"),
    ),
    responses((status = 200, description = "The sourcing links in force today in the import's format (importing it changes nothing)", content((String = "text/csv"))),
        (status = 400, description = "A malformed query parameter"),
        (status = 403, description = "Only contractors (their own list) and the admin"),
        (status = 404, description = "contractor_id names no contractor")))]
pub async fn export_csv(
    state: web::Data<AppState>,
    caller: Caller,
    q: QueryParams,
) -> Result<HttpResponse, Error> {
    let lang = lang_of(&q)?;
    let rows = export_rows(&state, caller, &q).await?;
    Ok(attachment(
        export::csv(lang, &rows)?,
        "text/csv; charset=utf-8",
        "ketenzorg-disclosure.csv",
    ))
}

#[utoipa::path(get, path = "/disclosures/export.xlsx", tag = "disclosures",
    params(
        ("contractor_id" = Option<OrganizationId>, Query, description = "Whose list: the caller's own for a contractor; any contractor's for the admin"),
        ("lang" = Option<Language>, Query, description = "The language of the headers (default en)"),
    ),
    responses((status = 200, description = "The sourcing links in force today in the import's format", content((String = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
        (status = 400, description = "A malformed query parameter"),
        (status = 403, description = "Only contractors (their own list) and the admin"),
        (status = 404, description = "contractor_id names no contractor")))]
pub async fn export_xlsx(
    state: web::Data<AppState>,
    caller: Caller,
    q: QueryParams,
) -> Result<HttpResponse, Error> {
    let lang = lang_of(&q)?;
    let rows = export_rows(&state, caller, &q).await?;
    Ok(attachment(
        export::xlsx(lang, &rows)?,
        XLSX_TYPE,
        "ketenzorg-disclosure.xlsx",
    ))
}

/// Mounted under `/api/v1`; each route is documented by its handler's `#[utoipa::path]`.
pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(resource(import, __path_import));
    cfg.service(resource(template_csv, __path_template_csv));
    cfg.service(resource(template_xlsx, __path_template_xlsx));
    cfg.service(resource(export_csv, __path_export_csv));
    cfg.service(resource(export_xlsx, __path_export_xlsx));
}
