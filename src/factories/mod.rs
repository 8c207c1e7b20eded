//! Factories: shared across contracts and deduplicated, by Open Supply Hub id or by
//! normalized name + address + country.

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
    CountryCode, FactoryId, Latitude, LineText, Longitude, Name, ShortText, WorkerCount,
};

#[derive(Debug, Deserialize, ToSchema)]
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
#[derive(Debug, Default, Deserialize, ToSchema)]
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
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = factories, treat_none_as_null = true)]
pub struct FactoryRow {
    pub id: String,
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
    pub created_by: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl FactoryRow {
    pub fn view(self) -> Result<Factory, Error> {
        Ok(Factory {
            id: FactoryId::from_db(&self.id)?,
            name: self.name,
            address: self.address,
            country: self.country,
            os_id: self.os_id,
            latitude: self.latitude,
            longitude: self.longitude,
            sector: self.sector,
            workers: self.workers,
            parent_company: self.parent_company,
            created_at: utc(self.created_at),
            updated_at: utc(self.updated_at),
        })
    }
}

/// The deduplication key: country, name and address, lower-cased, with punctuation and runs
/// of white space folded to one space, so "ACME Co., Ltd." and "acme co ltd" are one factory.
pub fn dedup_key(name: &str, address: &str, country: &str) -> String {
    fn fold(s: &str) -> String {
        s.chars()
            .map(|c| if c.is_alphanumeric() { c } else { ' ' })
            .flat_map(char::to_lowercase)
            .collect::<String>()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    }
    format!(
        "{}|{}|{}",
        country.to_ascii_uppercase(),
        fold(name),
        fold(address)
    )
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
}
