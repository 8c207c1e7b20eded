//! Rules for factories. Admins and monitors read all factories (monitors report on any
//! factory); a contractor reads those it created or disclosed; a buyer those in the supply
//! chain of its contracts. Only admins and the creating contractor change one.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::{dedup_key, normalize_os_id, Factory, FactoryPatch, FactoryRow, NewFactory};
use crate::auth::Caller;
use crate::components::service::supply_chain_components;
use crate::db::{DbBackend, DbConnection};
use crate::error::Error;
use crate::pagination::{Cursor, Page, PageRequest};
use crate::schema::{factories, sourcing_links};
use crate::values::{CountryCode, FactoryId, OrgKind};

type Visible =
    Box<dyn BoxableExpression<factories::table, DbBackend, SqlType = diesel::sql_types::Bool>>;

fn visible_to(conn: &mut DbConnection, caller: &Caller) -> Result<Option<Visible>, Error> {
    let me = caller.organization_id.to_string();
    Ok(match caller.kind {
        OrgKind::Admin | OrgKind::Monitor => None,
        OrgKind::Contractor => Some(Box::new(
            factories::created_by
                .eq(me.clone())
                .or(factories::id.eq_any(
                    sourcing_links::table
                        .filter(sourcing_links::disclosed_by.eq(me))
                        .select(sourcing_links::factory_id),
                )),
        )),
        OrgKind::Buyer => {
            let components = supply_chain_components(conn, caller.organization_id)?;
            Some(Box::new(
                factories::id.eq_any(
                    sourcing_links::table
                        .filter(sourcing_links::component_id.eq_any(components))
                        .select(sourcing_links::factory_id),
                ),
            ))
        }
    })
}

/// Creates a factory, or returns the existing one it duplicates (`false`: not created).
pub fn create(
    conn: &mut DbConnection,
    caller: &Caller,
    input: NewFactory,
    now: NaiveDateTime,
) -> Result<(Factory, bool), Error> {
    caller.require(&[OrgKind::Admin, OrgKind::Contractor], "register factories")?;
    let os_id = input.os_id.as_ref().map(|s| normalize_os_id(s.as_str()));
    let key = dedup_key(
        input.name.as_str(),
        input.address.as_str(),
        input.country.as_str(),
    );
    if let Some(existing) = find_duplicate(conn, os_id.as_deref(), &key)? {
        return Ok((existing.view()?, false));
    }
    let row = FactoryRow {
        id: FactoryId::new().to_string(),
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
        created_by: caller.organization_id.to_string(),
        created_at: now,
        updated_at: now,
    };
    diesel::insert_into(factories::table)
        .values(&row)
        .execute(conn)?;
    Ok((row.view()?, true))
}

/// The same OS ID wins over the same name and address: it is the more reliable identity.
fn find_duplicate(
    conn: &mut DbConnection,
    os_id: Option<&str>,
    key: &str,
) -> Result<Option<FactoryRow>, Error> {
    if let Some(os_id) = os_id {
        let found = factories::table
            .filter(factories::os_id.eq(os_id))
            .select(FactoryRow::as_select())
            .first(conn)
            .optional()?;
        if found.is_some() {
            return Ok(found);
        }
    }
    Ok(factories::table
        .filter(factories::dedup_key.eq(key))
        .select(FactoryRow::as_select())
        .first(conn)
        .optional()?)
}

pub fn get(conn: &mut DbConnection, caller: &Caller, id: FactoryId) -> Result<Factory, Error> {
    get_row(conn, caller, id)?.view()
}

fn get_row(conn: &mut DbConnection, caller: &Caller, id: FactoryId) -> Result<FactoryRow, Error> {
    let mut q = factories::table
        .filter(factories::id.eq(id.to_string()))
        .select(FactoryRow::as_select())
        .into_boxed();
    if let Some(filter) = visible_to(conn, caller)? {
        q = q.filter(filter);
    }
    q.first(conn).optional()?.ok_or(Error::NotFound("factory"))
}

/// Whether a factory exists at all (for disclosures, which may name any factory).
pub fn exists(conn: &mut DbConnection, id: FactoryId) -> Result<bool, Error> {
    let n: i64 = factories::table
        .filter(factories::id.eq(id.to_string()))
        .count()
        .get_result(conn)?;
    Ok(n > 0)
}

pub fn list(
    conn: &mut DbConnection,
    caller: &Caller,
    country: Option<CountryCode>,
    page: &PageRequest,
) -> Result<Page<Factory>, Error> {
    let mut q = factories::table
        .filter(factories::id.gt(page.after_db()))
        .order(factories::id.asc())
        .limit(page.fetch())
        .select(FactoryRow::as_select())
        .into_boxed();
    if let Some(filter) = visible_to(conn, caller)? {
        q = q.filter(filter);
    }
    if let Some(country) = country {
        q = q.filter(factories::country.eq(country.as_str().to_string()));
    }
    Page::from_rows(
        q.load(conn)?,
        page,
        |r| Cursor::encode(&r.id),
        FactoryRow::view,
    )
}

pub fn update(
    conn: &mut DbConnection,
    caller: &Caller,
    id: FactoryId,
    patch: FactoryPatch,
    now: NaiveDateTime,
) -> Result<Factory, Error> {
    let mut row = get_row(conn, caller, id)?;
    if !(caller.is_admin() || caller.organization_id.to_string() == row.created_by) {
        return Err(Error::Forbidden(
            "only an admin or the contractor that registered this factory may change it".into(),
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
    let clash: Option<String> = factories::table
        .filter(factories::id.ne(&row.id))
        .filter(
            factories::dedup_key
                .eq(&row.dedup_key)
                .or(factories::os_id.eq(row.os_id.clone().unwrap_or_default())),
        )
        .select(factories::id)
        .first(conn)
        .optional()?;
    if let Some(other) = clash {
        return Err(Error::Conflict {
            detail: "another factory already has this OS ID or this name, address and country"
                .into(),
            extra: Some(serde_json::json!({ "existing_id": other })),
        });
    }
    diesel::update(factories::table.filter(factories::id.eq(&row.id)))
        .set(&row)
        .execute(conn)?;
    row.view()
}
