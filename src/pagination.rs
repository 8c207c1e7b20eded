//! Keyset pagination. Ids are UUIDv7 (time-ordered), so "after this id" is a stable cursor
//! that neither skips nor repeats rows when new ones arrive.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor(pub Uuid);

impl Cursor {
    /// Opaque to clients: base64url of the last id of the previous page.
    pub fn encode(id: &str) -> Option<String> {
        Uuid::parse_str(id)
            .ok()
            .map(|u| URL_SAFE_NO_PAD.encode(u.as_bytes()))
    }

    pub fn decode(raw: &str) -> Option<Cursor> {
        let bytes = URL_SAFE_NO_PAD.decode(raw).ok()?;
        Uuid::from_slice(&bytes).ok().map(Cursor)
    }

    pub fn as_db(&self) -> String {
        self.0.to_string()
    }
}

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
    pub next_cursor: Option<String>,
}

impl<T> Page<T> {
    /// Builds a page from rows fetched with `PageRequest::fetch`, ordered by id.
    pub fn from_rows<R>(
        mut rows: Vec<R>,
        page: &PageRequest,
        id_of: impl Fn(&R) -> &str,
        map: impl FnMut(R) -> Result<T, crate::error::Error>,
    ) -> Result<Page<T>, crate::error::Error> {
        let more = rows.len() as i64 > page.limit;
        rows.truncate(page.limit as usize);
        let next_cursor = if more {
            rows.last().and_then(|r| Cursor::encode(id_of(r)))
        } else {
            None
        };
        let items = rows.into_iter().map(map).collect::<Result<Vec<T>, _>>()?;
        Ok(Page { items, next_cursor })
    }
}
