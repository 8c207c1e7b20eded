//! Text inputs: trimmed, non-empty, length-limited, without control characters.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Declares trimmed, non-empty, length-limited text without control characters.
macro_rules! bounded_text {
    ($(#[$doc:meta])* $name:ident, $max:literal, multiline = $multiline:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                utoipa::openapi::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::String)
                    .min_length(Some(1))
                    .max_length(Some($max))
                    .pattern(Some(if $multiline { MULTILINE_TEXT } else { SINGLE_LINE_TEXT }))
                    .into()
            }
        }
        impl utoipa::ToSchema for $name {}

        impl $name {
            pub const MAX_CHARS: usize = $max;
            pub fn as_str(&self) -> &str {
                &self.0
            }
            pub fn into_inner(self) -> String {
                self.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = String;
            fn try_from(raw: String) -> Result<Self, String> {
                clean_text(raw, $max, $multiline).map(Self)
            }
        }

        impl From<$name> for String {
            fn from(v: $name) -> String {
                v.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

bounded_text!(
    /// A name or title: one line, 1 to 200 characters after trimming.
    Name, 200, multiline = false
);
bounded_text!(
    /// A postal address or other single-line text up to 500 characters.
    LineText, 500, multiline = false
);
bounded_text!(
    /// A reference code, label or identifier: one line, up to 100 characters.
    ShortText, 100, multiline = false
);
bounded_text!(
    /// Free text of up to 20,000 characters; line breaks allowed.
    LongText, 20_000, multiline = true
);

/// What `clean_text` accepts, for the OpenAPI document: white space at either end (trimmed
/// away), then at least one character that is neither white space nor control, and no control
/// character in between (Unicode Cc, what `char::is_control` tests). The white space is
/// `str::trim`'s White_Space set, spelled out so that every regex dialect reads it the same way.
const SINGLE_LINE_TEXT: &str = concat!(
    "^[\\t\\n\\u000b\\u000c\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]*",
    "[^\\u0000-\\u0020\\u007f-\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]",
    "([^\\u0000-\\u001f\\u007f-\\u009f]*",
    "[^\\u0000-\\u0020\\u007f-\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000])?",
    "[\\t\\n\\u000b\\u000c\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]*$"
);
/// As `SINGLE_LINE_TEXT`, with tabs and line breaks (`\t`, `\n`, `\r`) allowed in between.
const MULTILINE_TEXT: &str = concat!(
    "^[\\t\\n\\u000b\\u000c\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]*",
    "[^\\u0000-\\u0020\\u007f-\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]",
    "([^\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f\\u007f-\\u009f]*",
    "[^\\u0000-\\u0020\\u007f-\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000])?",
    "[\\t\\n\\u000b\\u000c\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]*$"
);

fn clean_text(raw: String, max: usize, multiline: bool) -> Result<String, String> {
    let trimmed = raw.trim();
    if trimmed.is_empty() {
        return Err("must not be empty".into());
    }
    // Counted as sent, white space included, as the document's maxLength counts.
    let chars = raw.chars().count();
    if chars > max {
        return Err(format!("must be at most {max} characters (got {chars})"));
    }
    if trimmed
        .chars()
        .any(|c| c.is_control() && !(multiline && (c == '\n' || c == '\t' || c == '\r')))
    {
        return Err(if multiline {
            "must not contain control characters other than line breaks and tabs".into()
        } else {
            "must be a single line without control characters".into()
        });
    }
    Ok(trimmed.to_string())
}
