//! The factory registry as an Open Supply Hub list: the columns of Open Supply Hub's list
//! upload template ("Preparing data for upload to Open Supply Hub",
//! <https://info.opensupplyhub.org/resources/preparing-data>; the header names are those its
//! list parser reads). Cells go through `crate::export::Sheet`.

use super::FactoryRow;
use crate::error::Error;
use crate::export::Sheet;

/// The header row, exactly as Open Supply Hub names its columns: `country`, `name` and
/// `address` are required, `sector` is required by its data model, the rest optional.
/// ketenzorg records no product, facility or processing type: those columns stay empty, for
/// the contributor to fill in if it knows them.
pub const OPEN_SUPPLY_HUB_COLUMNS: [&str; 11] = [
    "country",
    "name",
    "address",
    "sector",
    "product_type",
    "facility_type",
    "processing_type",
    "number_of_workers",
    "parent_company",
    "lat",
    "lng",
];

/// A coordinate in decimal degrees, rounded to the 7 decimals Open Supply Hub keeps.
fn degrees(v: Option<f64>) -> String {
    v.map(|x| ((x * 1e7).round() / 1e7).to_string())
        .unwrap_or_default()
}

/// One factory as a row under `OPEN_SUPPLY_HUB_COLUMNS`. Who registered it is no column.
pub fn open_supply_hub_row(f: &FactoryRow) -> [String; 11] {
    [
        f.country.clone(),
        f.name.clone(),
        f.address.clone(),
        f.sector.clone().unwrap_or_default(),
        String::new(),
        String::new(),
        String::new(),
        f.workers.map(|w| w.to_string()).unwrap_or_default(),
        f.parent_company.clone().unwrap_or_default(),
        degrees(f.latitude),
        degrees(f.longitude),
    ]
}

/// A part of the export: the header row when `header`, then one row per factory.
pub fn open_supply_hub_csv(rows: &[FactoryRow], header: bool) -> Result<String, Error> {
    let mut sheet = Sheet::new();
    if header {
        sheet.row(OPEN_SUPPLY_HUB_COLUMNS)?;
    }
    for f in rows {
        sheet.row(open_supply_hub_row(f))?;
    }
    sheet.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coordinates_keep_seven_decimals() {
        assert_eq!(degrees(Some(22.543_096_123_4)), "22.5430961");
        assert_eq!(degrees(Some(-0.5)), "-0.5");
        assert_eq!(degrees(None), "");
    }
}
