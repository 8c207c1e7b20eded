//! The ranking as CSV: a header row and one row per factory, the JSON's figures (the value per
//! currency flattened as `EUR:1500.5;USD:200`). Cells go through `crate::export::Sheet`.

use super::RankedFactory;
use crate::error::Error;
use crate::export::Sheet;

pub const COLUMNS: [&str; 12] = [
    "rank",
    "factory_id",
    "name",
    "country",
    "sector",
    "workers",
    "exposed_buyers",
    "contracts",
    "value_by_currency",
    "contracts_without_value",
    "open_cases",
    "highest_severity",
];

/// One page of the ranking.
pub fn ranking_csv(items: &[RankedFactory]) -> Result<String, Error> {
    let mut w = Sheet::new();
    w.row(COLUMNS)?;
    for r in items {
        let value = r
            .value
            .by_currency
            .iter()
            .map(|(c, v)| format!("{c}:{v}"))
            .collect::<Vec<_>>()
            .join(";");
        w.row([
            r.rank.to_string(),
            r.factory.id.to_string(),
            r.factory.name.clone(),
            r.factory.country.clone(),
            r.factory.sector.clone().unwrap_or_default(),
            r.factory.workers.map(|n| n.to_string()).unwrap_or_default(),
            r.exposed_buyers.to_string(),
            r.contracts.to_string(),
            value,
            r.value.without_value.to_string(),
            r.open_cases.to_string(),
            r.highest_severity.clone().unwrap_or_default(),
        ])?;
    }
    w.finish()
}
