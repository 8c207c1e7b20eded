//! Keyset pagination. Ids are UUIDv7 (time-ordered), so "after this id" is a stable cursor
//! that neither skips nor repeats rows when new ones arrive.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

/// Where the previous page ended: the last id, and for orders by another column (a deadline,
/// a sequence number) that column's value too.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    pub id: Uuid,
    pub key: Option<i64>,
}

impl Cursor {
    /// Opaque to clients: base64url of the id (and the key).
    pub fn encode(id: impl std::fmt::Display) -> Option<String> {
        Uuid::parse_str(&id.to_string())
            .ok()
            .map(|u| URL_SAFE_NO_PAD.encode(u.as_bytes()))
    }

    pub fn encode_with_key(id: impl std::fmt::Display, key: i64) -> Option<String> {
        let u = Uuid::parse_str(&id.to_string()).ok()?;
        let mut bytes = u.as_bytes().to_vec();
        bytes.extend_from_slice(&key.to_be_bytes());
        Some(URL_SAFE_NO_PAD.encode(bytes))
    }

    /// For orders by an instant: the key is microseconds since the epoch.
    pub fn encode_with_time(
        id: impl std::fmt::Display,
        at: chrono::NaiveDateTime,
    ) -> Option<String> {
        Cursor::encode_with_key(id, at.and_utc().timestamp_micros())
    }

    pub fn decode(raw: &str) -> Option<Cursor> {
        let bytes = URL_SAFE_NO_PAD.decode(raw).ok()?;
        match bytes.len() {
            16 => Some(Cursor {
                id: Uuid::from_slice(&bytes).ok()?,
                key: None,
            }),
            24 => Some(Cursor {
                id: Uuid::from_slice(&bytes[..16]).ok()?,
                key: Some(i64::from_be_bytes(bytes[16..].try_into().ok()?)),
            }),
            _ => None,
        }
    }

    pub fn as_db(&self) -> String {
        self.id.to_string()
    }

    /// The key as an instant, held to years 1 to 9999. Cursors this service issues are in
    /// that range; a forged one outside it means "before everything" or "after everything",
    /// and must not reach the database as is (PostgreSQL refuses timestamps before 4713 BC
    /// with an error, which was a 500).
    pub fn time(&self) -> Option<chrono::NaiveDateTime> {
        let min = chrono::NaiveDate::from_ymd_opt(1, 1, 1)?.and_hms_opt(0, 0, 0)?;
        let max = chrono::NaiveDate::from_ymd_opt(9999, 12, 31)?
            .and_hms_micro_opt(23, 59, 59, 999_999)?;
        self.key.map(|micros| {
            let micros = micros.clamp(
                min.and_utc().timestamp_micros(),
                max.and_utc().timestamp_micros(),
            );
            chrono::DateTime::from_timestamp_micros(micros).map_or(min, |t| t.naive_utc())
        })
    }
}

/// What `Cursor::decode` accepts, for the OpenAPI document: base64url without padding of 16
/// bytes (22 characters, the last one carrying 2 bits and 4 zero bits) or of 24 bytes (32
/// characters); empty means the first page.
const CURSOR_PATTERN: &str = "^([A-Za-z0-9_-]{21}[AQgw]|[A-Za-z0-9_-]{32})?$";

impl utoipa::PartialSchema for Cursor {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .description(Some(
                "Opaque: the `next_cursor` of the previous page; empty or absent for the first page",
            ))
            .pattern(Some(CURSOR_PATTERN))
            .into()
    }
}
impl ToSchema for Cursor {}

#[derive(Debug, Clone, Copy)]
pub struct PageRequest {
    pub limit: i64,
    pub after: Option<Cursor>,
}

impl PageRequest {
    pub const DEFAULT_LIMIT: i64 = 50;
    pub const MAX_LIMIT: i64 = 500;

    pub fn first(limit: i64) -> PageRequest {
        PageRequest { limit, after: None }
    }

    /// The id to start after, as stored ("" sorts before every UUID).
    pub fn after_db(&self) -> String {
        self.after.map(|c| c.as_db()).unwrap_or_default()
    }

    /// Rows to fetch: one more than the page, to know whether another page follows.
    pub fn fetch(&self) -> i64 {
        self.limit + 1
    }
}

/// One page of a list.
#[derive(Debug, Serialize, ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Pass as `cursor` to get the next page; null on the last page.
    #[schema(value_type = Option<Cursor>)]
    pub next_cursor: Option<String>,
}

impl<T> Page<T> {
    /// Builds a page from rows fetched with `PageRequest::fetch`; `cursor_of` encodes the
    /// position of the last row shown.
    pub fn from_rows<R>(
        mut rows: Vec<R>,
        page: &PageRequest,
        cursor_of: impl Fn(&R) -> Option<String>,
        map: impl FnMut(R) -> Result<T, crate::error::Error>,
    ) -> Result<Page<T>, crate::error::Error> {
        let more = rows.len() as i64 > page.limit;
        rows.truncate(page.limit as usize);
        let next_cursor = if more {
            rows.last().and_then(cursor_of)
        } else {
            None
        };
        let items = rows.into_iter().map(map).collect::<Result<Vec<T>, _>>()?;
        Ok(Page { items, next_cursor })
    }
}
