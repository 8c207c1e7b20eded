//! The due-diligence status as CSV: one contract (a header row and one row), or a portfolio
//! page (one row per contract). Cells go through `crate::export::Sheet`.

use std::collections::BTreeMap;

use super::figures::{severities, states};
use super::{DueDiligence, PortfolioEntry};
use crate::error::Error;
use crate::export::Sheet;

/// The status of one contract as CSV (a header row and one row).
pub fn contract_csv(d: &DueDiligence) -> Result<String, Error> {
    let mut w = Sheet::new();
    let mut header: Vec<String> = [
        "contract_id",
        "reference",
        "title",
        "as_of",
        "status",
        "status_reasons",
        "items",
        "covered",
        "coverage_share",
        "uncovered_components",
        "factories_total",
        "factories_by_tier",
        "factories_by_country",
        "cases_total",
        "cases_open",
        "cases_overdue",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    header.extend(states().map(|s| format!("state_{s}")));
    header.extend(severities().map(|s| format!("severity_{s}")));
    header.extend(
        [
            "time_to_acknowledge_median_hours",
            "time_to_acknowledge_p90_hours",
            "time_to_accepted_plan_median_hours",
            "time_to_accepted_plan_p90_hours",
            "max_escalation_level",
        ]
        .iter()
        .map(|s| s.to_string()),
    );
    let opt = |v: Option<f64>| v.map(|x| x.to_string()).unwrap_or_default();
    let join = |m: &BTreeMap<String, i64>| {
        m.iter()
            .map(|(k, v)| format!("{k}:{v}"))
            .collect::<Vec<_>>()
            .join(";")
    };
    let mut row = vec![
        d.contract_id.to_string(),
        d.reference.clone(),
        d.title.clone(),
        d.as_of.to_rfc3339(),
        d.status.to_string(),
        d.status_reasons
            .iter()
            .map(|r| r.detail.clone())
            .collect::<Vec<_>>()
            .join("; "),
        d.coverage.items.to_string(),
        d.coverage.covered.to_string(),
        opt(d.coverage.share),
        d.coverage
            .uncovered
            .iter()
            .map(|u| u.component_name.clone())
            .collect::<Vec<_>>()
            .join("; "),
        d.factories.total.to_string(),
        join(&d.factories.by_tier),
        join(&d.factories.by_country),
        d.cases.total.to_string(),
        d.cases.open.to_string(),
        d.cases.overdue.to_string(),
    ];
    row.extend(states().map(|s| d.cases.by_state.get(s).copied().unwrap_or(0).to_string()));
    row.extend(severities().map(|s| d.cases.by_severity.get(s).copied().unwrap_or(0).to_string()));
    row.extend([
        opt(d.time_to_acknowledge.median_hours),
        opt(d.time_to_acknowledge.p90_hours),
        opt(d.time_to_accepted_plan.median_hours),
        opt(d.time_to_accepted_plan.p90_hours),
        d.max_escalation_level.to_string(),
    ]);
    w.row(&header)?;
    w.row(&row)?;
    w.finish()
}

/// A portfolio page as CSV (a header row and one row per contract).
pub fn portfolio_csv(entries: &[PortfolioEntry]) -> Result<String, Error> {
    let mut w = Sheet::new();
    w.row([
        "contract_id",
        "reference",
        "title",
        "status",
        "status_reasons",
        "items",
        "covered",
        "coverage_share",
        "open_cases",
        "overdue_cases",
        "max_escalation_level",
        "framework_id",
        "framework_reference",
    ])?;
    for e in entries {
        w.row([
            e.contract_id.to_string(),
            e.reference.clone(),
            e.title.clone(),
            e.status.to_string(),
            e.status_reasons
                .iter()
                .map(|r| r.detail.clone())
                .collect::<Vec<_>>()
                .join("; "),
            e.items.to_string(),
            e.covered.to_string(),
            e.coverage_share.map(|x| x.to_string()).unwrap_or_default(),
            e.open_cases.to_string(),
            e.overdue_cases.to_string(),
            e.max_escalation_level.to_string(),
            e.framework_id.map(|f| f.to_string()).unwrap_or_default(),
            e.framework_reference.clone().unwrap_or_default(),
        ])?;
    }
    w.finish()
}
