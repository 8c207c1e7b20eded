//! Contract values added up exactly: per currency, never converted, in integer units of
//! 1/10,000 (`values::amount_units`).

use std::collections::BTreeMap;

use serde::Serialize;
use utoipa::ToSchema;

use crate::values::{amount_units as units, AMOUNT_SCALE as SCALE};

/// Contract values summed per currency.
#[derive(Debug, Clone, Default, Serialize, ToSchema, PartialEq)]
pub struct CombinedValue {
    /// ISO 4217 code -> exact decimal sum as text (`"1250000.5"`).
    #[schema(value_type = BTreeMap<String, String>)]
    pub by_currency: BTreeMap<String, String>,
    /// Contracts without a recorded value, not in any sum.
    pub without_value: i64,
}

/// Sums under construction.
#[derive(Debug, Clone, Default)]
pub struct Sums {
    units: BTreeMap<String, i128>,
    without_value: i64,
}

/// Units of 1/10,000 as a decimal, without trailing zeros after the point.
pub fn decimal(units: i128) -> String {
    let (whole, frac) = (units / SCALE, units % SCALE);
    if frac == 0 {
        return whole.to_string();
    }
    let frac = format!("{frac:04}");
    format!("{whole}.{}", frac.trim_end_matches('0'))
}

impl Sums {
    /// Adds one contract's value (or its absence).
    pub fn add(&mut self, amount: Option<&str>, currency: Option<&str>) {
        match (amount.and_then(units), currency) {
            (Some(u), Some(c)) => *self.units.entry(c.to_string()).or_default() += u,
            (None, _) if amount.is_some() => {
                // Validated on the way in, so this is a corrupt row: counted, not guessed.
                tracing::warn!(amount, "a stored contract value is no decimal amount");
                self.without_value += 1;
            }
            _ => self.without_value += 1,
        }
    }

    pub fn done(&self) -> CombinedValue {
        CombinedValue {
            by_currency: self
                .units
                .iter()
                .map(|(c, u)| (c.clone(), decimal(*u)))
                .collect(),
            without_value: self.without_value,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sums_are_exact() {
        assert_eq!(units("0.1"), Some(1_000));
        assert_eq!(units("1250000.00"), Some(12_500_000_000));
        assert_eq!(units("1."), None);
        assert_eq!(units("-1"), None);
        assert_eq!(units("1.23456"), None);
        let mut s = Sums::default();
        // 0.1 + 0.2 is 0.3 here, not 0.30000000000000004.
        s.add(Some("0.1"), Some("EUR"));
        s.add(Some("0.2"), Some("EUR"));
        s.add(Some("999999999999999.9999"), Some("USD"));
        s.add(Some("0.0001"), Some("USD"));
        s.add(None, None);
        let v = s.done();
        assert_eq!(v.by_currency["EUR"], "0.3");
        assert_eq!(v.by_currency["USD"], "1000000000000000");
        assert_eq!(v.without_value, 1);
        assert_eq!(decimal(12_345), "1.2345");
        assert_eq!(decimal(10_500), "1.05");
    }
}
