//! Rules for organizations. Admins manage all of them; everyone sees their own; a buyer also
//! sees the contractor directory (to register contracts) and a contractor the buyers of its
//! contracts. Anything else answers 404.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::{NewOrganization, Organization, OrganizationPatch, OrganizationRow};
use crate::auth::Caller;
use crate::db::{DbBackend, DbConnection};
use crate::error::Error;
use crate::pagination::{Cursor, Page, PageRequest};
use crate::schema::{contracts, organizations};
use crate::values::{EmailList, Language, OrgKind, OrganizationId};

type Visible =
    Box<dyn BoxableExpression<organizations::table, DbBackend, SqlType = diesel::sql_types::Bool>>;

/// The organizations `caller` may read, as a filter.
fn visible_to(caller: &Caller) -> Option<Visible> {
    let me = caller.organization_id.to_string();
    match caller.kind {
        OrgKind::Admin => None,
        OrgKind::Buyer => Some(Box::new(
            organizations::id
                .eq(me)
                .or(organizations::kind.eq(OrgKind::Contractor.as_str())),
        )),
        OrgKind::Contractor => Some(Box::new(
            organizations::id
                .eq(me.clone())
                .or(organizations::id.eq_any(
                    contracts::table
                        .filter(contracts::contractor_id.eq(me))
                        .select(contracts::buyer_id),
                )),
        )),
        OrgKind::Monitor => Some(Box::new(organizations::id.eq(me))),
    }
}

pub fn create(
    conn: &mut DbConnection,
    caller: &Caller,
    input: NewOrganization,
    now: NaiveDateTime,
) -> Result<Organization, Error> {
    caller.require(&[OrgKind::Admin], "create organizations")?;
    insert(conn, input, now)
}

/// Inserts without a caller (the `admin-token` and `demo` commands).
pub fn insert(
    conn: &mut DbConnection,
    input: NewOrganization,
    now: NaiveDateTime,
) -> Result<Organization, Error> {
    if input.notification_emails.is_empty() {
        return Err(Error::field(
            "notification_emails",
            "give at least one address",
        ));
    }
    let row = OrganizationRow {
        id: OrganizationId::new(),
        kind: input.kind,
        name: input.name.into_inner(),
        country: input.country.as_str().to_string(),
        notification_emails: input.notification_emails.to_db(),
        escalation_emails: input
            .escalation_emails
            .unwrap_or_else(EmailList::empty)
            .to_db(),
        language: input.language.unwrap_or(Language::En),
        created_at: now,
        updated_at: now,
        timezone: input
            .timezone
            .map_or_else(|| "Europe/Brussels".to_string(), String::from),
        digest_hour: input.digest_hour.map(|h| h.0),
    };
    diesel::insert_into(organizations::table)
        .values(&row)
        .execute(conn)?;
    row.view()
}

pub fn get(
    conn: &mut DbConnection,
    caller: &Caller,
    id: OrganizationId,
) -> Result<Organization, Error> {
    let mut q = organizations::table
        .filter(organizations::id.eq(id.to_string()))
        .select(OrganizationRow::as_select())
        .into_boxed();
    if let Some(filter) = visible_to(caller) {
        q = q.filter(filter);
    }
    q.first(conn)
        .optional()?
        .ok_or(Error::NotFound("organization"))?
        .view()
}

pub fn list(
    conn: &mut DbConnection,
    caller: &Caller,
    kind: Option<OrgKind>,
    page: &PageRequest,
) -> Result<Page<Organization>, Error> {
    let mut q = organizations::table
        .filter(organizations::id.gt(page.after_db()))
        .order(organizations::id.asc())
        .limit(page.fetch())
        .select(OrganizationRow::as_select())
        .into_boxed();
    if let Some(filter) = visible_to(caller) {
        q = q.filter(filter);
    }
    if let Some(kind) = kind {
        q = q.filter(organizations::kind.eq(kind.as_str()));
    }
    Page::from_rows(
        q.load(conn)?,
        page,
        |r| Cursor::encode(r.id),
        OrganizationRow::view,
    )
}

/// Admins change any organization, others only their own.
pub fn update(
    conn: &mut DbConnection,
    caller: &Caller,
    id: OrganizationId,
    patch: OrganizationPatch,
    now: NaiveDateTime,
) -> Result<Organization, Error> {
    let current = get(conn, caller, id)?;
    if !caller.is_admin() && caller.organization_id != id {
        return Err(Error::Forbidden(
            "only an admin or the organization itself may change it".into(),
        ));
    }
    if patch
        .notification_emails
        .as_ref()
        .is_some_and(|l| l.is_empty())
    {
        return Err(Error::field(
            "notification_emails",
            "give at least one address",
        ));
    }
    let row = OrganizationRow {
        id,
        kind: current.kind,
        name: patch.name.map_or(current.name, |n| n.into_inner()),
        country: patch
            .country
            .map_or(current.country, |c| c.as_str().to_string()),
        notification_emails: match patch.notification_emails {
            Some(l) => l.to_db(),
            None => serde_json::to_string(&current.notification_emails)?,
        },
        escalation_emails: match patch.escalation_emails {
            Some(l) => l.to_db(),
            None => serde_json::to_string(&current.escalation_emails)?,
        },
        language: patch.language.unwrap_or(current.language),
        created_at: current.created_at.naive_utc(),
        updated_at: now,
        timezone: patch.timezone.map_or(current.timezone, String::from),
        digest_hour: match patch.digest_hour {
            Some(h) => h.map(|h| h.0),
            None => current.digest_hour,
        },
    };
    diesel::update(organizations::table.filter(organizations::id.eq(id.to_string())))
        .set(&row)
        .execute(conn)?;
    row.view()
}

/// The kind of an organization, if it exists (for checks such as "contractor_id names a
/// contractor").
pub fn kind_of(conn: &mut DbConnection, id: OrganizationId) -> Result<Option<OrgKind>, Error> {
    organizations::table
        .filter(organizations::id.eq(id))
        .select(organizations::kind)
        .first::<OrgKind>(conn)
        .optional()
        .map_err(Error::from)
}

/// The first admin organization, if any.
pub fn find_admin(conn: &mut DbConnection) -> Result<Option<OrganizationId>, Error> {
    organizations::table
        .filter(organizations::kind.eq(OrgKind::Admin))
        .order(organizations::id.asc())
        .select(organizations::id)
        .first::<OrganizationId>(conn)
        .optional()
        .map_err(Error::from)
}
