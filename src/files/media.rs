//! Which files are taken: the media type is found from the content (magic bytes), never from
//! what the client declares, and must be on the allow-list. Documents and photos that serve
//! as evidence only: no HTML, SVG, scripts, executables or bare archives, which a browser or a
//! reader's desktop could run.

use std::io::{Read, Seek, SeekFrom};

/// The allow-list, as the 415 answer names it.
pub const ALLOWED: &[&str] = &[
    "application/pdf",
    "image/png",
    "image/jpeg",
    "image/gif",
    "image/webp",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "application/vnd.oasis.opendocument.text",
    "application/vnd.oasis.opendocument.spreadsheet",
    "application/vnd.oasis.opendocument.presentation",
    "text/plain",
    "text/csv",
];

/// How far into a ZIP the names of its parts are looked for (and as far from its end, where
/// the central directory lists them all).
const ZIP_WINDOW: u64 = 64 * 1024;

/// The media type of `file`, or `None` when it is none of the allowed ones. `declared` (the
/// client's `Content-Type` or the filename's extension) only tells CSV from plain text.
pub fn sniff(
    file: &mut std::fs::File,
    size: u64,
    csv_declared: bool,
) -> std::io::Result<Option<&'static str>> {
    let mut head = Vec::with_capacity(512);
    file.seek(SeekFrom::Start(0))?;
    file.by_ref().take(512).read_to_end(&mut head)?;
    let starts = |magic: &[u8]| head.starts_with(magic);
    let found = if starts(b"%PDF-") {
        Some("application/pdf")
    } else if starts(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if starts(b"\xff\xd8\xff") {
        Some("image/jpeg")
    } else if starts(b"GIF87a") || starts(b"GIF89a") {
        Some("image/gif")
    } else if head.len() >= 12 && starts(b"RIFF") && &head[8..12] == b"WEBP" {
        Some("image/webp")
    } else if starts(b"PK\x03\x04") {
        office(file, &head, size)?
    } else if is_text(file)? {
        Some(if csv_declared {
            "text/csv"
        } else {
            "text/plain"
        })
    } else {
        None
    };
    Ok(found)
}

/// An Office Open XML or OpenDocument file; any other ZIP is refused.
fn office(
    file: &mut std::fs::File,
    head: &[u8],
    size: u64,
) -> std::io::Result<Option<&'static str>> {
    // OpenDocument: the first entry is an uncompressed `mimetype` holding the type itself.
    if head.len() > 38 && &head[30..38] == b"mimetype" {
        let rest = &head[38..];
        for t in [
            "application/vnd.oasis.opendocument.text",
            "application/vnd.oasis.opendocument.spreadsheet",
            "application/vnd.oasis.opendocument.presentation",
        ] {
            if rest.starts_with(t.as_bytes())
                // Not a template (`...text-template`).
                && rest[t.len()..].first().is_none_or(|c| *c != b'-')
            {
                return Ok(Some(t));
            }
        }
        return Ok(None);
    }
    // Office Open XML: `[Content_Types].xml` and the part folder of the application, named in
    // the local headers and in the central directory at the end.
    let mut names = Vec::new();
    file.seek(SeekFrom::Start(0))?;
    file.by_ref().take(ZIP_WINDOW).read_to_end(&mut names)?;
    if size > ZIP_WINDOW {
        file.seek(SeekFrom::Start(
            size.saturating_sub(ZIP_WINDOW).max(ZIP_WINDOW),
        ))?;
        file.by_ref().take(ZIP_WINDOW).read_to_end(&mut names)?;
    }
    let has = |needle: &[u8]| names.windows(needle.len()).any(|w| w == needle);
    if !has(b"[Content_Types].xml") {
        return Ok(None);
    }
    Ok(if has(b"word/document.xml") {
        Some("application/vnd.openxmlformats-officedocument.wordprocessingml.document")
    } else if has(b"xl/workbook.xml") {
        Some("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    } else if has(b"ppt/presentation.xml") {
        Some("application/vnd.openxmlformats-officedocument.presentationml.presentation")
    } else {
        None
    })
}

/// UTF-8 throughout (a byte-order mark allowed), with no control characters but tab, line
/// and page breaks: text a person wrote, not a binary that happens to have no magic bytes.
fn is_text(file: &mut std::fs::File) -> std::io::Result<bool> {
    file.seek(SeekFrom::Start(0))?;
    let mut buf = vec![0u8; 64 * 1024];
    // Bytes of a character cut by the end of the previous read.
    let mut carry: Vec<u8> = Vec::new();
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            return Ok(carry.is_empty());
        }
        carry.extend_from_slice(&buf[..n]);
        let text = match std::str::from_utf8(&carry) {
            Ok(t) => t.len(),
            // An incomplete character at the end: keep it for the next read.
            Err(e) if e.error_len().is_none() => e.valid_up_to(),
            Err(_) => return Ok(false),
        };
        let ok = std::str::from_utf8(&carry[..text])
            .map(|t| {
                t.chars()
                    .all(|c| !c.is_control() || matches!(c, '\t' | '\n' | '\r' | '\x0c'))
            })
            .unwrap_or(false);
        if !ok {
            return Ok(false);
        }
        carry.drain(..text);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn kind(bytes: &[u8], csv: bool) -> Option<&'static str> {
        let mut f = tempfile::tempfile().unwrap();
        f.write_all(bytes).unwrap();
        sniff(&mut f, bytes.len() as u64, csv).unwrap()
    }

    #[test]
    fn the_content_decides_not_the_name() {
        assert_eq!(kind(b"%PDF-1.7\n...", false), Some("application/pdf"));
        assert_eq!(kind(b"\x89PNG\r\n\x1a\n\0\0", false), Some("image/png"));
        assert_eq!(kind(b"\xff\xd8\xff\xe0JFIF", false), Some("image/jpeg"));
        assert_eq!(kind(b"RIFF\x10\0\0\0WEBPVP8 ", false), Some("image/webp"));
        assert_eq!(
            kind("Loonstrook, juni: €1.820\n".as_bytes(), false),
            Some("text/plain")
        );
        assert_eq!(kind(b"a;b\n1;2\n", true), Some("text/csv"));
        // An executable, a bare ZIP, a NUL-riddled binary, broken UTF-8.
        assert_eq!(kind(b"MZ\x90\0\x03\0\0\0", false), None);
        assert_eq!(kind(b"PK\x03\x04\x14\0\0\0\0\0evil.exe", false), None);
        assert_eq!(kind(b"\x7fELF\x02\x01\x01", false), None);
        assert_eq!(kind(b"abc\xff\xfe", false), None);
    }

    #[test]
    fn an_xlsx_written_by_the_service_is_a_spreadsheet() {
        let mut book = rust_xlsxwriter::Workbook::new();
        book.add_worksheet().write_string(0, 0, "x").unwrap();
        let bytes = book.save_to_buffer().unwrap();
        assert_eq!(
            kind(&bytes, false),
            Some("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        );
    }
}
