//! Reading a disclosure file row by row, whatever it is: CSV (UTF-8 with or without a byte
//! order mark, comma or semicolon separated) or XLSX (its first sheet). The file is read from
//! disk as it is parsed, so memory does not grow with its size; the caller has already put the
//! upload in a temporary file under the size limit.

use std::fs::File;
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom};
use std::path::Path;

use calamine::{DataRef, Reader, Xlsx};

/// What a file is, from its first bytes (never from its name or declared type).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv { delimiter: u8 },
    Xlsx,
}

impl Format {
    pub fn name(self) -> &'static str {
        match self {
            Format::Csv { .. } => "csv",
            Format::Xlsx => "xlsx",
        }
    }
}

/// A whole-file problem: nothing of the file can be read as a disclosure list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileProblem {
    Empty,
    NotASpreadsheet(String),
}

impl std::fmt::Display for FileProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FileProblem::Empty => f.write_str("the file is empty"),
            FileProblem::NotASpreadsheet(why) => write!(
                f,
                "this is not a disclosure spreadsheet ({why}); send CSV (UTF-8, comma or semicolon separated) or XLSX"
            ),
        }
    }
}

/// Tells CSV from XLSX by content. An XLSX file is a ZIP archive; a CSV file is UTF-8 text
/// whose first line holds the headers. The separator is the one the header line uses most
/// (Excel in a Belgian or French locale writes semicolons).
pub fn sniff(path: &Path) -> Result<Format, FileProblem> {
    let mut f = File::open(path).map_err(|e| FileProblem::NotASpreadsheet(e.to_string()))?;
    let mut head = vec![0u8; 64 * 1024];
    let n = read_up_to(&mut f, &mut head);
    head.truncate(n);
    let text = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&head);
    if text.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(FileProblem::Empty);
    }
    if head.starts_with(b"PK\x03\x04") {
        return Ok(Format::Xlsx);
    }
    if head.starts_with(b"\xD0\xCF\x11\xE0") {
        return Err(FileProblem::NotASpreadsheet(
            "an old Excel .xls file; save it as .xlsx or CSV".into(),
        ));
    }
    // A cut in the middle of a multi-byte character at the end of the sample is not an error.
    let valid = match std::str::from_utf8(text) {
        Ok(s) => s,
        Err(e) if e.error_len().is_none() => {
            std::str::from_utf8(&text[..e.valid_up_to()]).unwrap_or("")
        }
        Err(_) => {
            return Err(FileProblem::NotASpreadsheet(
                "it is neither UTF-8 text nor an XLSX workbook".into(),
            ))
        }
    };
    if valid.contains('\0') {
        return Err(FileProblem::NotASpreadsheet("it holds binary data".into()));
    }
    let first = valid.lines().next().unwrap_or("");
    let delimiter = if first.matches(';').count() > first.matches(',').count() {
        b';'
    } else {
        b','
    };
    Ok(Format::Csv { delimiter })
}

fn read_up_to(f: &mut File, buf: &mut [u8]) -> usize {
    let mut n = 0;
    while n < buf.len() {
        match f.read(&mut buf[n..]) {
            Ok(0) | Err(_) => break,
            Ok(k) => n += k,
        }
    }
    n
}

/// One row of the file: its number as a spreadsheet shows it (the header is row 1) and its
/// cells as text.
pub struct Record {
    pub line: u64,
    pub cells: Vec<String>,
}

/// Calls `f` with each row of the file, header first, as it is read; `f` answers whether to go
/// on. A row that cannot be read (bad UTF-8 in a CSV line) comes as `Err` with its line; a
/// workbook that cannot be read at all is a `FileProblem`. Rows are handed over one at a time
/// (not collected) so that memory does not grow with the file.
pub fn each_row(
    path: &Path,
    format: Format,
    f: &mut dyn FnMut(Result<Record, (u64, String)>) -> bool,
) -> Result<(), FileProblem> {
    let not = |e: String| FileProblem::NotASpreadsheet(e);
    match format {
        Format::Csv { delimiter } => {
            let mut file = BufReader::new(File::open(path).map_err(|e| not(e.to_string()))?);
            // Skip a byte order mark: the csv crate would read it into the first header.
            if file
                .fill_buf()
                .map(|b| b.starts_with(b"\xEF\xBB\xBF"))
                .unwrap_or(false)
            {
                file.consume(3);
            }
            let reader = csv::ReaderBuilder::new()
                .delimiter(delimiter)
                .has_headers(false)
                .flexible(true)
                .from_reader(file);
            let mut n = 0u64;
            for r in reader.into_records() {
                n += 1;
                let item = match r {
                    // The record's number is the row a spreadsheet shows (a quoted cell may
                    // span lines of the file; it is still one row).
                    Ok(rec) => Ok(Record {
                        line: n,
                        cells: rec.iter().map(str::to_string).collect(),
                    }),
                    Err(e) => Err((n, csv_error(&e))),
                };
                if !f(item) {
                    break;
                }
            }
            Ok(())
        }
        Format::Xlsx => {
            let mut file = File::open(path).map_err(|e| not(e.to_string()))?;
            file.seek(SeekFrom::Start(0))
                .map_err(|e| not(e.to_string()))?;
            let mut book: Xlsx<_> = Xlsx::new(BufReader::new(file))
                .map_err(|e| not(format!("the workbook cannot be read: {e}")))?;
            let sheet = book
                .sheet_names()
                .first()
                .cloned()
                .ok_or_else(|| not("the workbook has no sheet".into()))?;
            let mut reader = book
                .worksheet_cells_reader(&sheet)
                .map_err(|e| not(format!("the first sheet cannot be read: {e}")))?;
            let mut current: Option<(u32, Vec<String>)> = None;
            loop {
                let cell = reader
                    .next_cell()
                    .map_err(|e| not(format!("the first sheet cannot be read: {e}")))?;
                let Some(cell) = cell else { break };
                let (row, col) = cell.get_position();
                let text = text_of(cell.get_value());
                if text.is_empty() {
                    continue;
                }
                if current.as_ref().is_some_and(|(r, _)| *r != row) {
                    let (r, cells) = current.take().unwrap_or_default();
                    if !f(Ok(Record {
                        line: u64::from(r) + 1,
                        cells,
                    })) {
                        return Ok(());
                    }
                }
                let (_, cells) = current.get_or_insert_with(|| (row, Vec::new()));
                let col = col as usize;
                if cells.len() <= col {
                    cells.resize(col + 1, String::new());
                }
                cells[col] = text;
            }
            if let Some((r, cells)) = current {
                f(Ok(Record {
                    line: u64::from(r) + 1,
                    cells,
                }));
            }
            Ok(())
        }
    }
}

fn csv_error(e: &csv::Error) -> String {
    match e.kind() {
        csv::ErrorKind::Utf8 { .. } => {
            "this row is not UTF-8 text; save the file as \"CSV UTF-8\"".to_string()
        }
        _ => format!("this row cannot be read as CSV: {e}"),
    }
}

/// A cell as the text a person typed: whole numbers without ".0", dates as YYYY-MM-DD.
fn text_of(v: &DataRef<'_>) -> String {
    use DataRef as D;
    match v {
        D::Empty => String::new(),
        D::String(s) => s.clone(),
        D::SharedString(s) => s.to_string(),
        D::Int(i) => i.to_string(),
        #[allow(clippy::cast_possible_truncation)]
        D::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        D::Float(f) => f.to_string(),
        D::Bool(b) => b.to_string(),
        D::DateTime(d) => match d.as_datetime() {
            Some(dt) if dt.time() == chrono::NaiveTime::MIN => dt.date().to_string(),
            Some(dt) => dt.to_string(),
            None => d.as_f64().to_string(),
        },
        D::DateTimeIso(s) | D::DurationIso(s) => s.clone(),
        D::Error(e) => format!("#{e:?}"),
    }
}
