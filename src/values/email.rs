//! Email addresses and lists of them.

use std::str::FromStr;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// An email address (RFC 5322 addr-spec with a domain), trimmed.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Email(String);

impl utoipa::PartialSchema for Email {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .format(Some(utoipa::openapi::SchemaFormat::KnownFormat(
                utoipa::openapi::KnownFormat::Email,
            )))
            .max_length(Some(254))
            .examples([serde_json::json!("duediligence@example.org")])
            .into()
    }
}
impl ToSchema for Email {}

impl Email {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The form a user's address is kept and compared in: addresses match without regard to
    /// case (the local part is case-sensitive in theory, never in practice).
    pub fn normalized(&self) -> String {
        self.0.to_lowercase()
    }
}

impl TryFrom<String> for Email {
    type Error = String;
    fn try_from(raw: String) -> Result<Self, String> {
        let s = raw.trim();
        let valid = s.len() <= 254
            && email_address::EmailAddress::from_str(s).is_ok()
            // A bare local host is legal in RFC 5322 but never what a notification list means.
            && s.rsplit_once('@').is_some_and(|(_, d)| d.contains('.') && !d.starts_with('['));
        if valid {
            Ok(Email(s.to_string()))
        } else {
            Err(format!("{raw:?} is not a valid email address"))
        }
    }
}

impl From<Email> for String {
    fn from(v: Email) -> String {
        v.0
    }
}

/// Up to twenty email addresses; repeats (ignoring case) are dropped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "Vec<Email>", into = "Vec<Email>")]
pub struct EmailList(Vec<Email>);

fn email_list_schema(min: usize) -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    use utoipa::PartialSchema;
    utoipa::openapi::ArrayBuilder::new()
        .items(Email::schema())
        .min_items((min > 0).then_some(min))
        .max_items(Some(EmailList::MAX))
        .into()
}

impl utoipa::PartialSchema for EmailList {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        email_list_schema(0)
    }
}
impl ToSchema for EmailList {}

/// The schema of an `EmailList` that must not be empty (notification addresses), for
/// `#[schema(value_type = NonEmptyEmailList)]`; the service refuses an empty one.
pub struct NonEmptyEmailList;

impl utoipa::PartialSchema for NonEmptyEmailList {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        email_list_schema(1)
    }
}
impl ToSchema for NonEmptyEmailList {}

impl EmailList {
    pub const MAX: usize = 20;
    pub fn empty() -> EmailList {
        EmailList(Vec::new())
    }
    pub fn iter(&self) -> impl Iterator<Item = &Email> {
        self.0.iter()
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    /// Stored as a JSON array of strings.
    pub fn to_db(&self) -> String {
        serde_json::to_string(&self.0).unwrap_or_else(|_| "[]".into())
    }
    pub fn from_db(s: &str) -> Result<EmailList, crate::error::Error> {
        serde_json::from_str::<Vec<Email>>(s)
            .map(EmailList)
            .map_err(|e| crate::error::Error::internal_from("corrupt email list", e))
    }
}

impl TryFrom<Vec<Email>> for EmailList {
    type Error = String;
    fn try_from(list: Vec<Email>) -> Result<Self, String> {
        if list.len() > Self::MAX {
            return Err(format!("at most {} addresses", Self::MAX));
        }
        let mut seen: Vec<Email> = Vec::with_capacity(list.len());
        for e in list {
            if !seen.iter().any(|s| s.0.eq_ignore_ascii_case(&e.0)) {
                seen.push(e);
            }
        }
        Ok(EmailList(seen))
    }
}

impl From<EmailList> for Vec<Email> {
    fn from(v: EmailList) -> Vec<Email> {
        v.0
    }
}
