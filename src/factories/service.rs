//! Rules for factories. The factory registry is read by every signed-in organization, as on
//! Open Supply Hub: a factory's record (name, address, country, OS ID, coordinates, sector,
//! workers, parent company) is public data about a workplace, and a monitor must be able to
//! name any factory. Who registered a factory is shown only to that organization itself,
//! monitors and admins (`sees_registrant`); who discloses or sources from it is never part of
//! the record. Contractors, monitors and admins register factories; only the organization
//! that registered one, and admins, change it. A factory is registered once: registering or
//! renaming onto another factory's identity is a 409 naming it (`existing_id`), which every
//! caller can read.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};

use super::{
    dedup_key, name_search_pattern, normalize_os_id, Factory, FactoryPatch, FactoryRow, NewFactory,
};
use crate::auth::Caller;
use crate::db::DbConnection;
use crate::error::Error;
use crate::pagination::{Cursor, Page, PageRequest};
use crate::schema::factories;
use crate::values::{CountryCode, FactoryId, Name, OrgKind, OrganizationId, ShortText};

/// Whether `caller` may know which organization registered the factory: the registrant
/// itself, monitors (who read all factories and components with their owners) and admins.
/// Never another contractor, whose competitor's supply chain that would reveal, nor a buyer:
/// the registrant may be a contractor the buyer has no contract with (a bidder in its next
/// tender), and a buyer's own contractors' factories are already in its supply chain view.
pub fn sees_registrant(caller: &Caller, registered_by: OrganizationId) -> bool {
    match caller.kind {
        OrgKind::Admin | OrgKind::Monitor => true,
        OrgKind::Contractor | OrgKind::Buyer => caller.organization_id == registered_by,
    }
}

fn view_for(caller: &Caller, row: FactoryRow) -> Result<Factory, Error> {
    let show = sees_registrant(caller, row.created_by);
    row.view(show)
}

/// Which identity of an existing factory a registration or change would take.
enum Clash {
    OsId,
    NameAddressCountry,
}

/// The 409 for a registration or change onto an existing factory's identity. It names only
/// the factory (readable by everyone), never who registered or discloses it.
fn clash(existing: &FactoryRow, how: Clash) -> Error {
    let what = match how {
        Clash::OsId => "this OS ID",
        Clash::NameAddressCountry => "this name, address and country",
    };
    Error::Conflict {
        detail: format!("a factory with {what} is already registered; existing_id names it"),
        extra: Some(serde_json::json!({ "existing_id": existing.id })),
    }
}

/// A unique index refused the row: a concurrent request registered the same factory between
/// our check and our write. Retrying the whole request finds it and answers the 409.
fn retry_on_unique(e: DieselError) -> Error {
    match e {
        DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _) => Error::Retry,
        other => other.into(),
    }
}

/// Registers a factory. One that duplicates an existing factory (same OS ID, or same name,
/// address and country after folding) is a 409 naming the existing one.
pub fn create(
    conn: &mut DbConnection,
    caller: &Caller,
    input: NewFactory,
    now: NaiveDateTime,
) -> Result<Factory, Error> {
    caller.require(
        &[OrgKind::Admin, OrgKind::Contractor, OrgKind::Monitor],
        "register factories",
    )?;
    let os_id = input.os_id.as_ref().map(|s| normalize_os_id(s.as_str()));
    let key = dedup_key(
        input.name.as_str(),
        input.address.as_str(),
        input.country.as_str(),
    );
    if let Some((existing, how)) = find_duplicate(conn, os_id.as_deref(), &key, None)? {
        return Err(clash(&existing, how));
    }
    let row = FactoryRow {
        id: FactoryId::new(),
        name: input.name.into_inner(),
        address: input.address.into_inner(),
        country: input.country.as_str().to_string(),
        os_id,
        latitude: input.latitude.map(|l| l.0),
        longitude: input.longitude.map(|l| l.0),
        sector: input.sector.map(|s| s.into_inner()),
        workers: input.workers.map(|w| w.0),
        parent_company: input.parent_company.map(|s| s.into_inner()),
        dedup_key: key,
        created_by: caller.organization_id,
        created_at: now,
        updated_at: now,
    };
    diesel::insert_into(factories::table)
        .values(&row)
        .execute(conn)
        .map_err(retry_on_unique)?;
    view_for(caller, row)
}

/// Another factory with this OS ID or this key (other than `except`). The same OS ID wins
/// over the same name and address: it is the more reliable identity.
fn find_duplicate(
    conn: &mut DbConnection,
    os_id: Option<&str>,
    key: &str,
    except: Option<FactoryId>,
) -> Result<Option<(FactoryRow, Clash)>, Error> {
    let except = except.map(|e| e.to_string()).unwrap_or_default();
    if let Some(os_id) = os_id {
        let found = factories::table
            .filter(factories::os_id.eq(os_id))
            .filter(factories::id.ne(&except))
            .select(FactoryRow::as_select())
            .first(conn)
            .optional()?;
        if let Some(row) = found {
            return Ok(Some((row, Clash::OsId)));
        }
    }
    Ok(factories::table
        .filter(factories::dedup_key.eq(key))
        .filter(factories::id.ne(&except))
        .select(FactoryRow::as_select())
        .first(conn)
        .optional()?
        .map(|row| (row, Clash::NameAddressCountry)))
}

pub fn get(conn: &mut DbConnection, caller: &Caller, id: FactoryId) -> Result<Factory, Error> {
    view_for(caller, get_row(conn, id)?)
}

fn get_row(conn: &mut DbConnection, id: FactoryId) -> Result<FactoryRow, Error> {
    factories::table
        .filter(factories::id.eq(id.to_string()))
        .select(FactoryRow::as_select())
        .first(conn)
        .optional()?
        .ok_or(Error::NotFound("factory"))
}

/// The names of factories, in one query (the registry is readable by everyone; ids that name
/// no factory are left out).
pub fn names(
    conn: &mut DbConnection,
    ids: &[FactoryId],
) -> Result<std::collections::HashMap<FactoryId, String>, Error> {
    let keys: Vec<String> = ids.iter().map(|id| id.to_string()).collect();
    factories::table
        .filter(factories::id.eq_any(keys))
        .select((factories::id, factories::name))
        .load::<(String, String)>(conn)?
        .into_iter()
        .map(|(id, name)| Ok((FactoryId::from_db(&id)?, name)))
        .collect()
}

/// Whether a factory exists at all (for disclosures, which may name any factory).
pub fn exists(conn: &mut DbConnection, id: FactoryId) -> Result<bool, Error> {
    let n: i64 = factories::table
        .filter(factories::id.eq(id.to_string()))
        .count()
        .get_result(conn)?;
    Ok(n > 0)
}

/// The filters of `GET /factories`.
#[derive(Debug, Default)]
pub struct FactoryFilter {
    pub country: Option<CountryCode>,
    /// Any spelling; compared upper case.
    pub os_id: Option<ShortText>,
    /// Part of the name, ignoring case, punctuation and spacing.
    pub q: Option<Name>,
}

pub fn list(
    conn: &mut DbConnection,
    caller: &Caller,
    filter: FactoryFilter,
    page: &PageRequest,
) -> Result<Page<Factory>, Error> {
    let mut q = factories::table
        .filter(factories::id.gt(page.after_db()))
        .order(factories::id.asc())
        .limit(page.fetch())
        .select(FactoryRow::as_select())
        .into_boxed();
    if let Some(country) = filter.country {
        q = q.filter(factories::country.eq(country.as_str().to_string()));
    }
    if let Some(os_id) = filter.os_id {
        q = q.filter(factories::os_id.eq(normalize_os_id(os_id.as_str())));
    }
    if let Some(pattern) = filter.q.and_then(|q| name_search_pattern(q.as_str())) {
        q = q.filter(factories::dedup_key.like(pattern));
    }
    Page::from_rows(
        q.load(conn)?,
        page,
        |r| Cursor::encode(r.id),
        |r| view_for(caller, r),
    )
}

pub fn update(
    conn: &mut DbConnection,
    caller: &Caller,
    id: FactoryId,
    patch: FactoryPatch,
    now: NaiveDateTime,
) -> Result<Factory, Error> {
    let mut row = get_row(conn, id)?;
    if !(caller.is_admin() || caller.organization_id == row.created_by) {
        return Err(Error::Forbidden(
            "only the organization that registered this factory, and admins, may change it".into(),
        ));
    }
    if let Some(v) = patch.name {
        row.name = v.into_inner();
    }
    if let Some(v) = patch.address {
        row.address = v.into_inner();
    }
    if let Some(v) = patch.country {
        row.country = v.as_str().to_string();
    }
    if let Some(v) = patch.os_id {
        row.os_id = Some(normalize_os_id(v.as_str()));
    }
    if let Some(v) = patch.latitude {
        row.latitude = Some(v.0);
    }
    if let Some(v) = patch.longitude {
        row.longitude = Some(v.0);
    }
    if let Some(v) = patch.sector {
        row.sector = Some(v.into_inner());
    }
    if let Some(v) = patch.workers {
        row.workers = Some(v.0);
    }
    if let Some(v) = patch.parent_company {
        row.parent_company = Some(v.into_inner());
    }
    row.dedup_key = dedup_key(&row.name, &row.address, &row.country);
    row.updated_at = now;
    if let Some((other, how)) =
        find_duplicate(conn, row.os_id.as_deref(), &row.dedup_key, Some(row.id))?
    {
        return Err(clash(&other, how));
    }
    diesel::update(factories::table.filter(factories::id.eq(row.id)))
        .set(&row)
        .execute(conn)
        .map_err(retry_on_unique)?;
    view_for(caller, row)
}

/// The filters of the Open Supply Hub export.
#[derive(Debug, Clone, Default)]
pub struct ExportFilter {
    pub country: Option<CountryCode>,
    /// Only factories registered or changed on or after this day (UTC).
    pub since: Option<NaiveDate>,
}

/// Whose factories `caller` may export as a list: `None` for the whole registry (monitors and
/// admins, who see every registrant), the caller's own organization for a contractor (the
/// factories it registered: it may contribute its own list, and learns nothing of who
/// registered the others). Buyers register no factories and may not export the registry: a
/// list of "factories registered by X" is exactly what `sees_registrant` keeps from them.
pub fn export_scope(caller: &Caller) -> Result<Option<OrganizationId>, Error> {
    caller.require(
        &[OrgKind::Admin, OrgKind::Monitor, OrgKind::Contractor],
        "export the factory registry",
    )?;
    Ok(match caller.kind {
        OrgKind::Admin | OrgKind::Monitor => None,
        _ => Some(caller.organization_id),
    })
}

/// One page of the export: up to `limit` factories after the id `after`, by id (keyset
/// paging, so a registry of any size is read in pages of bounded memory).
pub fn export_page(
    conn: &mut DbConnection,
    caller: &Caller,
    filter: &ExportFilter,
    after: Option<&str>,
    limit: i64,
) -> Result<Vec<FactoryRow>, Error> {
    let scope = export_scope(caller)?;
    let mut q = factories::table
        .filter(factories::id.gt(after.unwrap_or_default().to_string()))
        .order(factories::id.asc())
        .limit(limit)
        .select(FactoryRow::as_select())
        .into_boxed();
    if let Some(owner) = scope {
        debug_assert!(sees_registrant(caller, owner));
        q = q.filter(factories::created_by.eq(owner.to_string()));
    }
    if let Some(country) = &filter.country {
        q = q.filter(factories::country.eq(country.as_str().to_string()));
    }
    if let Some(since) = filter.since {
        q = q.filter(factories::updated_at.ge(since.and_time(chrono::NaiveTime::MIN)));
    }
    Ok(q.load(conn)?)
}
