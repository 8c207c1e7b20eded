//! Amounts of money.

use super::codes::CurrencyCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A non-negative decimal amount as a string (`"1250000.00"`), at most 15 integer digits and
/// 4 decimals, so that it survives JSON without floating-point loss.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(try_from = "String", into = "String")]
#[schema(value_type = String, example = "1250000.00", pattern = "^[0-9]{1,15}(\\.[0-9]{1,4})?$")]
pub struct Amount(String);

impl TryFrom<String> for Amount {
    type Error = String;
    fn try_from(raw: String) -> Result<Self, String> {
        let s = raw.trim();
        let (int, frac) = match s.split_once('.') {
            Some((i, f)) => (i, Some(f)),
            None => (s, None),
        };
        let digits = |p: &str, max: usize| {
            !p.is_empty() && p.len() <= max && p.bytes().all(|b| b.is_ascii_digit())
        };
        if digits(int, 15) && frac.is_none_or(|f| digits(f, 4)) {
            Ok(Amount(s.to_string()))
        } else {
            Err(format!(
                "{raw:?} is not a non-negative decimal amount such as \"1250000.00\""
            ))
        }
    }
}

impl From<Amount> for String {
    fn from(v: Amount) -> String {
        v.0
    }
}

/// Amounts are added up exactly in units of 1/10,000 (an `Amount` has at most 4 decimals and
/// 15 integer digits, so an `i128` cannot overflow on any number of them).
pub const AMOUNT_SCALE: i128 = 10_000;

/// A stored amount (`"1250000.00"`) in units of 1/`AMOUNT_SCALE`; None if it is not one.
pub fn amount_units(amount: &str) -> Option<i128> {
    let (int, frac) = match amount.split_once('.') {
        Some((_, "")) => return None,
        Some(parts) => parts,
        None => (amount, ""),
    };
    let digits = |p: &str| p.bytes().all(|b| b.is_ascii_digit());
    if int.is_empty() || int.len() > 15 || frac.len() > 4 || !digits(int) || !digits(frac) {
        return None;
    }
    let whole: i128 = int.parse().ok()?;
    let frac_units: i128 = format!("{frac:0<4}").parse().ok()?;
    Some(whole * AMOUNT_SCALE + frac_units)
}

/// A monetary value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Money {
    pub amount: Amount,
    pub currency: CurrencyCode,
}
