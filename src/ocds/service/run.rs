//! What the parts of an import share: the import under way (`Run`, whose methods are spread
//! over `service.rs`, `parties.rs` and `upsert.rs`), what a party resolved to, and small helpers.

use std::collections::HashMap;

use chrono::NaiveDateTime;

use crate::auth::Caller;
use crate::ocds::parse::{Award, Contract};
use crate::ocds::ImportReport;
use crate::values::{ComponentId, Name, OrganizationId};

diesel::define_sql_function!(
    /// SQL `lower()`, as the unique index on contract references folds them.
    fn lower(x: diesel::sql_types::Text) -> diesel::sql_types::Text
);

/// A party's organization, once resolved in this import.
#[derive(Debug, Clone)]
pub(super) enum Resolved {
    Org(OrganizationId),
    /// Unknown, proposed for an admin to create.
    Pending(String),
    Failed(String),
}

/// One import under way: who imports, what it found so far, and the report it builds.
pub(super) struct Run<'a> {
    pub(super) caller: &'a Caller,
    pub(super) now: NaiveDateTime,
    pub(super) report: ImportReport,
    /// Parties resolved so far, by role and identifier (or, without one, by process and id):
    /// a supplier of many contracts is matched, and reported, once.
    pub(super) parties: HashMap<(&'static str, String, String), Resolved>,
    pub(super) components: HashMap<OrganizationId, Vec<(ComponentId, String)>>,
    pub(super) new_items: Vec<ComponentId>,
}

/// One award, or one contract with its award, as the package has it.
pub(super) struct Unit<'p> {
    pub(super) id: &'p str,
    pub(super) award: Option<&'p Award>,
    pub(super) contract: Option<&'p Contract>,
    pub(super) path: &'p str,
}

/// OCDS titles and names may span lines and be longer than a name here: one line, the start
/// kept.
pub(super) fn one_line(text: String) -> String {
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let max = Name::MAX_CHARS;
    if text.chars().count() <= max {
        text
    } else {
        let mut t: String = text.chars().take(max - 1).collect();
        t.push('…');
        t
    }
}
