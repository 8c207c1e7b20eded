//! The case page's forms as the API's own requests: each form's fields gathered into the JSON
//! the API takes, read with `typed` so that a form is refused exactly as the API refuses it,
//! and a refusal's fields mapped back onto the inputs that sent them.

use chrono::{NaiveDate, NaiveDateTime, TimeZone};
use serde_json::{json, Map, Value};

use crate::web::FormData;

/// The blank rows a plan table starts with (a browser without script adds more by asking the
/// server for the form again with one more).
pub const BLANK_ROWS: usize = 3;

/// One row of the plan table, as typed.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct PlanRow {
    pub description: String,
    pub kind: String,
    pub owner: String,
    pub due_on: String,
    /// Messages for this row's fields, by the API's field name.
    pub errors: Map<String, Value>,
}

impl PlanRow {
    fn is_blank(&self) -> bool {
        [&self.description, &self.owner, &self.due_on]
            .iter()
            .all(|v| v.trim().is_empty())
    }
}

/// The plan table's rows as sent: the inputs of a row share their names, so the n-th value of
/// each name is the n-th row.
pub fn plan_rows(form: &FormData) -> Vec<PlanRow> {
    let (d, k, o, due) = (
        form.all("description"),
        form.all("kind"),
        form.all("owner"),
        form.all("due_on"),
    );
    let n = d.len().max(k.len()).max(o.len()).max(due.len());
    let at = |v: &[&str], i: usize| v.get(i).map(|s| s.to_string()).unwrap_or_default();
    (0..n)
        .map(|i| PlanRow {
            description: at(&d, i),
            kind: at(&k, i),
            owner: at(&o, i),
            due_on: at(&due, i),
            errors: Map::new(),
        })
        .collect()
}

/// The rows a submitted plan consists of: those with anything typed in them (blank rows are the
/// form's spare ones, not actions).
pub fn filled(rows: Vec<PlanRow>) -> Vec<PlanRow> {
    rows.into_iter().filter(|r| !r.is_blank()).collect()
}

/// `rows` with blank ones added up to the table's starting size.
pub fn padded(mut rows: Vec<PlanRow>, at_least: usize) -> Vec<PlanRow> {
    while rows.len() < at_least {
        rows.push(PlanRow {
            kind: "corrective".into(),
            ..PlanRow::default()
        });
    }
    rows
}

fn opt_text(form: &FormData, name: &str) -> Value {
    form.text(name).map_or(Value::Null, |v| json!(v))
}

/// The JSON of a `TransitionRequest` for `action` from the form.
pub fn transition_json(action: &str, form: &FormData, rows: &[PlanRow]) -> Value {
    let mut body = json!({ "action": action });
    for name in ["note", "reason"] {
        let v = opt_text(form, name);
        if !v.is_null() {
            body[name] = v;
        }
    }
    if action == "submit_plan" {
        let actions: Vec<Value> = rows
            .iter()
            .map(|r| {
                json!({
                    "description": r.description, "kind": r.kind,
                    "owner": r.owner, "due_on": r.due_on.trim(),
                })
            })
            .collect();
        let mut plan = json!({
            "root_cause": form.get("root_cause").unwrap_or_default(),
            "actions": actions,
        });
        let why = opt_text(form, "no_action_justification");
        if !why.is_null() {
            plan["no_action_justification"] = why;
        }
        body["plan"] = plan;
    }
    if action == "report_remediated" {
        // One reference a line: the API's list of evidence.
        let links: Vec<Value> = form
            .get("evidence")
            .unwrap_or_default()
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(|l| json!({ "url": l }))
            .collect();
        if !links.is_empty() {
            body["evidence"] = json!(links);
        }
    }
    body
}

/// The instant of a `datetime-local` input, read in the viewer's zone, as the API writes
/// instants. Anything else goes to the API as typed, to be refused there with its message.
pub fn instant_in(raw: &str, tz: chrono_tz::Tz) -> String {
    let raw = raw.trim();
    let local = NaiveDateTime::parse_from_str(raw, "%Y-%m-%dT%H:%M")
        .or_else(|_| NaiveDateTime::parse_from_str(raw, "%Y-%m-%dT%H:%M:%S"))
        .ok()
        // A bare date means the end of that day.
        .or_else(|| {
            NaiveDate::parse_from_str(raw, "%Y-%m-%d")
                .ok()
                .and_then(|d| d.and_hms_opt(23, 59, 0))
        });
    match local.and_then(|l| tz.from_local_datetime(&l).earliest()) {
        Some(at) => at.with_timezone(&chrono::Utc).to_rfc3339(),
        None => raw.to_string(),
    }
}

/// Puts each message of a refused plan on the row and input it names; the rest are returned
/// by the form's field name (`plan.root_cause` is the input `root_cause`), and anything no
/// input of the form carries goes under `""`, to be shown above the form.
pub fn place_errors(
    errors: Map<String, Value>,
    rows: &mut [PlanRow],
    inputs: &[&str],
) -> Map<String, Value> {
    let mut out = Map::new();
    for (key, message) in errors {
        if let Some(rest) = key.strip_prefix("plan.actions[") {
            let (index, field) = rest.split_once("].").unwrap_or((rest, ""));
            if let (Ok(i), true) = (
                index.trim_end_matches(']').parse::<usize>(),
                !field.is_empty(),
            ) {
                if let Some(row) = rows.get_mut(i) {
                    row.errors.insert(field.to_string(), message);
                    continue;
                }
            }
        }
        let name = key
            .strip_prefix("plan.")
            .unwrap_or(&key)
            .split(['[', '.'])
            .next()
            .unwrap_or_default()
            .to_string();
        let name = if name == "plan" {
            "actions".to_string()
        } else {
            name
        };
        if inputs.contains(&name.as_str()) {
            out.entry(name).or_insert(message);
        } else {
            let general = match (out.get(""), message.as_str()) {
                (Some(Value::String(before)), Some(m)) => json!(format!("{before} {m}")),
                _ => message,
            };
            out.insert(String::new(), general);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_row_s_message_lands_on_that_row() {
        let mut rows = vec![PlanRow::default(), PlanRow::default()];
        let mut errors = Map::new();
        errors.insert("plan.actions[1].due_on".into(), json!("not a date"));
        errors.insert("plan.root_cause".into(), json!("empty"));
        errors.insert("somewhere".into(), json!("else"));
        let rest = place_errors(errors, &mut rows, &["root_cause", "actions"]);
        assert_eq!(rows[1].errors["due_on"], json!("not a date"));
        assert!(rows[0].errors.is_empty());
        assert_eq!(rest["root_cause"], json!("empty"));
        assert_eq!(rest[""], json!("else"));
    }

    #[test]
    fn a_local_time_is_read_in_the_viewer_s_zone() {
        let tz = chrono_tz::Europe::Brussels;
        assert_eq!(
            instant_in("2026-07-01T12:00", tz),
            "2026-07-01T10:00:00+00:00"
        );
        assert_eq!(instant_in("tomorrow", tz), "tomorrow");
    }
}
