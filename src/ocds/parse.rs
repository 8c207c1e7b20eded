//! Reading an OCDS 1.1 release package or record package into typed values, at the edge: what
//! the import needs and nothing more, each failure a field error naming its JSON path
//! (`releases[0].awards[1].value.amount`). The releases of one contracting process (one
//! `ocid`) are merged into one `Process`, in the order of their `date`.

use std::collections::HashMap;

use chrono::{DateTime, FixedOffset, NaiveDate};
use serde_json::{Map, Value};

use crate::error::{Error, FieldError};
use crate::values::Money;

/// Past this many field errors the package is hopeless; the first ones are enough to act on.
const MAX_ERRORS: usize = 50;

/// A package: its contracting processes, in the order they first appear.
#[derive(Debug, Default)]
pub struct Package {
    pub processes: Vec<Process>,
}

/// One contracting process, its releases merged.
#[derive(Debug, Default, Clone)]
pub struct Process {
    pub ocid: String,
    /// Where it first appears (`releases[2]`), for the report.
    pub path: String,
    /// The party `buyer.id` names.
    pub buyer_ref: Option<String>,
    pub parties: Vec<Party>,
    pub tender_title: Option<String>,
    pub tender_period: Option<Period>,
    pub awards: Vec<Award>,
    pub contracts: Vec<Contract>,
    /// The ocids of the framework agreements this process calls off (`relatedProcesses` with
    /// relationship `framework` and scheme `ocid`).
    pub frameworks: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct Party {
    pub id: String,
    pub name: Option<String>,
    /// `identifier` first, then `additionalIdentifiers`: (scheme, id).
    pub identifiers: Vec<(String, String)>,
    pub roles: Vec<String>,
    pub email: Option<String>,
    pub path: String,
}

impl Party {
    pub fn has_role(&self, role: &str) -> bool {
        self.roles.iter().any(|r| r == role)
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Period {
    pub start: Option<NaiveDate>,
    pub end: Option<NaiveDate>,
    pub duration_days: Option<i64>,
}

#[derive(Debug, Clone)]
pub struct Award {
    pub id: String,
    pub title: Option<String>,
    pub date: Option<NaiveDate>,
    pub period: Option<Period>,
    pub value: Option<Money>,
    /// Party ids.
    pub suppliers: Vec<String>,
    pub items: Vec<Item>,
    pub path: String,
}

#[derive(Debug, Clone)]
pub struct Contract {
    pub id: String,
    pub award_id: Option<String>,
    pub title: Option<String>,
    pub date_signed: Option<NaiveDate>,
    pub period: Option<Period>,
    pub value: Option<Money>,
    /// Party ids (the Contract Suppliers extension); empty: the award's suppliers.
    pub suppliers: Vec<String>,
    pub items: Vec<Item>,
    pub path: String,
}

#[derive(Debug, Clone)]
pub struct Item {
    pub id: Option<String>,
    pub description: Option<String>,
    pub classification: Option<String>,
    pub path: String,
}

/// A release read on its own, with its date for the merge.
type Dated = (Option<DateTime<FixedOffset>>, Process);

/// Parses a request body. Not JSON is a 400; JSON that is no OCDS package, or a package with
/// bad fields, a 422 naming them.
pub fn package(bytes: &[u8]) -> Result<Package, Error> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let value: Value = serde_json::from_slice(bytes).map_err(|e| Error::BadRequest {
        detail: format!("the body is not valid JSON: {e}"),
        field: Some("body".into()),
    })?;
    from_value(&value)
}

pub fn from_value(value: &Value) -> Result<Package, Error> {
    let Some(top) = value.as_object() else {
        return Err(Error::field(
            "body",
            "must be a JSON object: an OCDS release package or record package",
        ));
    };
    let mut r = Reader::default();
    let mut releases: Vec<(String, Map<String, Value>)> = Vec::new();
    match (top.get("releases"), top.get("records")) {
        (Some(Value::Array(list)), _) => {
            for (i, release) in list.iter().enumerate() {
                let path = format!("releases[{i}]");
                if let Some(m) = r.object(release, &path) {
                    releases.push((path, m.clone()));
                }
            }
        }
        (_, Some(Value::Array(list))) => {
            for (i, record) in list.iter().enumerate() {
                let path = format!("records[{i}]");
                let Some(m) = r.object(record, &path) else {
                    continue;
                };
                let ocid = r.ocid(m, &path);
                if let Some(Value::Object(compiled)) = m.get("compiledRelease") {
                    let mut compiled = compiled.clone();
                    if let Some(ocid) = ocid {
                        compiled
                            .entry("ocid".to_string())
                            .or_insert(Value::String(ocid));
                    }
                    releases.push((format!("{path}.compiledRelease"), compiled));
                    continue;
                }
                // Embedded releases carry their content; linked ones only a `url`, which
                // this service does not fetch.
                let embedded: Vec<(String, Map<String, Value>)> = r
                    .array(m, "releases", &path)
                    .iter()
                    .enumerate()
                    .filter_map(|(j, v)| {
                        v.as_object()
                            .filter(|o| o.contains_key("ocid"))
                            .map(|o| (format!("{path}.releases[{j}]"), o.clone()))
                    })
                    .collect();
                if embedded.is_empty() {
                    r.error(
                        format!("{path}.compiledRelease"),
                        "missing: a record needs its compiledRelease or embedded releases (linked releases are not fetched)",
                    );
                }
                releases.extend(embedded);
            }
        }
        (Some(_), _) => r.error("releases", "must be an array of releases"),
        (_, Some(_)) => r.error("records", "must be an array of records"),
        (None, None) => r.error(
            "releases",
            "missing: an OCDS package has `releases` (release package) or `records` (record package)",
        ),
    }
    // Each release read on its own, then merged per process in the order of release dates.
    let mut order: Vec<String> = Vec::new();
    let mut by_ocid: HashMap<String, Vec<Dated>> = HashMap::new();
    for (path, release) in &releases {
        if let Some((date, p)) = r.release(release, path) {
            if !by_ocid.contains_key(&p.ocid) {
                order.push(p.ocid.clone());
            }
            by_ocid.entry(p.ocid.clone()).or_default().push((date, p));
        }
    }
    if !r.errors.is_empty() {
        return Err(Error::Validation(r.errors));
    }
    let processes = order
        .into_iter()
        .filter_map(|ocid| by_ocid.remove(&ocid))
        .map(|mut parts| {
            // Stable: releases without a date keep their place before dated ones.
            parts.sort_by_key(|(date, _)| *date);
            let mut parts = parts.into_iter().map(|(_, p)| p);
            let first = parts.next().unwrap_or_default();
            parts.fold(first, merge)
        })
        .collect();
    Ok(Package { processes })
}

/// A later release of the same process replaces the earlier one's parties, awards, contracts
/// and related processes of the same id, and its non-empty fields. (OCDS merging goes field
/// by field; whole objects are enough for what the import reads.)
fn merge(mut into: Process, later: Process) -> Process {
    fn by_id<T: Clone>(into: &mut Vec<T>, later: Vec<T>, id: impl Fn(&T) -> &str) {
        for x in later {
            match into.iter().position(|y| id(y) == id(&x)) {
                Some(i) => into[i] = x,
                None => into.push(x),
            }
        }
    }
    if later.buyer_ref.is_some() {
        into.buyer_ref = later.buyer_ref;
    }
    if later.tender_title.is_some() {
        into.tender_title = later.tender_title;
    }
    if later.tender_period.is_some() {
        into.tender_period = later.tender_period;
    }
    by_id(&mut into.parties, later.parties, |p| &p.id);
    by_id(&mut into.awards, later.awards, |a| &a.id);
    by_id(&mut into.contracts, later.contracts, |c| &c.id);
    for f in later.frameworks {
        if !into.frameworks.contains(&f) {
            into.frameworks.push(f);
        }
    }
    into
}

mod read;

/// Collects field errors instead of stopping at the first (its reading of each field is in
/// `read.rs`).
#[derive(Default)]
struct Reader {
    errors: Vec<FieldError>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn fields(v: Value) -> Vec<String> {
        match from_value(&v) {
            Err(Error::Validation(errors)) => errors.into_iter().map(|e| e.field).collect(),
            other => panic!("expected field errors, got {other:?}"),
        }
    }

    #[test]
    fn bad_fields_are_named_by_their_path() {
        assert_eq!(fields(json!({"uri": "x"})), ["releases"]);
        assert_eq!(
            fields(json!({"releases": [{"id": "1"}]})),
            ["releases[0].ocid"]
        );
        let bad = json!({"releases": [{"ocid": "ocds-x-1", "awards": [{"id": "1",
            "date": "14/10/2026", "value": {"amount": "1000", "currency": "XXY"}}]}]});
        assert_eq!(
            fields(bad),
            [
                "releases[0].awards[0].date",
                "releases[0].awards[0].value.amount",
                "releases[0].awards[0].value.currency"
            ]
        );
    }

    #[test]
    fn releases_of_one_process_merge_in_date_order() {
        let p = from_value(&json!({"releases": [
            {"ocid": "o-1", "date": "2026-02-01T00:00:00Z", "awards": [{"id": "A", "title": "late"}]},
            {"ocid": "o-1", "date": "2026-01-01T00:00:00Z", "awards": [{"id": "A", "title": "early"}],
             "tender": {"title": "T"}},
        ]}))
        .unwrap();
        assert_eq!(p.processes.len(), 1);
        let process = &p.processes[0];
        assert_eq!(process.awards[0].title.as_deref(), Some("late"));
        assert_eq!(process.tender_title.as_deref(), Some("T"));
    }

    #[test]
    fn dates_are_the_calendar_day_as_written() {
        let p = from_value(&json!({"releases": [{"ocid": "o", "awards": [{"id": "1",
            "contractPeriod": {"startDate": "2026-12-31T23:30:00-05:00", "endDate": "2027-01-31"}}]}]}))
        .unwrap();
        let period = p.processes[0].awards[0].period.unwrap();
        assert_eq!(period.start, NaiveDate::from_ymd_opt(2026, 12, 31));
        assert_eq!(period.end, NaiveDate::from_ymd_opt(2027, 1, 31));
    }
}
