//! Dates and instants as the API reads them: `YYYY-MM-DD` and RFC 3339, years 1 to 9999 (what
//! both databases store alike). Fields use these with `#[serde(deserialize_with = ...)]`, so
//! their schema stays a plain date or date-time, and query parameters call the parsers.

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use serde::{Deserialize, Deserializer};

pub const DATE_EXPECTED: &str = "a date as YYYY-MM-DD, such as 2026-12-01";
pub const INSTANT_EXPECTED: &str = "an RFC 3339 date and time, such as 2026-12-01T09:00:00Z";

fn in_range(year: i32) -> bool {
    (1..=9999).contains(&year)
}

/// A calendar date written exactly as `YYYY-MM-DD`.
pub fn parse_date(raw: &str) -> Result<NaiveDate, String> {
    let b = raw.as_bytes();
    let shaped = b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
    let day = shaped
        .then(|| NaiveDate::parse_from_str(raw, "%Y-%m-%d").ok())
        .flatten()
        .filter(|d| in_range(d.year()));
    day.ok_or_else(|| format!("{raw:?} is not {DATE_EXPECTED}"))
}

/// An instant with its offset, taken to UTC.
pub fn parse_instant(raw: &str) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(raw)
        .ok()
        .filter(|t| in_range(t.year()))
        .map(|t| t.with_timezone(&Utc))
        .filter(|t| in_range(t.year()))
        .ok_or_else(|| format!("{raw:?} is not {INSTANT_EXPECTED}"))
}

/// Reads the text first, so that a number or anything else gets the same message.
fn text<'de, D: Deserializer<'de>>(d: D, expected: &str) -> Result<String, D::Error> {
    serde_json::Value::deserialize(d).and_then(|v| match v {
        serde_json::Value::String(s) => Ok(s),
        other => Err(serde::de::Error::custom(format!(
            "{other} is not {expected}"
        ))),
    })
}

pub fn date<'de, D: Deserializer<'de>>(d: D) -> Result<NaiveDate, D::Error> {
    parse_date(&text(d, DATE_EXPECTED)?).map_err(serde::de::Error::custom)
}

/// For `Option<NaiveDate>` fields; pair with `#[serde(default)]` so that absent is `None`.
pub fn opt_date<'de, D: Deserializer<'de>>(d: D) -> Result<Option<NaiveDate>, D::Error> {
    match Option::<serde_json::Value>::deserialize(d)? {
        None | Some(serde_json::Value::Null) => Ok(None),
        Some(serde_json::Value::String(s)) => {
            parse_date(&s).map(Some).map_err(serde::de::Error::custom)
        }
        Some(other) => Err(serde::de::Error::custom(format!(
            "{other} is not {DATE_EXPECTED}"
        ))),
    }
}

pub fn instant<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
    parse_instant(&text(d, INSTANT_EXPECTED)?).map_err(serde::de::Error::custom)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_outside_years_1_to_9999_or_in_other_shapes_are_refused() {
        assert!(parse_date("2026-12-01").is_ok());
        assert!(parse_date("0001-01-01").is_ok());
        assert!(parse_date("9999-12-31").is_ok());
        for bad in [
            "+10000-01-01",
            "-0001-01-01",
            "0000-01-01",
            "14/10/2026",
            "2026-2-1",
            "2026-02-30",
            " 2026-12-01",
            "2026-12-01T00:00:00Z",
        ] {
            let e = parse_date(bad).unwrap_err();
            assert!(e.contains("YYYY-MM-DD"), "{bad}: {e}");
        }
    }

    #[test]
    fn instants_outside_years_1_to_9999_are_refused() {
        assert!(parse_instant("2026-12-01T09:00:00Z").is_ok());
        assert!(parse_instant("2026-12-01T09:00:00+02:00").is_ok());
        for bad in [
            "+10000-01-01T00:00:00Z",
            "9999-12-31T23:00:00-02:00",
            "0001-01-01T00:00:00+01:00",
            "14/10/2026 09:00",
            "2026-12-01",
        ] {
            let e = parse_instant(bad).unwrap_err();
            assert!(e.contains("2026-12-01T09:00:00Z"), "{bad}: {e}");
        }
    }
}
