//! CSV that is safe to open in a spreadsheet.
//!
//! Exports carry text one party typed (a contract title, a component name) to another party's
//! spreadsheet. A cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return is read
//! as a formula by Excel, LibreOffice and Sheets, so every such cell gets a leading `'`
//! (OWASP's rule for CSV injection), except a plain negative number such as `-99.1332`, which
//! no spreadsheet evaluates. Every CSV the service writes goes through [`Sheet`].

use crate::error::Error;

/// A CSV document under construction; every cell is neutralised on the way in.
pub struct Sheet {
    writer: csv::Writer<Vec<u8>>,
}

impl Default for Sheet {
    fn default() -> Self {
        Self::new()
    }
}

impl Sheet {
    pub fn new() -> Self {
        Self {
            writer: csv::Writer::from_writer(Vec::new()),
        }
    }

    /// Appends one row.
    pub fn row<I, S>(&mut self, cells: I) -> Result<(), Error>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        self.writer
            .write_record(
                cells
                    .into_iter()
                    .map(|c| neutralise(c.as_ref()).into_owned()),
            )
            .map_err(|e| Error::internal_from("writing CSV", e))
    }

    /// The finished document.
    pub fn finish(self) -> Result<String, Error> {
        let bytes = self
            .writer
            .into_inner()
            .map_err(|e| Error::internal_from("writing CSV", e))?;
        String::from_utf8(bytes).map_err(|e| Error::internal_from("writing CSV", e))
    }
}

/// A negative decimal number such as `-99.1332` (a longitude west of Greenwich): a spreadsheet
/// reads it as the number it is, and nothing in it can be a formula, so it is kept as it is.
fn negative_number(cell: &str) -> bool {
    let Some(digits) = cell.strip_prefix('-') else {
        return false;
    };
    let (int, frac) = digits.split_once('.').unwrap_or((digits, "0"));
    !int.is_empty()
        && !frac.is_empty()
        && int.bytes().all(|b| b.is_ascii_digit())
        && frac.bytes().all(|b| b.is_ascii_digit())
}

/// The cell as text a spreadsheet shows and never evaluates.
pub fn neutralise(cell: &str) -> std::borrow::Cow<'_, str> {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) && !negative_number(cell) {
        format!("'{cell}").into()
    } else {
        cell.into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_starts_are_quoted_and_other_text_is_kept() {
        for bad in ["=cmd|' /C calc'!A0", "+1", "-2+3", "@SUM(A1)", "\tx", "\rx"] {
            assert_eq!(neutralise(bad), format!("'{bad}"));
        }
        for bad in ["-", "-.5", "-1.", "-1e3", "-inf", "-1.2.3", "-1,5", "-2-3"] {
            assert_eq!(neutralise(bad), format!("'{bad}"), "{bad}");
        }
        for good in [
            "Laptops 2026",
            "a=b",
            "",
            "'quoted",
            "-99.1332",
            "-7",
            "-0.5",
        ] {
            assert_eq!(neutralise(good), good);
        }
    }

    #[test]
    fn a_sheet_quotes_cells_and_fields() {
        let mut s = Sheet::new();
        s.row(["title", "n"]).unwrap();
        s.row(["=HYPERLINK(\"http://x\",\"y\")", "3"]).unwrap();
        let out = s.finish().unwrap();
        assert_eq!(
            out,
            "title,n\n\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\",3\n"
        );
    }
}
