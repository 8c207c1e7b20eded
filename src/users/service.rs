//! Rules for users. Everyone sees the users of their own organization (colleagues); the admin
//! sees all; nobody sees another organization's staff list (buyers are not told of each
//! other, contractors are competitors): outside your reach is 404. A manager, or the
//! organization's own API token, invites and deactivates its users; the admin anyone's; a user
//! changes their own name and language.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::{NewUser, User, UserPatch, UserRole, UserRow};
use crate::auth::{sessions, sign_in, Caller};
use crate::db::DbConnection;
use crate::error::Error;
use crate::pagination::{Cursor, Page, PageRequest};
use crate::schema::{organizations, users};
use crate::values::{Email, Language, Name, OrganizationId, UserId};

/// What an invitation needs besides the user: where links point.
#[derive(Debug, Clone, Copy)]
pub struct Invitation<'a> {
    pub public_url: &'a str,
    pub now: NaiveDateTime,
}

/// Invites a user: creates them and sends a sign-in link, in one transaction.
pub fn create(
    conn: &mut DbConnection,
    caller: &Caller,
    input: NewUser,
    invitation: Invitation,
) -> Result<User, Error> {
    let organization = input.organization_id.unwrap_or(caller.organization_id);
    if organization != caller.organization_id && !caller.is_admin() {
        return Err(Error::Forbidden(
            "you invite users into your own organization only (organization_id)".into(),
        ));
    }
    if !caller.manages_users_of(organization) {
        return Err(Error::Forbidden(
            "only a manager of the organization (or the admin) invites users".into(),
        ));
    }
    let row = insert(
        conn,
        organization,
        &input.email,
        input.display_name,
        input.language,
        input.role.unwrap_or(UserRole::Member),
        invitation.now,
    )?;
    // The link goes by mail only: the answer does not carry it.
    sign_in::send_link(conn, &row, invitation.public_url, None, invitation.now)?;
    Ok(row.view())
}

/// Writes a user without a caller (the `invite` and `demo` commands). An address already in
/// use is a conflict naming the existing user when it is in the same organization.
pub fn insert(
    conn: &mut DbConnection,
    organization: OrganizationId,
    email: &Email,
    display_name: Name,
    language: Option<Language>,
    role: UserRole,
    now: NaiveDateTime,
) -> Result<UserRow, Error> {
    let org_language: Option<Language> = organizations::table
        .filter(organizations::id.eq(organization))
        .select(organizations::language)
        .first(conn)
        .optional()?;
    let Some(org_language) = org_language else {
        return Err(Error::NotFound("organization"));
    };
    let email = email.normalized();
    let existing: Option<(UserId, OrganizationId)> = users::table
        .filter(users::email.eq(&email))
        .select((users::id, users::organization_id))
        .first(conn)
        .optional()?;
    if let Some((id, org)) = existing {
        // Which organization another address belongs to is not this caller's business.
        let extra = (org == organization).then(|| serde_json::json!({ "existing_id": id }));
        return Err(Error::Conflict {
            detail: format!("{email} is already a user's address"),
            extra,
        });
    }
    let row = UserRow {
        id: UserId::new(),
        organization_id: organization,
        email,
        display_name: display_name.into_inner(),
        language: language.unwrap_or(org_language),
        role,
        active: true,
        password_hash: None,
        created_at: now,
        updated_at: now,
    };
    diesel::insert_into(users::table)
        .values(&row)
        .execute(conn)?;
    Ok(row)
}

/// A user within the caller's reach, else 404.
fn reachable(conn: &mut DbConnection, caller: &Caller, id: UserId) -> Result<UserRow, Error> {
    let mut q = users::table
        .filter(users::id.eq(id))
        .select(UserRow::as_select())
        .into_boxed();
    if !caller.is_admin() {
        q = q.filter(users::organization_id.eq(caller.organization_id));
    }
    q.first(conn).optional()?.ok_or(Error::NotFound("user"))
}

pub fn get(conn: &mut DbConnection, caller: &Caller, id: UserId) -> Result<User, Error> {
    Ok(reachable(conn, caller, id)?.view())
}

pub fn list(
    conn: &mut DbConnection,
    caller: &Caller,
    organization: Option<OrganizationId>,
    page: &PageRequest,
) -> Result<Page<User>, Error> {
    let mut q = users::table
        .filter(users::id.gt(page.after_db()))
        .order(users::id.asc())
        .limit(page.fetch())
        .select(UserRow::as_select())
        .into_boxed();
    if !caller.is_admin() {
        q = q.filter(users::organization_id.eq(caller.organization_id));
    }
    if let Some(org) = organization {
        q = q.filter(users::organization_id.eq(org));
    }
    Page::from_rows(
        q.load(conn)?,
        page,
        |r| Cursor::encode(r.id),
        |r| Ok(r.view()),
    )
}

/// Changes a user. Deactivation ends every session of the user in the same transaction.
pub fn update(
    conn: &mut DbConnection,
    caller: &Caller,
    id: UserId,
    patch: UserPatch,
    now: NaiveDateTime,
) -> Result<User, Error> {
    let mut row = reachable(conn, caller, id)?;
    let myself = caller.user.is_some_and(|u| u.id == id);
    let manages = caller.manages_users_of(row.organization_id);
    if !myself && !manages {
        return Err(Error::Forbidden(
            "only the user themselves, a manager of their organization or the admin changes a user"
                .into(),
        ));
    }
    if patch.role.is_some() || patch.active.is_some() {
        if !manages {
            return Err(Error::Forbidden(
                "only a manager of the organization (or the admin) changes roles and deactivates users"
                    .into(),
            ));
        }
        // A manager who demoted or deactivated themselves could lock the organization out.
        if myself {
            let field = if patch.role.is_some() {
                "role"
            } else {
                "active"
            };
            return Err(Error::field(
                field,
                "you cannot change your own role or deactivate yourself; ask another manager",
            ));
        }
    }
    if let Some(name) = patch.display_name {
        row.display_name = name.into_inner();
    }
    if let Some(language) = patch.language {
        row.language = language;
    }
    if let Some(role) = patch.role {
        row.role = role;
    }
    if let Some(active) = patch.active {
        if row.active && !active {
            sessions::revoke_all(conn, row.id, now)?;
        }
        row.active = active;
    }
    row.updated_at = now;
    diesel::update(users::table.filter(users::id.eq(row.id)))
        .set((
            users::display_name.eq(&row.display_name),
            users::language.eq(row.language),
            users::role.eq(row.role),
            users::active.eq(row.active),
            users::updated_at.eq(row.updated_at),
        ))
        .execute(conn)?;
    Ok(row.view())
}
