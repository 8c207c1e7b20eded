//! The yearly due-diligence report of a buyer (or of one framework agreement and its
//! call-offs) over a period of days: contracts and spend, disclosure coverage at both ends,
//! findings, case figures, escalations, response times and the cases still open. Every case
//! figure comes from the event history up to the end of the period, so a report on a past
//! period does not change when later events are recorded. The rules: `docs/reports.md`.

pub mod chart;
mod csv;
mod figures;
mod history;
pub mod http;
pub mod pages;
mod respond;
mod scope;
pub mod service;
mod sql;
mod states;

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use crate::due_diligence::Durations;
use crate::values::{CaseId, ContractId, FactoryId, OrganizationId};

/// What a report is asked about: whose, which days, optionally one framework agreement.
#[derive(Debug, Clone, Copy)]
pub struct ReportQuery {
    /// Required for the admin; anyone else reports on their own organization.
    pub buyer: Option<OrganizationId>,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub framework: Option<ContractId>,
}

#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct ReportBuyer {
    pub id: OrganizationId,
    pub name: String,
    /// The organization's language, in which the printable report is written.
    pub language: String,
}

#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct ReportContract {
    pub id: ContractId,
    pub reference: String,
    pub title: String,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub value_amount: Option<String>,
    pub value_currency: Option<String>,
    /// The framework agreement it is a call-off of.
    pub framework_id: Option<ContractId>,
}

/// The spend in one currency: an exact decimal sum.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct Spend {
    pub currency: String,
    pub amount: String,
    pub contracts: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct ContractFigures {
    /// Contracts running on at least one day of the period.
    pub count: i64,
    pub spend: Vec<Spend>,
    /// Contracts without a value (not in `spend`).
    pub without_value: i64,
    pub list: Vec<ReportContract>,
}

/// Disclosure coverage on one day, over the items of the report's contracts running that day.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct CoverageOn {
    pub day: NaiveDate,
    pub contracts: i64,
    pub items: i64,
    pub covered: i64,
    /// covered / items; null without items.
    pub share: Option<f64>,
}

#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct FindingCount {
    pub category: String,
    pub severity: String,
    pub findings: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct FindingFigures {
    /// Findings behind the cases opened in the period.
    pub total: i64,
    pub by_category: BTreeMap<String, i64>,
    pub by_severity: BTreeMap<String, i64>,
    pub by_category_and_severity: Vec<FindingCount>,
}

#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct CaseCounts {
    /// Cases opened in the period.
    pub opened: i64,
    /// Cases opened in the period, by severity.
    pub opened_by_severity: BTreeMap<String, i64>,
    /// Cases whose remediation was reported in the period.
    pub remediated: i64,
    /// Cases verified in the period.
    pub verified: i64,
    /// Cases closed in the period.
    pub closed: i64,
    /// Not verified or closed at the end of the period.
    pub still_open: i64,
    /// Open at escalation level 2 or more at the end of the period.
    pub overdue: i64,
    pub open_by_state: BTreeMap<String, i64>,
    pub open_by_severity: BTreeMap<String, i64>,
}

#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct Escalations {
    /// Escalation events recorded in the period.
    pub total: i64,
    /// By the level each escalation raised the case to.
    pub by_level: BTreeMap<String, i64>,
    /// Cases that reached level 3 (non-cooperation) in the period.
    pub non_cooperation_reached: i64,
    /// Open cases at level 3 at the end of the period.
    pub non_cooperation_open: i64,
}

/// One month of the period (cut to the period at both ends).
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct Month {
    /// `YYYY-MM`.
    pub month: String,
    pub opened: i64,
    /// Cases open at the end of the month's last day in the period.
    pub open_at_end: i64,
}

/// A case open at the end of the period, as it stood then.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct ReportOpenCase {
    pub id: CaseId,
    pub factory_id: FactoryId,
    pub factory: String,
    pub severity: String,
    pub state: String,
    pub escalation_level: i32,
    pub opened_at: DateTime<Utc>,
}

/// The due-diligence report of a buyer (or a framework agreement) over a period.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct Report {
    pub buyer: ReportBuyer,
    /// The framework agreement reported on (its call-offs included); null for every contract.
    pub framework: Option<ReportContract>,
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// The last instant the figures describe (the end of `to`, UTC).
    pub as_of: DateTime<Utc>,
    pub contracts: ContractFigures,
    pub coverage_at_from: CoverageOn,
    pub coverage_at_to: CoverageOn,
    pub findings: FindingFigures,
    pub cases: CaseCounts,
    pub escalations: Escalations,
    /// Hours from opening to the first answer (acknowledgement or dispute), for the cases
    /// first answered in the period.
    pub time_to_acknowledge: Durations,
    pub months: Vec<Month>,
    /// The open cases at the end of the period, most escalated first, then oldest (at most
    /// `OPEN_CASES_LISTED`; `cases.still_open` counts them all).
    pub open_cases: Vec<ReportOpenCase>,
}

/// The open cases a report lists at most.
pub const OPEN_CASES_LISTED: i64 = 1000;
