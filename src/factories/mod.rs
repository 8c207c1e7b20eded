//! Factories: a registry shared by everyone signed in and deduplicated, by Open Supply Hub id
//! or by normalized name + address + country. As on Open Supply Hub, the factory record is
//! public to every organization; who registered, discloses or sources from a factory is not
//! (see `service::sees_registrant` and docs/security.md, "Factory registry").

pub mod export;
pub mod http;
pub mod service;

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::clock::utc;
use crate::error::Error;
use crate::schema::factories;
use crate::values::{
    CountryCode, FactoryId, Latitude, LineText, Longitude, Name, OrganizationId, ShortText,
    WorkerCount,
};

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewFactory {
    pub name: Name,
    pub address: LineText,
    pub country: CountryCode,
    /// Open Supply Hub id (OS ID), e.g. `CN2019303BQ3FZP`.
    pub os_id: Option<ShortText>,
    pub latitude: Option<Latitude>,
    pub longitude: Option<Longitude>,
    pub sector: Option<ShortText>,
    pub workers: Option<WorkerCount>,
    pub parent_company: Option<Name>,
}

/// Changes to a factory; absent fields stay as they are.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FactoryPatch {
    pub name: Option<Name>,
    pub address: Option<LineText>,
    pub country: Option<CountryCode>,
    pub os_id: Option<ShortText>,
    pub latitude: Option<Latitude>,
    pub longitude: Option<Longitude>,
    pub sector: Option<ShortText>,
    pub workers: Option<WorkerCount>,
    pub parent_company: Option<Name>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Factory {
    pub id: FactoryId,
    pub name: String,
    pub address: String,
    pub country: String,
    pub os_id: Option<String>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub sector: Option<String>,
    pub workers: Option<i32>,
    pub parent_company: Option<String>,
    /// The organization that registered the factory. Present only for that organization
    /// itself, monitors and admins: another contractor or a buyer never learns who registered
    /// a factory.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub registered_by: Option<OrganizationId>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = factories, treat_none_as_null = true)]
pub struct FactoryRow {
    pub id: FactoryId,
    pub name: String,
    pub address: String,
    pub country: String,
    pub os_id: Option<String>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub sector: Option<String>,
    pub workers: Option<i32>,
    pub parent_company: Option<String>,
    pub dedup_key: String,
    pub created_by: OrganizationId,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl FactoryRow {
    /// The record; `registered_by` only when `show_registrant`.
    pub fn view(self, show_registrant: bool) -> Result<Factory, Error> {
        let registered_by = show_registrant.then_some(self.created_by);
        Ok(Factory {
            id: self.id,
            name: self.name,
            address: self.address,
            country: self.country,
            os_id: self.os_id,
            latitude: self.latitude,
            longitude: self.longitude,
            sector: self.sector,
            workers: self.workers,
            parent_company: self.parent_company,
            registered_by,
            created_at: utc(self.created_at),
            updated_at: utc(self.updated_at),
        })
    }
}

/// Lower case, punctuation and runs of white space folded to one space.
pub fn fold(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_alphanumeric() { c } else { ' ' })
        .flat_map(char::to_lowercase)
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// The deduplication key: country, name and address, lower-cased, with punctuation and runs
/// of white space folded to one space, so "ACME Co., Ltd." and "acme co ltd" are one factory.
pub fn dedup_key(name: &str, address: &str, country: &str) -> String {
    format!(
        "{}|{}|{}",
        country.to_ascii_uppercase(),
        fold(name),
        fold(address)
    )
}

/// A `LIKE` pattern over `dedup_key` matching the factories whose name contains `q`, both
/// folded as the key folds them (so the search ignores case, punctuation and spacing the same
/// way on both backends, Unicode included). The folded text holds only letters, digits and
/// single spaces, so nothing needs escaping; the key's two `|` frame the name. `None` when `q`
/// has no letter or digit (no filter).
pub fn name_search_pattern(q: &str) -> Option<String> {
    let q = fold(q);
    (!q.is_empty()).then(|| format!("%|%{q}%|%"))
}

/// OS IDs are upper case; clients paste them in any case.
pub fn normalize_os_id(raw: &str) -> String {
    raw.trim().to_ascii_uppercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dedup_key_folds_case_punctuation_and_spaces() {
        assert_eq!(
            dedup_key("ACME Co., Ltd.", "12  Industrial Rd, Shenzhen", "cn"),
            dedup_key("acme co ltd", "12 industrial rd shenzhen", "CN")
        );
        assert_ne!(
            dedup_key("Acme", "Rd 1", "CN"),
            dedup_key("Acme", "Rd 1", "VN")
        );
        assert_eq!(dedup_key("Fábrica Ñ", "x", "MX"), "MX|fábrica ñ|x");
    }

    /// The pattern as SQL `LIKE` reads it (`%` any run), enough to check what it matches.
    fn like(pattern: &str, text: &str) -> bool {
        let parts: Vec<&str> = pattern.split('%').collect();
        let mut rest = text;
        for (i, part) in parts.iter().enumerate() {
            if i == 0 {
                match rest.strip_prefix(part) {
                    Some(r) => rest = r,
                    None => return false,
                }
            } else if i == parts.len() - 1 {
                return rest.ends_with(part);
            } else {
                match rest.find(part) {
                    Some(at) => rest = &rest[at + part.len()..],
                    None => return false,
                }
            }
        }
        rest.is_empty()
    }

    #[test]
    fn name_search_matches_the_name_only() {
        let key = dedup_key("ACME Co., Ltd.", "12 Fábrica Road", "CN");
        for q in ["acme", "ACME CO", "co., ltd", "me co l", "Acme Co Ltd"] {
            assert!(like(&name_search_pattern(q).unwrap(), &key), "{q}");
        }
        for q in ["fabrica", "fábrica", "road", "cn", "acme road", "12"] {
            assert!(!like(&name_search_pattern(q).unwrap(), &key), "{q}");
        }
        let key = dedup_key("FÁBRICA Ñ", "x", "MX");
        assert!(like(&name_search_pattern("fábrica ñ").unwrap(), &key));
        assert_eq!(name_search_pattern(" .,- "), None);
        assert_eq!(name_search_pattern("50%_off").unwrap(), "%|%50 off%|%");
    }
}
