//! The due-diligence status of a contract, and of a buyer's portfolio: disclosure coverage,
//! the supply chain, cases by state and severity, response times, escalation, and a
//! green/amber/red status with the rules that made it. As of now (from the case rows), or as of
//! the end of a past day (replayed from the event history).

pub mod chart;
pub(crate) mod coverage;
mod csv;
pub mod factories_export;
mod figures;
mod history;
pub mod http;
pub mod kept;
pub mod pages;
mod portfolio;
pub mod service;

pub(crate) use coverage::coverage_of_many;
pub(crate) use figures::hours_between;

use std::collections::BTreeMap;

/// The states in which a case is over: it counts as neither open nor overdue.
pub(crate) const DONE: [&str; 2] = [
    crate::cases::CaseState::Verified.as_str(),
    crate::cases::CaseState::Closed.as_str(),
];

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use crate::values::{text_enum, CaseId, ComponentId, ContractId, ContractItemId, FactoryId};

text_enum!(
    /// Green: nothing to act on. Amber: something needs attention. Red: the contract's
    /// remedies may apply.
    Status { Green => "green", Amber => "amber", Red => "red" }
);

/// A rule that made the status, with what triggered it.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct StatusReason {
    /// `non_cooperation`, `critical_overdue`, `case_overdue`, `case_escalated`, `coverage_incomplete`.
    pub rule: String,
    pub status: Status,
    pub detail: String,
}

#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct UncoveredItem {
    pub item_id: ContractItemId,
    pub component_id: ComponentId,
    pub component_name: String,
}

#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct Coverage {
    /// Items of the contract.
    pub items: i64,
    /// Items with at least one valid tier-1 (final assembly) factory disclosed.
    pub covered: i64,
    /// covered / items; null for a contract without items.
    pub share: Option<f64>,
    pub uncovered: Vec<UncoveredItem>,
}

#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct SupplyChainFactory {
    pub id: FactoryId,
    pub name: String,
    pub country: String,
    /// The lowest tier at which the factory appears for this contract.
    pub tier: i32,
}

#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct Factories {
    pub total: i64,
    pub by_tier: BTreeMap<String, i64>,
    pub by_country: BTreeMap<String, i64>,
    pub list: Vec<SupplyChainFactory>,
}

#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct OpenCase {
    pub id: CaseId,
    /// The finding's title.
    pub title: String,
    pub state: String,
    pub severity: String,
    pub escalation_level: i32,
    pub overdue: bool,
    /// Null in a view of the past.
    pub next_due_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct CaseFigures {
    /// Not yet verified or closed.
    pub open: i64,
    /// At escalation level 2 or more.
    pub overdue: i64,
    pub total: i64,
    pub by_state: BTreeMap<String, i64>,
    pub by_severity: BTreeMap<String, i64>,
    /// The open cases, soonest deadline first (at most 200).
    pub open_cases: Vec<OpenCase>,
}

#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct Durations {
    pub count: i64,
    pub median_hours: Option<f64>,
    pub p90_hours: Option<f64>,
}

/// One event of the contract's cases, newest first.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct HistoryEntry {
    pub case_id: CaseId,
    pub kind: String,
    pub at: DateTime<Utc>,
}

/// The due-diligence status of one contract.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct DueDiligence {
    pub contract_id: ContractId,
    pub reference: String,
    pub title: String,
    /// The instant the figures describe.
    pub as_of: DateTime<Utc>,
    pub status: Status,
    pub status_reasons: Vec<StatusReason>,
    pub coverage: Coverage,
    pub factories: Factories,
    pub cases: CaseFigures,
    pub time_to_acknowledge: Durations,
    pub time_to_accepted_plan: Durations,
    /// The highest escalation level any case of the contract reached.
    pub max_escalation_level: i32,
    /// The latest events of the contract's cases (at most 20).
    pub history: Vec<HistoryEntry>,
}

/// One contract of a portfolio.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct PortfolioEntry {
    pub contract_id: ContractId,
    pub reference: String,
    pub title: String,
    pub status: Status,
    pub status_reasons: Vec<StatusReason>,
    pub items: i64,
    pub covered: i64,
    pub coverage_share: Option<f64>,
    pub open_cases: i64,
    pub overdue_cases: i64,
    pub max_escalation_level: i32,
    /// The framework agreement this contract is a call-off of, and its reference.
    pub framework_id: Option<ContractId>,
    pub framework_reference: Option<String>,
}

/// The green/amber/red rules, in one place (documented in docs/due-diligence.md).
pub fn judge(coverage: &Coverage, open: &[(String, i32, i64)]) -> (Status, Vec<StatusReason>) {
    // open: (severity, current level, how many open cases)
    let mut reasons = Vec::new();
    let count = |f: &dyn Fn(&(String, i32, i64)) -> bool| -> i64 {
        open.iter().filter(|c| f(c)).map(|c| c.2).sum()
    };
    let level3 = count(&|c| c.1 >= 3);
    if level3 > 0 {
        reasons.push(StatusReason {
            rule: "non_cooperation".into(),
            status: Status::Red,
            detail: format!("{level3} case(s) at escalation level 3 (non-cooperation)"),
        });
    }
    let critical_overdue = count(&|c| c.0 == "critical" && c.1 >= 2);
    if critical_overdue > 0 {
        reasons.push(StatusReason {
            rule: "critical_overdue".into(),
            status: Status::Red,
            detail: format!("{critical_overdue} critical case(s) overdue"),
        });
    }
    let overdue = count(&|c| c.1 >= 2);
    if overdue > 0 {
        reasons.push(StatusReason {
            rule: "case_overdue".into(),
            status: Status::Amber,
            detail: format!("{overdue} case(s) overdue (escalation level 2 or more)"),
        });
    }
    let escalated = count(&|c| c.1 == 1);
    if escalated > 0 {
        reasons.push(StatusReason {
            rule: "case_escalated".into(),
            status: Status::Amber,
            detail: format!("{escalated} case(s) missed a deadline (escalation level 1)"),
        });
    }
    if coverage.items == 0 {
        reasons.push(StatusReason {
            rule: "coverage_incomplete".into(),
            status: Status::Amber,
            detail: "the contract lists no items: nothing is disclosed".into(),
        });
    } else if coverage.covered < coverage.items {
        reasons.push(StatusReason {
            rule: "coverage_incomplete".into(),
            status: Status::Amber,
            detail: format!(
                "{} of {} items have no disclosed tier-1 factory",
                coverage.items - coverage.covered,
                coverage.items
            ),
        });
    }
    let status = if reasons.iter().any(|r| r.status == Status::Red) {
        Status::Red
    } else if reasons.is_empty() {
        Status::Green
    } else {
        Status::Amber
    };
    (status, reasons)
}

/// Nearest-rank percentile of sorted values.
pub fn percentile(sorted: &[f64], p: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil().max(1.0) as usize;
    Some(sorted[rank.min(sorted.len()) - 1])
}

/// Median and p90 of durations in hours (rounded to 0.01 h).
pub fn durations(mut hours: Vec<f64>) -> Durations {
    hours.sort_by(|a, b| a.total_cmp(b));
    let round = |v: Option<f64>| v.map(|x| (x * 100.0).round() / 100.0);
    Durations {
        count: hours.len() as i64,
        median_hours: round(percentile(&hours, 50.0)),
        p90_hours: round(percentile(&hours, 90.0)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_by_nearest_rank() {
        let v: Vec<f64> = (1..=10).map(f64::from).collect();
        assert_eq!(percentile(&v, 50.0), Some(5.0));
        assert_eq!(percentile(&v, 90.0), Some(9.0));
        assert_eq!(percentile(&[7.0], 90.0), Some(7.0));
        assert_eq!(percentile(&[], 50.0), None);
        assert_eq!(durations(vec![3.0, 1.0, 2.0]).median_hours, Some(2.0));
    }

    #[test]
    fn each_rule() {
        let full = Coverage {
            items: 2,
            covered: 2,
            share: Some(1.0),
            uncovered: vec![],
        };
        let part = Coverage {
            items: 2,
            covered: 1,
            share: Some(0.5),
            uncovered: vec![],
        };
        let c = |s: &str, l: i32| (s.to_string(), l, 1);
        assert_eq!(
            judge(&full, &[c("critical", 0), c("minor", 0)]).0,
            Status::Green
        );
        assert_eq!(judge(&part, &[]).0, Status::Amber);
        assert_eq!(judge(&full, &[c("major", 1)]).0, Status::Amber);
        assert_eq!(judge(&full, &[c("major", 2)]).0, Status::Amber);
        assert_eq!(judge(&full, &[c("critical", 2)]).0, Status::Red);
        assert_eq!(judge(&full, &[c("minor", 3)]).0, Status::Red);
        let (_, reasons) = judge(&part, &[c("critical", 3)]);
        let rules: Vec<&str> = reasons.iter().map(|r| r.rule.as_str()).collect();
        assert_eq!(
            rules,
            [
                "non_cooperation",
                "critical_overdue",
                "case_overdue",
                "coverage_incomplete"
            ]
        );
        // Grouped counts add up: two groups of overdue cases make one reason with their sum.
        let (_, reasons) = judge(
            &full,
            &[
                ("major".into(), 2, 3),
                ("minor".into(), 2, 4),
                c("minor", 0),
            ],
        );
        assert_eq!(reasons.len(), 1);
        assert_eq!(
            reasons[0].detail,
            "7 case(s) overdue (escalation level 2 or more)"
        );
    }
}
