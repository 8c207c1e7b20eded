//! People: the named users of an organization. The organization's kind stays the role (what
//! a buyer, contractor or monitor may do); within its organization a user is a `member` or a
//! `manager`, who invites and deactivates the organization's users. Users are never deleted,
//! because case events name them; they are deactivated instead.

pub mod http;
pub mod pages;
pub mod service;

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::clock::utc;
use crate::schema::users;
pub use crate::values::UserRole;
use crate::values::{Email, Language, Name, OrganizationId, UserId};

/// A user as the API shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct User {
    pub id: UserId,
    pub organization_id: OrganizationId,
    pub email: String,
    pub display_name: String,
    pub language: Language,
    pub role: UserRole,
    /// A deactivated user cannot sign in and every session of theirs has ended.
    pub active: bool,
    /// Whether the user has set a password (they can always sign in by link).
    pub has_password: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A user to invite. The invitation is a sign-in link sent to the address.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUser {
    pub email: Email,
    pub display_name: Name,
    /// Defaults to the organization's language.
    pub language: Option<Language>,
    /// Defaults to `member`.
    pub role: Option<UserRole>,
    /// Only the admin invites into another organization; others invite into their own.
    pub organization_id: Option<OrganizationId>,
}

/// Changes to a user; absent fields stay as they are. A user changes their own name and
/// language; a manager (or the admin) also the role and `active`.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserPatch {
    pub display_name: Option<Name>,
    pub language: Option<Language>,
    pub role: Option<UserRole>,
    /// `false` deactivates the user and ends every session of theirs at once.
    pub active: Option<bool>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = users)]
pub struct UserRow {
    pub id: UserId,
    pub organization_id: OrganizationId,
    pub email: String,
    pub display_name: String,
    pub language: Language,
    pub role: UserRole,
    pub active: bool,
    pub password_hash: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl UserRow {
    pub fn view(self) -> User {
        User {
            id: self.id,
            organization_id: self.organization_id,
            email: self.email,
            display_name: self.display_name,
            language: self.language,
            role: self.role,
            active: self.active,
            has_password: self.password_hash.is_some(),
            created_at: utc(self.created_at),
            updated_at: utc(self.updated_at),
        }
    }
}
