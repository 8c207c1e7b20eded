//! The report as one rectangular CSV (through `crate::export::Sheet`): a row per figure
//! (`section`, `key`, `value`), then a row per open case, which also fills the case columns.
//! Spreadsheets and scripts read one table; a figure's row names it fully.

use super::Report;
use crate::error::Error;
use crate::export::Sheet;

const HEADER: [&str; 8] = [
    "section",
    "key",
    "value",
    "factory",
    "severity",
    "state",
    "escalation_level",
    "opened_at",
];

/// Every figure of the report, then its open cases.
pub fn report_csv(r: &Report) -> Result<String, Error> {
    let mut figures: Vec<(&str, String, String)> = vec![
        ("report", "buyer".into(), r.buyer.name.clone()),
        ("report", "from".into(), r.from.to_string()),
        ("report", "to".into(), r.to.to_string()),
        (
            "report",
            "framework".into(),
            r.framework
                .as_ref()
                .map(|f| f.reference.clone())
                .unwrap_or_default(),
        ),
        ("contracts", "count".into(), r.contracts.count.to_string()),
        (
            "contracts",
            "without_value".into(),
            r.contracts.without_value.to_string(),
        ),
    ];
    for s in &r.contracts.spend {
        figures.push(("spend", s.currency.clone(), s.amount.clone()));
    }
    for (name, c) in [
        ("coverage_at_from", &r.coverage_at_from),
        ("coverage_at_to", &r.coverage_at_to),
    ] {
        figures.push((name, "items".into(), c.items.to_string()));
        figures.push((name, "covered".into(), c.covered.to_string()));
        let share = c.share.map(|v| format!("{v:.4}")).unwrap_or_default();
        figures.push((name, "share".into(), share));
    }
    figures.push(("findings", "total".into(), r.findings.total.to_string()));
    for f in &r.findings.by_category_and_severity {
        let key = format!("{}/{}", f.category, f.severity);
        figures.push(("findings", key, f.findings.to_string()));
    }
    let c = &r.cases;
    for (key, n) in [
        ("opened", c.opened),
        ("remediated", c.remediated),
        ("verified", c.verified),
        ("closed", c.closed),
        ("still_open", c.still_open),
        ("overdue", c.overdue),
    ] {
        figures.push(("cases", key.into(), n.to_string()));
    }
    for (s, n) in &c.opened_by_severity {
        figures.push(("opened_by_severity", s.clone(), n.to_string()));
    }
    for (s, n) in &c.open_by_state {
        figures.push(("open_by_state", s.clone(), n.to_string()));
    }
    for (s, n) in &c.open_by_severity {
        figures.push(("open_by_severity", s.clone(), n.to_string()));
    }
    let e = &r.escalations;
    figures.push(("escalations", "total".into(), e.total.to_string()));
    for (l, n) in &e.by_level {
        figures.push(("escalations", format!("level_{l}"), n.to_string()));
    }
    let nc = [
        ("non_cooperation_reached", e.non_cooperation_reached),
        ("non_cooperation_open", e.non_cooperation_open),
    ];
    for (key, n) in nc {
        figures.push(("escalations", key.into(), n.to_string()));
    }
    let d = &r.time_to_acknowledge;
    let opt = |v: Option<f64>| v.map(|x| x.to_string()).unwrap_or_default();
    figures.push(("time_to_acknowledge", "count".into(), d.count.to_string()));
    figures.push((
        "time_to_acknowledge",
        "median_hours".into(),
        opt(d.median_hours),
    ));
    figures.push(("time_to_acknowledge", "p90_hours".into(), opt(d.p90_hours)));
    for m in &r.months {
        figures.push(("opened_in_month", m.month.clone(), m.opened.to_string()));
        figures.push((
            "open_at_month_end",
            m.month.clone(),
            m.open_at_end.to_string(),
        ));
    }
    let mut w = Sheet::new();
    w.row(HEADER)?;
    for (section, key, value) in figures {
        w.row([section, &key, &value, "", "", "", "", ""])?;
    }
    for k in &r.open_cases {
        w.row([
            "open_case".to_string(),
            k.id.to_string(),
            String::new(),
            k.factory.clone(),
            k.severity.clone(),
            k.state.clone(),
            k.escalation_level.to_string(),
            k.opened_at.to_rfc3339(),
        ])?;
    }
    w.finish()
}
