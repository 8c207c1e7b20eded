//! Disclosure lists: a contractor's product models, their components and the factories that
//! make them, taken in as the spreadsheet the contractor already keeps (CSV or XLSX, see
//! `columns` for the format) and given back in the same format.
//!
//! An upload is a dry run unless it says otherwise: the whole import runs in a transaction
//! that is then rolled back, so the report of a dry run is exactly what a commit would do.
//! A list sent again is a diff against what the contractor disclosed before: links no longer
//! in it are ended on the import's date (never deleted), changed ones are updated, the rest
//! is left as it is, and the same file twice changes nothing. Routing runs once for the whole
//! import, in the same transaction, as for a single disclosure.

pub mod columns;
pub mod export;
pub mod http;
pub mod matching;
pub mod pages;
pub mod read;
pub mod service;
pub mod template;

use chrono::NaiveDate;
use serde::Serialize;
use utoipa::ToSchema;

use crate::values::{FactoryId, OrganizationId};
pub use matching::{Candidate, MatchedBy};

/// What an import did, or would do (`dry_run`). The five counts the issue names come first;
/// `details` breaks them down.
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct Report {
    pub dry_run: bool,
    /// Whether the changes were written (a commit without errors).
    pub committed: bool,
    pub contractor_id: Option<OrganizationId>,
    /// `csv` or `xlsx`.
    pub format: String,
    /// The import's date: links no longer in the list end on it.
    pub date: Option<NaiveDate>,
    /// Rows read (the header and empty rows not counted).
    pub rows: u64,
    /// Rows that add a sourcing link.
    pub created: u64,
    /// Rows whose factory is one already in the registry (by OS ID or name, address and
    /// country, or a confirmed near match).
    pub matched: u64,
    /// Rows that change nothing.
    pub unchanged: u64,
    /// Rows that change an existing link (its tier or dates).
    pub changed: u64,
    /// Sourcing links of the contractor no longer in the list, ended on `date`.
    pub ended: u64,
    /// Rows with an error. A commit with errors changes nothing.
    pub errors: u64,
    /// Rows whose factory is new but looks like one already registered.
    pub near_matches: u64,
    pub details: Details,
    /// Rows worth a look (all but the unchanged ones), in file order, at most `MAX_LISTED`.
    pub listed: Vec<RowReport>,
    /// Whether `listed` holds every such row.
    pub listed_all: bool,
    /// The links ended, at most `MAX_LISTED`.
    pub ended_links: Vec<EndedLink>,
    /// Problems with the file as a whole (with a row number when they stopped the reading).
    pub file_errors: Vec<String>,
}

/// At most this many rows and ended links are listed in a report; the counts cover all.
pub const MAX_LISTED: usize = 2_000;

#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct Details {
    pub factories_created: u64,
    pub components_created: u64,
    pub contract_items_created: u64,
    /// Cases that the import opens (findings at the factories it newly discloses).
    pub cases_opened: u64,
}

/// One row of the file and what became of it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RowReport {
    /// The row number a spreadsheet shows (the header is row 1).
    pub row: u64,
    /// `created`, `changed`, `unchanged` or `error`.
    pub outcome: RowOutcome,
    pub product_model: String,
    pub component_path: String,
    pub factory_name: String,
    /// The factory the row was tied to (absent for a row with errors, and for a factory that
    /// a dry run or a refused commit would register).
    pub factory_id: Option<FactoryId>,
    /// `new`, or how an existing factory was found.
    pub factory: FactoryOutcome,
    /// Near matches to confirm (`confirm=ROW:FACTORY_ID`) instead of registering a new factory.
    pub candidates: Vec<Candidate>,
    pub new_component: bool,
    /// Contract references this row adds the product model to.
    pub new_contract_items: Vec<String>,
    /// What changed, for a `changed` row (e.g. "tier 2 -> 3").
    pub change: Option<String>,
    pub errors: Vec<CellError>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RowOutcome {
    Created,
    Changed,
    Unchanged,
    Error,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FactoryOutcome {
    New,
    OsId,
    NameAddressCountry,
    Confirmed,
    /// Not looked up: the row has errors.
    None,
}

/// A problem with one cell (or with the row as a whole, `column` absent).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CellError {
    pub column: Option<String>,
    pub message: String,
}

/// A link of the contractor that the list no longer holds.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EndedLink {
    pub product_model: String,
    pub component_path: String,
    pub factory_id: FactoryId,
    pub factory_name: String,
    pub tier: i32,
    pub valid_from: NaiveDate,
    pub valid_to: NaiveDate,
}
