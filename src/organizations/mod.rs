//! Organizations: buyers, contractors, monitors and the operator (admin). Their kind is the
//! role of their tokens; their notification addresses and language drive email.

pub mod http;
pub mod pages;
pub mod service;

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::clock::utc;
use crate::error::Error;
use crate::schema::organizations;
use crate::values::{
    CountryCode, EmailList, Hour, Language, Name, NonEmptyEmailList, OrgKind, OrganizationId,
    TimeZone,
};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewOrganization {
    pub name: Name,
    pub kind: OrgKind,
    pub country: CountryCode,
    /// Where case notifications go; at least one address.
    #[schema(value_type = NonEmptyEmailList)]
    pub notification_emails: EmailList,
    /// Defaults to `en`.
    pub language: Option<Language>,
    /// Who is told when a case of this organization escalates; defaults to none.
    pub escalation_emails: Option<EmailList>,
    /// IANA time zone in which deadlines are shown to it; defaults to Europe/Brussels.
    pub timezone: Option<TimeZone>,
    /// Local hour (0-23) of a daily digest of non-urgent mails (comments, reminders of minor
    /// cases) instead of one mail each; absent: every mail at once.
    pub digest_hour: Option<Hour>,
}

/// Changes to an organization; absent fields stay as they are. The kind never changes.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrganizationPatch {
    pub name: Option<Name>,
    pub country: Option<CountryCode>,
    #[schema(value_type = Option<NonEmptyEmailList>)]
    pub notification_emails: Option<EmailList>,
    pub language: Option<Language>,
    pub escalation_emails: Option<EmailList>,
    pub timezone: Option<TimeZone>,
    /// A number to receive a daily digest at that hour; null to receive every mail at once.
    #[serde(default, deserialize_with = "crate::values::double_option")]
    #[schema(value_type = Option<Hour>, nullable)]
    pub digest_hour: Option<Option<Hour>>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Organization {
    pub id: OrganizationId,
    pub kind: OrgKind,
    pub name: String,
    pub country: String,
    pub notification_emails: Vec<String>,
    pub escalation_emails: Vec<String>,
    pub language: Language,
    pub timezone: String,
    pub digest_hour: Option<i32>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = organizations, treat_none_as_null = true)]
pub struct OrganizationRow {
    pub id: OrganizationId,
    pub kind: OrgKind,
    pub name: String,
    pub country: String,
    pub notification_emails: String,
    pub escalation_emails: String,
    pub language: Language,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub timezone: String,
    pub digest_hour: Option<i32>,
}

impl OrganizationRow {
    pub fn view(self) -> Result<Organization, Error> {
        let emails = |s: &str| -> Result<Vec<String>, Error> {
            Ok(EmailList::from_db(s)?
                .iter()
                .map(|e| e.as_str().to_string())
                .collect())
        };
        Ok(Organization {
            id: self.id,
            kind: self.kind,
            notification_emails: emails(&self.notification_emails)?,
            escalation_emails: emails(&self.escalation_emails)?,
            language: self.language,
            name: self.name,
            country: self.country,
            timezone: self.timezone,
            digest_hour: self.digest_hour,
            created_at: utc(self.created_at),
            updated_at: utc(self.updated_at),
        })
    }
}
