//! The template a contractor fills in: the header row and one example row, in CSV or as an
//! XLSX workbook whose second sheet explains each column, in the four languages.

use rust_xlsxwriter::{Format, Workbook, XlsxError};

use super::columns::{Col, ALL};
use crate::error::Error;
use crate::values::Language;

/// The example row, as a contractor of laptops would fill it in.
fn example() -> Vec<String> {
    ALL.iter()
        .map(|c| {
            match c {
                Col::ContractReferences => "FW-2026-ICT-01/LOT2",
                Col::ProductModel => "Laptop X14 Gen 3",
                Col::ComponentPath => "Mainboard > Battery cell",
                Col::FactoryName => "Example Battery Co., Ltd.",
                Col::Address => "88 Industrial Road, Dongguan, Guangdong",
                Col::Country => "CN",
                Col::OsId => "CN2026123ABC4DE",
                Col::Tier => "3",
                Col::ValidFrom => "2026-01-01",
                Col::ValidTo => "",
                Col::Sector => "Electronics",
                Col::Workers => "1200",
                Col::ParentCompany => "Example Energy Group",
                Col::Latitude => "23.0207",
                Col::Longitude => "113.7518",
            }
            .to_string()
        })
        .collect()
}

pub fn csv(lang: Language) -> Result<String, Error> {
    let mut sheet = crate::export::Sheet::new();
    sheet.row(ALL.iter().map(|c| c.header(lang)))?;
    sheet.row(example())?;
    sheet.finish()
}

pub fn xlsx(lang: Language) -> Result<Vec<u8>, Error> {
    workbook(lang, &[example()], true)
}

/// A workbook with the header and `rows`; with `explain`, a second sheet on the columns.
pub fn workbook(lang: Language, rows: &[Vec<String>], explain: bool) -> Result<Vec<u8>, Error> {
    build(lang, rows, explain).map_err(|e| Error::internal_from("writing XLSX", e))
}

fn build(lang: Language, rows: &[Vec<String>], explain: bool) -> Result<Vec<u8>, XlsxError> {
    let mut book = Workbook::new();
    let bold = Format::new().set_bold();
    let sheet = book.add_worksheet();
    sheet.set_name(sheet_name(lang))?;
    for (i, c) in ALL.iter().enumerate() {
        let col = i as u16;
        sheet.write_string_with_format(0, col, c.header(lang), &bold)?;
        sheet.set_column_width(col, 22)?;
    }
    for (r, row) in rows.iter().enumerate() {
        let line = r as u32 + 1;
        for (i, (c, value)) in ALL.iter().zip(row).enumerate() {
            if value.is_empty() {
                continue;
            }
            let col = i as u16;
            match (c, value.parse::<f64>()) {
                // Numbers a person would type as numbers; everything else (OS IDs, dates,
                // references) as text, exactly as it will be read back.
                (Col::Tier | Col::Workers | Col::Latitude | Col::Longitude, Ok(n)) => {
                    sheet.write_number(line, col, n)?;
                }
                _ => {
                    sheet.write_string(line, col, value)?;
                }
            }
        }
    }
    sheet.set_freeze_panes(1, 0)?;
    if explain {
        let help = book.add_worksheet();
        help.set_name(help_name(lang))?;
        let heads = match lang {
            Language::En => ["Column", "Required", "What it holds"],
            Language::Nl => ["Kolom", "Verplicht", "Wat erin staat"],
            Language::Fr => ["Colonne", "Obligatoire", "Contenu"],
            Language::De => ["Spalte", "Pflicht", "Inhalt"],
        };
        for (i, h) in heads.iter().enumerate() {
            help.write_string_with_format(0, i as u16, *h, &bold)?;
        }
        let (yes, no) = match lang {
            Language::En => ("yes", "no"),
            Language::Nl => ("ja", "nee"),
            Language::Fr => ("oui", "non"),
            Language::De => ("ja", "nein"),
        };
        for (r, c) in ALL.iter().enumerate() {
            let line = r as u32 + 1;
            help.write_string(line, 0, c.header(lang))?;
            help.write_string(line, 1, if c.required() { yes } else { no })?;
            help.write_string(line, 2, c.explanation(lang))?;
        }
        help.set_column_width(0, 26)?;
        help.set_column_width(2, 110)?;
    }
    book.save_to_buffer()
}

fn sheet_name(lang: Language) -> &'static str {
    match lang {
        Language::En => "Disclosure",
        Language::Nl => "Openbaarmaking",
        Language::Fr => "Divulgation",
        Language::De => "Offenlegung",
    }
}

fn help_name(lang: Language) -> &'static str {
    match lang {
        Language::En => "Columns",
        Language::Nl => "Kolommen",
        Language::Fr => "Colonnes",
        Language::De => "Spalten",
    }
}
