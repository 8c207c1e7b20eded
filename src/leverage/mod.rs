//! Factory exposure and the leverage ranking: which public buyers, contracts, contractors and
//! components depend on a factory on a day, and the factories ranked by how many buyers
//! depend on them, their combined contract value, workers and open cases. Monitors use the
//! ranking to choose where to monitor (docs/leverage.md; who sees what: docs/security.md).

mod cache;
mod csv;
mod exposure;
pub mod http;
mod money;
pub mod pages;
mod query;
mod ranking;
pub mod service;
mod shared;

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::Serialize;
use utoipa::ToSchema;

use crate::values::{text_enum, CaseId, ComponentId, ContractId, FactoryId, OrganizationId};

pub use money::CombinedValue;

text_enum!(
    /// The order of the ranking: `buyers` (most exposed buyers first, the default),
    /// `open_cases`, `severity` (highest severity of an open case first), `workers`, `name`.
    Sort {
        Buyers => "buyers",
        OpenCases => "open_cases",
        Severity => "severity",
        Workers => "workers",
        Name => "name",
    }
);

/// The factory's record, as the registry shows it to everyone.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct FactorySummary {
    pub id: FactoryId,
    pub name: String,
    /// ISO 3166-1 alpha-2.
    pub country: String,
    pub sector: Option<String>,
    pub workers: Option<i32>,
}

/// An organization named in an exposure. `name` is null where the caller may know that the
/// organization exists but not who it is (a contractor's name, for a monitor).
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct ExposedParty {
    pub id: OrganizationId,
    pub name: Option<String>,
    /// The exposed contracts of this party the caller sees.
    pub contracts: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct ComponentRef {
    pub id: ComponentId,
    pub name: String,
}

/// A contract that depends on the factory on the day.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct ExposedContract {
    pub id: ContractId,
    pub reference: String,
    pub title: String,
    pub buyer_id: OrganizationId,
    pub contractor_id: OrganizationId,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    /// A decimal as text (exact); null with `value_currency` for a contract without a value.
    pub value_amount: Option<String>,
    pub value_currency: Option<String>,
    /// The components of the contract's bill of materials linked to the factory.
    pub components: Vec<ComponentRef>,
}

/// An open case at the factory.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct OpenCaseRef {
    pub id: CaseId,
    pub state: String,
    pub severity: String,
    pub escalation_level: i32,
}

/// Who and what depends on one factory on one day, as far as the caller may see.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct Exposure {
    pub factory: FactorySummary,
    /// The day the figures are for.
    pub at: NaiveDate,
    /// Distinct buyers of the contracts that depend on the factory, all of them; null for a
    /// contractor, and for a buyer none of whose contracts depends on it.
    pub exposed_buyers: Option<i64>,
    /// Exposed buyers not listed in `buyers` (for a buyer: the others, counted, never named).
    pub other_buyers: Option<i64>,
    pub buyers: Vec<ExposedParty>,
    pub contractors: Vec<ExposedParty>,
    pub contracts: Vec<ExposedContract>,
    /// The linked components of the listed contracts.
    pub components: Vec<ComponentRef>,
    /// The combined value of the listed contracts, per currency.
    pub value: CombinedValue,
    /// Open cases at the factory the caller counts (see docs/leverage.md).
    pub open_cases: i64,
    pub open_by_severity: BTreeMap<String, i64>,
    pub highest_severity: Option<String>,
    /// The open cases the caller may list (a monitor: those of its own findings).
    pub cases: Vec<OpenCaseRef>,
}

/// One factory of the ranking.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct RankedFactory {
    /// The position in the chosen order, from 1.
    pub rank: i64,
    pub factory: FactorySummary,
    /// Distinct buyers whose running contracts depend on the factory (all buyers).
    pub exposed_buyers: i64,
    /// Exposed contracts the caller sees (a buyer: its own).
    pub contracts: i64,
    /// Their combined value per currency.
    pub value: CombinedValue,
    pub open_cases: i64,
    pub highest_severity: Option<String>,
}

/// The ranking, one page of it.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct Ranking {
    pub at: NaiveDate,
    /// Exposed factories matching the filters, on every page.
    pub total: i64,
    pub items: Vec<RankedFactory>,
    /// Pass as `cursor` for the next page; null on the last page.
    #[schema(value_type = Option<crate::pagination::Cursor>)]
    pub next_cursor: Option<String>,
}

/// The severity of a rank (`severity_rank`); None for 0.
pub(crate) fn severity_name(rank: u8) -> Option<&'static str> {
    match rank {
        3 => Some("critical"),
        2 => Some("major"),
        1 => Some("minor"),
        _ => None,
    }
}

/// Severities from the highest; a higher one ranks first.
pub(crate) fn severity_rank(s: &str) -> u8 {
    match s {
        "critical" => 3,
        "major" => 2,
        "minor" => 1,
        _ => 0,
    }
}
