//! HTTP handlers for factories.

use actix_web::http::header;
use actix_web::web::Bytes;
use actix_web::{web, HttpResponse};
use futures_util::stream::{self, StreamExt};
use utoipa_actix_web::service_config::ServiceConfig;

use super::export::open_supply_hub_csv;
use super::service::{self, ExportFilter, FactoryFilter};
use super::{Factory, FactoryPatch, NewFactory};
use crate::auth::Caller;
use crate::db::DbConnection;
use crate::error::Error;
use crate::http::extract::{JsonBody, QueryParams};
use crate::http::{created, resource, AppState};
use crate::pagination::Page;
use crate::values::{text_enum, CountryCode, FactoryId, Name, ShortText};

text_enum!(
    /// The list format of the factory export: `open-supply-hub` (the only one, the default).
    FactoryExportFormat {
        OpenSupplyHub => "open-supply-hub",
    }
);

/// Factories read per query of the export.
const EXPORT_PAGE: i64 = 1000;

/// Runs a factory write, again when a concurrent registration of the same factory won the
/// race (`Error::Retry`): the next attempt finds that factory and answers its 409.
async fn write<T, F>(state: &AppState, f: F) -> Result<T, Error>
where
    F: Fn(&mut DbConnection) -> Result<T, Error> + Clone + Send + 'static,
    T: Send + 'static,
{
    for _ in 0..2 {
        match state.db.write(f.clone()).await {
            Err(Error::Retry) => continue,
            other => return other,
        }
    }
    state.db.write(f).await
}

#[utoipa::path(post, path = "/factories", tag = "factories",
    request_body = NewFactory,
    responses(
        (status = 201, description = "Registered", body = Factory),
        (status = 409, description = "Already registered (same OS ID, or same name, address and country after folding case, punctuation and spaces): `existing_id` names the factory, which every caller can read", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Only contractors, monitors and admins register factories"),
    ))]
pub async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    JsonBody(input): JsonBody<NewFactory>,
) -> Result<HttpResponse, Error> {
    let now = state.clock.now_naive();
    let factory = write(&state, move |c| {
        service::create(c, &caller, input.clone(), now)
    })
    .await?;
    Ok(created(
        format!("/api/v1/factories/{}", factory.id),
        &factory,
    ))
}

#[utoipa::path(get, path = "/factories", tag = "factories",
    params(
        ("country" = Option<CountryCode>, Query, description = "Only factories in this country"),
        ("os_id" = Option<ShortText>, Query, description = "Only the factory with this Open Supply Hub id (any case)"),
        ("q" = Option<Name>, Query, description = "Only factories whose name contains this text, ignoring case, punctuation and spacing"),
        ("limit" = Option<i64>, Query, minimum = 1, maximum = 500), ("cursor" = Option<crate::pagination::Cursor>, Query),
    ),
    responses((status = 200, description = "The factory registry (every signed-in organization reads it); `registered_by` only for the registrant itself, monitors and admins", body = Page<Factory>)))]
pub async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    q: QueryParams,
) -> Result<HttpResponse, Error> {
    let page = q.page()?;
    let text = |name: &'static str| q.raw(name).map(|raw| raw.to_string());
    let filter = FactoryFilter {
        country: text("country")
            .map(CountryCode::try_from)
            .transpose()
            .map_err(|e| Error::bad_param("country", e))?,
        os_id: text("os_id")
            .map(ShortText::try_from)
            .transpose()
            .map_err(|e| Error::bad_param("os_id", format!("os_id: {e}")))?,
        q: text("q")
            .map(Name::try_from)
            .transpose()
            .map_err(|e| Error::bad_param("q", format!("q: {e}")))?,
    };
    let result = state
        .db
        .read(move |c| service::list(c, &caller, filter, &page))
        .await?;
    Ok(HttpResponse::Ok().json(result))
}

#[utoipa::path(get, path = "/factories/{id}", tag = "factories",
    params(("id" = FactoryId, Path)),
    responses((status = 200, description = "The factory (every signed-in organization reads it); `registered_by` only for the registrant itself, monitors and admins", body = Factory)))]
pub async fn get(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<FactoryId>,
) -> Result<HttpResponse, Error> {
    let id = id.into_inner();
    let factory = state.db.read(move |c| service::get(c, &caller, id)).await?;
    Ok(HttpResponse::Ok().json(factory))
}

#[utoipa::path(patch, path = "/factories/{id}", tag = "factories",
    params(("id" = FactoryId, Path)),
    request_body = FactoryPatch,
    responses(
        (status = 200, description = "The changed factory", body = Factory),
        (status = 409, description = "Another factory has this OS ID, or this name, address and country: `existing_id` names it", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Only the organization that registered the factory, and admins, change it"),
    ))]
pub async fn update(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<FactoryId>,
    JsonBody(patch): JsonBody<FactoryPatch>,
) -> Result<HttpResponse, Error> {
    let id = id.into_inner();
    let now = state.clock.now_naive();
    let factory = write(&state, move |c| {
        service::update(c, &caller, id, patch.clone(), now)
    })
    .await?;
    Ok(HttpResponse::Ok().json(factory))
}

/// One page of the export as CSV (with the header row when `after` is `None`), and the id to
/// read on from when the page was full.
async fn export_chunk(
    state: &AppState,
    caller: Caller,
    filter: ExportFilter,
    after: Option<String>,
) -> Result<(Bytes, Option<String>), Error> {
    let header = after.is_none();
    let rows = state
        .db
        .read(move |c| service::export_page(c, &caller, &filter, after.as_deref(), EXPORT_PAGE))
        .await?;
    let next = (rows.len() as i64 == EXPORT_PAGE)
        .then(|| rows.last().map(|r| r.id.to_string()))
        .flatten();
    Ok((Bytes::from(open_supply_hub_csv(&rows, header)?), next))
}

#[utoipa::path(get, path = "/factories/export.csv", tag = "factories",
    params(
        ("format" = Option<FactoryExportFormat>, Query, description = "`open-supply-hub` (the default and only format): the columns of Open Supply Hub's list upload template"),
        ("country" = Option<CountryCode>, Query, description = "Only factories in this country"),
        ("since" = Option<chrono::NaiveDate>, Query, description = "Only factories registered or changed on or after this day (YYYY-MM-DD, UTC)"),
    ),
    responses(
        (status = 200, description = "The factory registry as an Open Supply Hub list (CSV, header `country,name,address,sector,product_type,facility_type,processing_type,number_of_workers,parent_company,lat,lng`; formula cells neutralised). Monitors and admins get the whole registry, a contractor the factories it registered; who registered a factory is no column. Streamed a page of 1,000 factories at a time.",
            content((String = "text/csv"))),
        (status = 403, description = "Buyers do not export the registry"),
    ))]
pub async fn export(
    state: web::Data<AppState>,
    caller: Caller,
    q: QueryParams,
) -> Result<HttpResponse, Error> {
    match q.get::<FactoryExportFormat>("format")? {
        None | Some(FactoryExportFormat::OpenSupplyHub) => {}
    }
    let filter = ExportFilter {
        country: q
            .raw("country")
            .map(|raw| CountryCode::try_from(raw.to_string()))
            .transpose()
            .map_err(|e| Error::bad_param("country", e))?,
        since: q
            .raw("since")
            .map(crate::values::dates::parse_date)
            .transpose()
            .map_err(|e| Error::bad_param("since", format!("since: {e}")))?,
    };
    service::export_scope(&caller)?;
    // The first page before the answer starts, so that a refusal or a database error is a
    // problem document rather than a cut-off file; the rest is streamed page by page.
    let (first, next) = export_chunk(&state, caller, filter.clone(), None).await?;
    let rest = stream::unfold(next, move |after| {
        let state = state.clone();
        let filter = filter.clone();
        async move {
            let after = after?;
            Some(
                match export_chunk(&state, caller, filter, Some(after)).await {
                    Ok((bytes, next)) => (Ok(bytes), next),
                    Err(e) => (Err(e), None),
                },
            )
        }
    });
    let body = stream::once(async move { Ok::<_, Error>(first) }).chain(rest);
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            header::CONTENT_DISPOSITION,
            "attachment; filename=\"factories-open-supply-hub.csv\"",
        ))
        .streaming(body))
}

/// Mounted under `/api/v1`; each route is documented by its handler's `#[utoipa::path]`.
pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(resource(create, __path_create).and(list, __path_list));
    // Before `/factories/{id}`, which would otherwise take `export.csv` for an id.
    cfg.service(resource(export, __path_export));
    cfg.service(resource(get, __path_get).and(update, __path_update));
}
