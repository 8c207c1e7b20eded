//! The scorecard as CSV: one row per figure (a buyer's spreadsheet of contractors compares
//! them row by row). Cells go through `crate::export::Sheet`.

use super::{Count, Scorecard, Share};
use crate::error::Error;
use crate::export::Sheet;
use crate::values::CaseId;

fn ids(list: &[CaseId]) -> String {
    list.iter()
        .map(|c| c.to_string())
        .collect::<Vec<_>>()
        .join("; ")
}

fn opt(v: Option<f64>) -> String {
    v.map(|x| x.to_string()).unwrap_or_default()
}

/// Columns: figure, value, numerator, denominator, cases (the ids in the caller's reach,
/// `; `-separated), missed_cases; each row also names the contractor and the period.
pub fn scorecard_csv(s: &Scorecard) -> Result<String, Error> {
    let mut w = Sheet::new();
    w.row([
        "organization_id",
        "from",
        "to",
        "figure",
        "value",
        "numerator",
        "denominator",
        "cases",
        "missed_cases",
    ])?;
    let (org, from, to) = (
        s.organization_id.to_string(),
        s.from.to_string(),
        s.to.to_string(),
    );
    let mut row = |figure: &str, cells: [String; 5]| -> Result<(), Error> {
        let mut all = vec![org.clone(), from.clone(), to.clone(), figure.to_string()];
        all.extend(cells);
        w.row(all)
    };
    let count = |c: &Count| {
        [
            c.count.to_string(),
            String::new(),
            String::new(),
            ids(&c.cases),
            String::new(),
        ]
    };
    let share = |x: &Share| {
        [
            opt(x.value),
            x.numerator.to_string(),
            x.denominator.to_string(),
            ids(&x.cases),
            ids(&x.missed_cases),
        ]
    };
    row("cases_in_period", count(&s.cases_in_period))?;
    let cov = &s.disclosure_coverage;
    row(
        "disclosure_coverage",
        [
            opt(cov.value),
            cov.numerator.to_string(),
            cov.denominator.to_string(),
            String::new(),
            String::new(),
        ],
    )?;
    row("acknowledged_on_time", share(&s.acknowledged_on_time))?;
    row(
        "plans_accepted_first_time",
        share(&s.plans_accepted_first_time),
    )?;
    row("remediated_on_time", share(&s.remediated_on_time))?;
    for e in &s.escalated {
        row(&format!("escalated_level_{}", e.level), count(&e.cases))?;
    }
    row("disputes", count(&s.disputes))?;
    let t = &s.time_to_acknowledge;
    let hours = |v: Option<f64>| {
        [
            opt(v),
            t.count.to_string(),
            String::new(),
            ids(&t.cases),
            String::new(),
        ]
    };
    row("time_to_acknowledge_median_hours", hours(t.median_hours))?;
    row("time_to_acknowledge_p90_hours", hours(t.p90_hours))?;
    w.finish()
}
