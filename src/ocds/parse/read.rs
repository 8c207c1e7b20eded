//! How each field of a release is read: text or integer ids, ISO 8601 dates, periods, money,
//! party references and items, each failure recorded with its JSON path.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime};
use serde_json::{Map, Value};

use super::{Award, Contract, Dated, Item, Party, Period, Process, Reader, MAX_ERRORS};
use crate::error::FieldError;
use crate::values::{Amount, CurrencyCode, Money, ShortText};

impl Reader {
    pub(super) fn error(&mut self, field: impl Into<String>, message: impl Into<String>) {
        if self.errors.len() < MAX_ERRORS {
            self.errors.push(FieldError::new(field, message));
        }
    }

    pub(super) fn object<'v>(
        &mut self,
        v: &'v Value,
        path: &str,
    ) -> Option<&'v Map<String, Value>> {
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

    pub(super) fn array<'v>(
        &mut self,
        m: &'v Map<String, Value>,
        key: &str,
        path: &str,
    ) -> &'v [Value] {
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

    /// A contracting process's id: a string (not a number, as ids elsewhere may be), kept on
    /// contracts as `ocds_id` (at most 100 characters, one line).
    pub(super) fn ocid(&mut self, m: &Map<String, Value>, path: &str) -> Option<String> {
        let field = format!("{path}.ocid");
        match m.get("ocid") {
            Some(Value::String(s)) => match ShortText::try_from(s.clone()) {
                Ok(ocid) => Some(ocid.into_inner()),
                Err(e) => {
                    self.error(field, e);
                    None
                }
            },
            None | Some(Value::Null) => {
                self.error(
                    field,
                    "missing: every release names its contracting process",
                );
                None
            }
            Some(other) => {
                self.error(field, format!("{other} is not a string"));
                None
            }
        }
    }

    pub(super) fn required_text(
        &mut self,
        m: &Map<String, Value>,
        key: &str,
        path: &str,
    ) -> Option<String> {
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

    pub(super) fn release(&mut self, m: &Map<String, Value>, path: &str) -> Option<Dated> {
        let ocid = self.ocid(m, path);
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
            // Kept as organizations' identifiers: short, one line, like any identifier here.
            let mut identifier = |r: &mut Reader, v: &Map<String, Value>, at: &str| {
                let mut short = |key: &str| {
                    let text = r.text(v, key, at)?;
                    ShortText::try_from(text)
                        .map_err(|e| r.error(format!("{at}.{key}"), e))
                        .ok()
                };
                if let (Some(s), Some(i)) = (short("scheme"), short("id")) {
                    identifiers.push((s.as_str().to_uppercase(), i.into_inner()));
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
