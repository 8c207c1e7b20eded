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

/// A monetary value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Money {
    pub amount: Amount,
    pub currency: CurrencyCode,
}
