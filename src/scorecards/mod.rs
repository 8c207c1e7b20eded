//! The contractor scorecard: over a period, how a contractor discloses its supply chain and
//! answers the cases routed to it (acknowledgement, plans, remediation, escalation, disputes),
//! for the contractor itself, the buyers that hold a contract with it, monitors and admins.
//! The figures are aggregated by the database over every case of the contractor; the case ids
//! behind each figure are only those the caller may read. Rules: docs/scorecards.md.

mod csv;
pub mod http;
pub mod pages;
mod rules;
pub mod service;

pub use csv::scorecard_csv;

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use crate::values::{CaseId, ContractId, OrganizationId};

/// The most case ids a figure lists: a contractor can have tens of thousands of cases, and the
/// list is for following up, not for counting (the counts are the figure's own).
pub const LISTED: usize = 500;

/// A share of cases: `numerator` of `denominator` (`value` null when nothing counts).
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq, Default)]
pub struct Share {
    pub value: Option<f64>,
    pub numerator: i64,
    pub denominator: i64,
    /// The cases in the numerator that the caller may read, newest first (at most 500).
    pub cases: Vec<CaseId>,
    /// The other cases of the denominator (late, missed, or a plan accepted after a
    /// rejection) that the caller may read, newest first (at most 500).
    pub missed_cases: Vec<CaseId>,
    /// False when a list was cut at 500.
    pub complete: bool,
}

/// A number of cases.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq, Default)]
pub struct Count {
    pub count: i64,
    /// The cases counted that the caller may read, newest first (at most 500).
    pub cases: Vec<CaseId>,
    /// False when the list was cut at 500.
    pub complete: bool,
}

/// Cases that reached an escalation level (or a higher one).
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct Escalated {
    pub level: i32,
    #[serde(flatten)]
    pub cases: Count,
}

/// Hours from opening to acknowledgement (or dispute).
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq, Default)]
pub struct TimeToAcknowledge {
    pub count: i64,
    /// Nearest-rank median, in hours (0.01 h).
    pub median_hours: Option<f64>,
    /// Nearest-rank 90th percentile, in hours (0.01 h).
    pub p90_hours: Option<f64>,
    /// The acknowledged cases that the caller may read, newest first (at most 500).
    pub cases: Vec<CaseId>,
    pub complete: bool,
}

/// Disclosure coverage across the contractor's contracts running on `to`.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq, Default)]
pub struct DisclosureCoverage {
    /// covered / items; null without items.
    pub value: Option<f64>,
    /// Items with a tier-1 factory disclosed by a link valid on `to`.
    pub numerator: i64,
    /// Items of the contracts running on `to`.
    pub denominator: i64,
    /// How many contracts run on `to`.
    pub contracts: i64,
    /// Those the caller may read (a buyer: its own).
    pub contract_ids: Vec<ContractId>,
}

/// A contractor's scorecard over [`from`, `to`] (UTC days, both included).
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct Scorecard {
    pub organization_id: OrganizationId,
    /// Null for a monitor, which does not read the organization directory.
    pub name: Option<String>,
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// When the figures were computed: a deadline counts as passed before this instant.
    pub as_of: DateTime<Utc>,
    /// Cases of the contractor opened in the period: every other case figure is over these.
    pub cases_in_period: Count,
    pub disclosure_coverage: DisclosureCoverage,
    pub acknowledged_on_time: Share,
    pub plans_accepted_first_time: Share,
    pub remediated_on_time: Share,
    /// Levels 1 to 3: cases whose highest level reached it.
    pub escalated: Vec<Escalated>,
    /// Cases with a dispute.
    pub disputes: Count,
    pub time_to_acknowledge: TimeToAcknowledge,
}

/// The share `n` of `d`, null when `d` is 0.
fn share(n: i64, d: i64) -> Option<f64> {
    (d > 0).then(|| n as f64 / d as f64)
}
