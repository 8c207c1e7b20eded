//! The aggregate reads behind exposure and ranking, in SQL both backends run alike: which
//! contracts depend on which factories on a day (the bill of materials walked by a recursive
//! CTE), and open cases counted per factory and severity by the database.

use chrono::NaiveDate;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Date, Nullable, Text};

use crate::db::DbConnection;
use crate::due_diligence::DONE;
use crate::error::Error;

/// Open: neither verified nor closed (the rule of the due-diligence figures).
fn open() -> String {
    format!("c.state NOT IN ('{}', '{}')", DONE[0], DONE[1])
}

/// Whose cases are counted.
#[derive(Debug, Clone)]
pub enum CaseScope {
    All,
    /// Cases listing a contract of this buyer.
    Buyer(String),
    /// Cases routed to this contractor.
    Contractor(String),
}

#[derive(QueryableByName)]
struct Pair {
    #[diesel(sql_type = Text)]
    a: String,
    #[diesel(sql_type = Text)]
    b: String,
}

/// (factory, contract) for every running contract on `at` whose items, or a part of them at any
/// depth, have a sourcing link valid on `at`, to a factory of `country` and `sector` if given.
/// A link is valid from `valid_from` to `valid_to`, both included (as `coverage::link_valid_on`).
pub fn dependencies(
    conn: &mut DbConnection,
    at: NaiveDate,
    country: Option<&str>,
    sector: Option<&str>,
) -> Result<Vec<(String, String)>, Error> {
    // UNION (not UNION ALL) stops on a repeated (contract, component), so even a cycle in the
    // parent links would end.
    let sql = "WITH RECURSIVE tree(contract_id, component_id) AS ( \
          SELECT ci.contract_id, ci.component_id FROM contract_items ci \
            JOIN contracts k ON k.id = ci.contract_id \
           WHERE k.starts_on <= $1 AND k.ends_on >= $1 \
          UNION \
          SELECT t.contract_id, p.id FROM components p JOIN tree t ON p.parent_id = t.component_id) \
        SELECT DISTINCT l.factory_id AS a, t.contract_id AS b \
          FROM tree t JOIN sourcing_links l ON l.component_id = t.component_id \
          JOIN factories f ON f.id = l.factory_id \
         WHERE l.valid_from <= $1 AND (l.valid_to IS NULL OR l.valid_to >= $1) \
           AND ($2 IS NULL OR f.country = $2) AND ($3 IS NULL OR f.sector = $3)";
    let rows: Vec<Pair> = diesel::sql_query(sql)
        .bind::<Date, _>(at)
        .bind::<Nullable<Text>, _>(country)
        .bind::<Nullable<Text>, _>(sector)
        .load(conn)?;
    Ok(rows.into_iter().map(|p| (p.a, p.b)).collect())
}

/// (contract, linked component) for every running contract on `at` that depends on `factory`:
/// walked up from the factory's valid links to the items, so only its own part of the bill of
/// materials is read.
pub fn dependents_of(
    conn: &mut DbConnection,
    at: NaiveDate,
    factory: &str,
) -> Result<Vec<(String, String)>, Error> {
    // SQLite numbers `$n` parameters in order of first appearance, so `$1` comes first.
    let sql = "WITH RECURSIVE up(linked, component_id) AS ( \
          SELECT l.component_id, l.component_id FROM sourcing_links l \
           WHERE l.factory_id = $1 AND l.valid_from <= $2 \
             AND (l.valid_to IS NULL OR l.valid_to >= $2) \
          UNION \
          SELECT u.linked, p.parent_id FROM components p JOIN up u ON p.id = u.component_id \
           WHERE p.parent_id IS NOT NULL) \
        SELECT DISTINCT ci.contract_id AS a, u.linked AS b \
          FROM up u JOIN contract_items ci ON ci.component_id = u.component_id \
          JOIN contracts k ON k.id = ci.contract_id \
         WHERE k.starts_on <= $2 AND k.ends_on >= $2";
    let rows: Vec<Pair> = diesel::sql_query(sql)
        .bind::<Text, _>(factory)
        .bind::<Date, _>(at)
        .load(conn)?;
    Ok(rows.into_iter().map(|p| (p.a, p.b)).collect())
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = Text)]
    factory_id: String,
    #[diesel(sql_type = Text)]
    severity: String,
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// Open cases per (factory, severity) in `scope`, of one factory or of all. Read from the
/// index `cases_factory_open` (factory, state, severity) when the scope is all.
pub fn open_cases(
    conn: &mut DbConnection,
    scope: &CaseScope,
    factory: Option<&str>,
) -> Result<Vec<(String, String, i64)>, Error> {
    let open = open();
    let head = format!(
        "SELECT c.factory_id AS factory_id, c.severity AS severity, COUNT(*) AS n FROM cases c \
         WHERE {open} AND ($1 IS NULL OR c.factory_id = $1)"
    );
    let tail = " GROUP BY c.factory_id, c.severity";
    let rows: Vec<Count> = match scope {
        CaseScope::All => diesel::sql_query(format!("{head}{tail}"))
            .bind::<Nullable<Text>, _>(factory)
            .load(conn)?,
        CaseScope::Buyer(me) => diesel::sql_query(format!(
            "{head} AND c.id IN (SELECT cc.case_id FROM case_contracts cc \
             JOIN contracts k ON k.id = cc.contract_id WHERE k.buyer_id = $2){tail}"
        ))
        .bind::<Nullable<Text>, _>(factory)
        .bind::<Text, _>(me)
        .load(conn)?,
        CaseScope::Contractor(me) => {
            diesel::sql_query(format!("{head} AND c.contractor_id = $2{tail}"))
                .bind::<Nullable<Text>, _>(factory)
                .bind::<Text, _>(me)
                .load(conn)?
        }
    };
    Ok(rows
        .into_iter()
        .map(|c| (c.factory_id, c.severity, c.n))
        .collect())
}
