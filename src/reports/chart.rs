//! The report's two charts, drawn by the due-diligence bar chart (`due_diligence::chart`,
//! inline SVG with a title and a text alternative): cases opened in each month beside the
//! cases open at its end, and the findings of the period beside the cases opened, by severity.

use crate::due_diligence::chart::{svg, Bar, Words};
use crate::values::Language;
use crate::web::i18n;

use super::Report;

/// The severities in order of gravity (the API's maps are alphabetical).
const SEVERITIES: [&str; 3] = ["critical", "major", "minor"];

/// (months chart, severity chart) in `lang`.
pub fn charts(r: &Report, lang: Language) -> (String, String) {
    let t = |key: &str| i18n::text(lang, key);
    let months: Vec<Bar> = r
        .months
        .iter()
        .map(|m| Bar {
            label: m.month.clone(),
            open: m.opened,
            overdue: m.open_at_end,
        })
        .collect();
    let desc = i18n::text_with(
        lang,
        "reports.chart.months_desc",
        &[
            ("opened", r.cases.opened.to_string()),
            ("open", r.cases.still_open.to_string()),
        ],
    );
    let (title, opened, open, y) = (
        t("reports.chart.months_title"),
        t("reports.chart.opened"),
        t("reports.chart.open_at_end"),
        t("reports.chart.cases"),
    );
    let first = svg(
        &months,
        &Words {
            id: "report-months",
            title: &title,
            desc: &desc,
            open: &opened,
            overdue: &open,
            y_axis: &y,
        },
    );
    let mut severities: Vec<&str> = SEVERITIES.to_vec();
    for s in r
        .findings
        .by_severity
        .keys()
        .chain(r.cases.opened_by_severity.keys())
    {
        if !severities.contains(&s.as_str()) {
            severities.push(s);
        }
    }
    let bars: Vec<Bar> = severities
        .iter()
        .map(|s| Bar {
            label: i18n::text(lang, &format!("cases.severity.{s}")),
            open: r.findings.by_severity.get(*s).copied().unwrap_or(0),
            overdue: r.cases.opened_by_severity.get(*s).copied().unwrap_or(0),
        })
        .collect();
    let desc = i18n::text_with(
        lang,
        "reports.chart.severity_desc",
        &[
            ("findings", r.findings.total.to_string()),
            ("opened", r.cases.opened.to_string()),
        ],
    );
    let (title, findings) = (
        t("reports.chart.severity_title"),
        t("reports.chart.findings"),
    );
    let second = svg(
        &bars,
        &Words {
            id: "report-severity",
            title: &title,
            desc: &desc,
            open: &findings,
            overdue: &opened,
            y_axis: &y,
        },
    );
    (first, second)
}
