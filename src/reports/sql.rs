//! What the report's statements share: who and when they are about (bound the same way to
//! each) and the SQL the two backends spell differently.

use chrono::NaiveDateTime;

use crate::db::Backend;
use crate::values::{ContractId, OrganizationId};

/// `sql` with the buyer ($1) and the framework ($2) bound; the caller binds the instants. A
/// macro, since the bound statement's type cannot be named.
macro_rules! scoped {
    ($sql:expr, $s:expr) => {
        diesel::sql_query($sql)
            .bind::<diesel::sql_types::Text, _>($s.buyer.to_string())
            .bind::<diesel::sql_types::Text, _>(
                $s.framework.map(|f| f.to_string()).unwrap_or_default(),
            )
    };
}
pub(super) use scoped;

/// Who and when, bound to every statement as $1 (buyer), $2 (framework id, '' for none), then
/// the period's first instant and/or its last. SQLite numbers `$n` parameters in order of first
/// appearance, so each statement names them in that order.
pub(super) struct Scope {
    pub buyer: OrganizationId,
    pub framework: Option<ContractId>,
    pub start: NaiveDateTime,
    pub end: NaiveDateTime,
}

/// The backend's spelling of what plain SQL does not share.
pub(super) struct Dialect(pub Backend);

impl Dialect {
    /// A text field of a JSON payload (`path` as dotted names).
    pub(super) fn text(&self, col: &str, path: &str) -> String {
        match self.0 {
            Backend::Sqlite => format!("json_extract({col}, '$.{path}')"),
            Backend::Postgres => format!(
                "(CAST({col} AS jsonb) #>> '{{{}}}')",
                path.replace('.', ",")
            ),
        }
    }

    pub(super) fn int(&self, col: &str, path: &str) -> String {
        format!("CAST({} AS INTEGER)", self.text(col, path))
    }
}

pub(super) fn quoted(kinds: impl Iterator<Item = &'static str>) -> String {
    kinds
        .map(|k| format!("'{k}'"))
        .collect::<Vec<_>>()
        .join(", ")
}
