//! Reading an OCDS 1.1 release package or record package into typed values, at the edge: what
//! the import needs and nothing more, each failure a field error naming its JSON path
//! (`releases[0].awards[1].value.amount`). The releases of one contracting process (one
//! `ocid`) are merged into one `Process`, in the order of their `date`.

use std::collections::HashMap;

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime};
use serde_json::{Map, Value};

use crate::error::{Error, FieldError};
use crate::values::{Amount, CurrencyCode, Money};

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
                let ocid = r.required_text(m, "ocid", &path);
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

/// Collects field errors instead of stopping at the first.
#[derive(Default)]
struct Reader {
    errors: Vec<FieldError>,
}

impl Reader {
    fn error(&mut self, field: impl Into<String>, message: impl Into<String>) {
        if self.errors.len() < MAX_ERRORS {
            self.errors.push(FieldError::new(field, message));
        }
    }

    fn object<'v>(&mut self, v: &'v Value, path: &str) -> Option<&'v Map<String, Value>> {
        match v {
            Value::Object(m) => Some(m),
            _ => {
                self.error(path, "must be an object");
                None
            }
        }
    }

    /// An optional object member; null is absent.
    fn member<'v>(
        &mut self,
        m: &'v Map<String, Value>,
        key: &str,
        path: &str,
    ) -> Option<&'v Map<String, Value>> {
        match m.get(key) {
            None | Some(Value::Null) => None,
            Some(v) => self.object(v, &format!("{path}.{key}")),
        }
    }

    fn array<'v>(&mut self, m: &'v Map<String, Value>, key: &str, path: &str) -> &'v [Value] {
        match m.get(key) {
            None | Some(Value::Null) => &[],
            Some(Value::Array(a)) => a,
            Some(_) => {
                self.error(format!("{path}.{key}"), "must be an array");
                &[]
            }
        }
    }

    /// Text, or an integer where OCDS allows one (ids); trimmed, empty is absent.
    fn text(&mut self, m: &Map<String, Value>, key: &str, path: &str) -> Option<String> {
        match m.get(key) {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(s.trim().to_string()).filter(|s| !s.is_empty()),
            Some(Value::Number(n)) if n.is_i64() || n.is_u64() => Some(n.to_string()),
            Some(_) => {
                self.error(format!("{path}.{key}"), "must be a string");
                None
            }
        }
    }

    fn required_text(&mut self, m: &Map<String, Value>, key: &str, path: &str) -> Option<String> {
        let v = self.text(m, key, path);
        if v.is_none()
            && !self
                .errors
                .iter()
                .any(|e| e.field == format!("{path}.{key}"))
        {
            self.error(format!("{path}.{key}"), "missing");
        }
        v
    }

    fn date(&mut self, m: &Map<String, Value>, key: &str, path: &str) -> Option<NaiveDate> {
        self.instant(m, key, path).map(|d| d.date_naive())
    }

    /// OCDS dates are ISO 8601 date-times (`2026-03-01T00:00:00Z`); a plain date or a
    /// date-time without offset is read as written. The calendar date is the one written,
    /// in the publisher's own offset.
    fn instant(
        &mut self,
        m: &Map<String, Value>,
        key: &str,
        path: &str,
    ) -> Option<DateTime<FixedOffset>> {
        let field = format!("{path}.{key}");
        let raw = match m.get(key) {
            None | Some(Value::Null) => return None,
            Some(Value::String(s)) => s.trim().to_string(),
            Some(other) => {
                self.error(field, format!("{other} is not an ISO 8601 date"));
                return None;
            }
        };
        let utc = FixedOffset::east_opt(0)?;
        let parsed = DateTime::parse_from_rfc3339(&raw)
            .ok()
            .or_else(|| {
                ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%dT%H:%M"]
                    .iter()
                    .find_map(|f| NaiveDateTime::parse_from_str(&raw, f).ok())
                    .and_then(|t| t.and_local_timezone(utc).single())
            })
            .or_else(|| {
                crate::values::dates::parse_date(&raw)
                    .ok()
                    .and_then(|d| d.and_hms_opt(0, 0, 0))
                    .and_then(|t| t.and_local_timezone(utc).single())
            })
            .filter(|t| {
                use chrono::Datelike;
                (1..=9999).contains(&t.year())
            });
        if parsed.is_none() {
            self.error(
                field,
                format!("{raw:?} is not an ISO 8601 date such as 2026-03-01T00:00:00Z"),
            );
        }
        parsed
    }

    fn period(&mut self, m: &Map<String, Value>, key: &str, path: &str) -> Option<Period> {
        let p = self.member(m, key, path)?;
        let path = format!("{path}.{key}");
        let duration_days = match p.get("durationInDays") {
            None | Some(Value::Null) => None,
            Some(Value::Number(n)) if n.as_i64().is_some_and(|d| d >= 0) => n.as_i64(),
            Some(other) => {
                self.error(
                    format!("{path}.durationInDays"),
                    format!("{other} is not a whole number of days"),
                );
                None
            }
        };
        Some(Period {
            start: self.date(p, "startDate", &path),
            end: self.date(p, "endDate", &path),
            duration_days,
        })
    }

    /// `{amount, currency}`: the amount a JSON number, the currency an ISO 4217 code. A value
    /// without an amount says nothing and is absent.
    fn money(&mut self, m: &Map<String, Value>, key: &str, path: &str) -> Option<Money> {
        let v = self.member(m, key, path)?;
        let path = format!("{path}.{key}");
        let amount = match v.get("amount") {
            None | Some(Value::Null) => return None,
            Some(Value::Number(n)) => match Amount::try_from(n.to_string()) {
                Ok(a) => Some(a),
                Err(_) => {
                    self.error(
                            format!("{path}.amount"),
                            format!("{n} is not an amount this service keeps: non-negative, at most 15 digits before the point and 4 after"),
                        );
                    None
                }
            },
            Some(other) => {
                self.error(format!("{path}.amount"), format!("{other} is not a number"));
                None
            }
        };
        let currency = match v.get("currency") {
            Some(Value::String(c)) => match CurrencyCode::try_from(c.clone()) {
                Ok(c) => Some(c),
                Err(e) => {
                    self.error(format!("{path}.currency"), e);
                    None
                }
            },
            None | Some(Value::Null) => {
                self.error(
                    format!("{path}.currency"),
                    "missing: an amount needs its ISO 4217 currency",
                );
                None
            }
            Some(other) => {
                self.error(
                    format!("{path}.currency"),
                    format!("{other} is not an ISO 4217 currency code"),
                );
                None
            }
        };
        Some(Money {
            amount: amount?,
            currency: currency?,
        })
    }

    /// The ids of an array of organization references (`suppliers`).
    fn party_refs(&mut self, m: &Map<String, Value>, key: &str, path: &str) -> Vec<String> {
        let mut out = Vec::new();
        for (i, v) in self.array(m, key, path).iter().enumerate() {
            let p = format!("{path}.{key}[{i}]");
            if let Some(o) = self.object(v, &p) {
                if let Some(id) = self.required_text(o, "id", &p) {
                    out.push(id);
                }
            }
        }
        out
    }

    fn items(&mut self, m: &Map<String, Value>, path: &str) -> Vec<Item> {
        let mut out = Vec::new();
        for (i, v) in self.array(m, "items", path).iter().enumerate() {
            let p = format!("{path}.items[{i}]");
            let Some(o) = self.object(v, &p) else {
                continue;
            };
            let classification = match self.member(o, "classification", &p) {
                Some(c) => {
                    let cp = format!("{p}.classification");
                    self.text(c, "description", &cp)
                }
                None => None,
            };
            out.push(Item {
                id: self.text(o, "id", &p),
                description: self.text(o, "description", &p),
                classification,
                path: p,
            });
        }
        out
    }

    fn release(&mut self, m: &Map<String, Value>, path: &str) -> Option<Dated> {
        let ocid = self.required_text(m, "ocid", path);
        let date = self.instant(m, "date", path);
        let buyer_ref = match self.member(m, "buyer", path) {
            Some(b) => self.text(b, "id", &format!("{path}.buyer")),
            None => None,
        };
        let mut parties = Vec::new();
        for (i, v) in self.array(m, "parties", path).iter().enumerate() {
            let p = format!("{path}.parties[{i}]");
            let Some(o) = self.object(v, &p) else {
                continue;
            };
            let Some(id) = self.required_text(o, "id", &p) else {
                continue;
            };
            let mut identifiers = Vec::new();
            let mut identifier = |r: &mut Reader, v: &Map<String, Value>, at: &str| {
                if let (Some(s), Some(i)) = (r.text(v, "scheme", at), r.text(v, "id", at)) {
                    identifiers.push((s.to_uppercase(), i));
                }
            };
            if let Some(ident) = self.member(o, "identifier", &p) {
                identifier(self, ident, &format!("{p}.identifier"));
            }
            for (j, extra) in self
                .array(o, "additionalIdentifiers", &p)
                .iter()
                .enumerate()
            {
                let at = format!("{p}.additionalIdentifiers[{j}]");
                if let Some(extra) = self.object(extra, &at) {
                    identifier(self, extra, &at);
                }
            }
            let roles = self
                .array(o, "roles", &p)
                .iter()
                .filter_map(|r| r.as_str().map(str::to_string))
                .collect();
            let email = match self.member(o, "contactPoint", &p) {
                Some(c) => self.text(c, "email", &format!("{p}.contactPoint")),
                None => None,
            };
            parties.push(Party {
                id,
                name: self.text(o, "name", &p),
                identifiers,
                roles,
                email,
                path: p,
            });
        }
        let (tender_title, tender_period) = match self.member(m, "tender", path) {
            Some(t) => {
                let tp = format!("{path}.tender");
                (
                    self.text(t, "title", &tp),
                    self.period(t, "contractPeriod", &tp),
                )
            }
            None => (None, None),
        };
        let mut awards = Vec::new();
        for (i, v) in self.array(m, "awards", path).iter().enumerate() {
            let p = format!("{path}.awards[{i}]");
            let Some(o) = self.object(v, &p) else {
                continue;
            };
            let id = self.required_text(o, "id", &p);
            let award = Award {
                id: id.unwrap_or_default(),
                title: self.text(o, "title", &p),
                date: self.date(o, "date", &p),
                period: self.period(o, "contractPeriod", &p),
                value: self.money(o, "value", &p),
                suppliers: self.party_refs(o, "suppliers", &p),
                items: self.items(o, &p),
                path: p,
            };
            awards.push(award);
        }
        let mut contracts = Vec::new();
        for (i, v) in self.array(m, "contracts", path).iter().enumerate() {
            let p = format!("{path}.contracts[{i}]");
            let Some(o) = self.object(v, &p) else {
                continue;
            };
            let id = self.required_text(o, "id", &p);
            let contract = Contract {
                id: id.unwrap_or_default(),
                award_id: self.text(o, "awardID", &p),
                title: self.text(o, "title", &p),
                date_signed: self.date(o, "dateSigned", &p),
                period: self.period(o, "period", &p),
                value: self.money(o, "value", &p),
                suppliers: self.party_refs(o, "suppliers", &p),
                items: self.items(o, &p),
                path: p,
            };
            contracts.push(contract);
        }
        let mut frameworks = Vec::new();
        for (i, v) in self.array(m, "relatedProcesses", path).iter().enumerate() {
            let p = format!("{path}.relatedProcesses[{i}]");
            let Some(o) = self.object(v, &p) else {
                continue;
            };
            let is_framework = self
                .array(o, "relationship", &p)
                .iter()
                .any(|r| r.as_str() == Some("framework"));
            let by_ocid = self
                .text(o, "scheme", &p)
                .is_none_or(|s| s.eq_ignore_ascii_case("ocid"));
            if is_framework && by_ocid {
                if let Some(identifier) = self.required_text(o, "identifier", &p) {
                    frameworks.push(identifier);
                }
            }
        }
        Some((
            date,
            Process {
                ocid: ocid?,
                path: path.to_string(),
                buyer_ref,
                parties,
                tender_title,
                tender_period,
                awards,
                contracts,
                frameworks,
            },
        ))
    }
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
