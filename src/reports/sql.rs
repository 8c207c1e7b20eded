//! What the report's statements share: who and when they are about (bound the same way to
//! each), the report's cases, and the SQL the two backends spell differently.

use chrono::NaiveDateTime;

use diesel::RunQueryDsl;

use crate::db::{Backend, DbConnection};
use crate::error::Error;
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

/// The report's cases: every case concerning one of the buyer's contracts (or the
/// framework's), whatever the contract's dates, since a case outlives its contract; with the
/// copies of its state and level on its contract links and when they last changed (`upd`).
/// Found once per report (`materialize`): each statement reading them again cost a pass over
/// all of the buyer's contract links. The condition on $1 and $2 is always true: it keeps both
/// parameters in every statement, which binds them first.
pub(super) const SCOPE: &str = "WITH sc AS (SELECT case_id, upd, state, level FROM report_scope \
     WHERE $1 <> '' OR $2 <> '')";

/// Fills the connection's temporary table `report_scope` with the report's cases (see
/// `SCOPE`). Temporary tables belong to one connection, which serves one request at a time.
pub(super) fn materialize(conn: &mut DbConnection, s: &Scope) -> Result<(), Error> {
    diesel::sql_query(
        "CREATE TEMP TABLE IF NOT EXISTS report_scope (case_id TEXT PRIMARY KEY, \
         upd TIMESTAMP, state TEXT NOT NULL, level INTEGER NOT NULL)",
    )
    .execute(conn)?;
    release(conn)?;
    scoped!(
        "INSERT INTO report_scope (case_id, upd, state, level) \
         SELECT cc.case_id, MAX(cc.case_updated_at), MAX(cc.case_state), MAX(cc.case_level) \
         FROM case_contracts cc JOIN contracts k ON k.id = cc.contract_id WHERE k.buyer_id = $1 \
         AND ($2 = '' OR k.id = $2 OR k.framework_id = $2) GROUP BY cc.case_id",
        s
    )
    .execute(conn)?;
    Ok(())
}

/// Empties `report_scope` (the connection goes back to the pool).
pub(super) fn release(conn: &mut DbConnection) -> Result<(), Error> {
    diesel::sql_query("DELETE FROM report_scope").execute(conn)?;
    Ok(())
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

    pub(super) fn month(&self, col: &str) -> String {
        match self.0 {
            Backend::Sqlite => format!("strftime('%Y-%m', {col})"),
            Backend::Postgres => format!("to_char({col}, 'YYYY-MM')"),
        }
    }

    pub(super) fn hours(&self, from: &str, to: &str) -> String {
        match self.0 {
            Backend::Sqlite => {
                format!("ROUND((julianday({to}) - julianday({from})) * 86400.0) / 3600.0")
            }
            Backend::Postgres => format!(
                "CAST(ROUND(EXTRACT(EPOCH FROM ({to} - {from}))) / 3600.0 AS DOUBLE PRECISION)"
            ),
        }
    }
}

pub(super) fn quoted(kinds: impl Iterator<Item = &'static str>) -> String {
    kinds
        .map(|k| format!("'{k}'"))
        .collect::<Vec<_>>()
        .join(", ")
}

pub(super) const DONE: &str = "'verified', 'closed'";
