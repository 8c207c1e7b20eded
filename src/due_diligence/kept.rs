//! The check of the kept portfolio figures (`contract_open_figures`, `contract_max_levels`,
//! kept by triggers on `case_contracts`) against a fresh count of the contract links: what
//! `ketenzorg verify-audit` reports, so a drift (a trigger dropped by hand, a restore of part
//! of the database) is found rather than shown to buyers.

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer, Text};

use crate::db::DbConnection;
use crate::error::Error;

#[derive(QueryableByName)]
struct Drift {
    #[diesel(sql_type = Text)]
    contract_id: String,
    #[diesel(sql_type = Text)]
    key: String,
    #[diesel(sql_type = Integer)]
    kept: i32,
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// Each kept figure that differs from a fresh count (a row missing, extra, or with another
/// count), described; and the number of contracts with kept figures.
pub fn drift(conn: &mut DbConnection) -> Result<(Vec<String>, i64), Error> {
    let checks = [
        (
            "open cases",
            "SELECT contract_id, case_severity || '/' || CAST(case_level AS TEXT) AS key, \
             CAST(COUNT(*) AS BIGINT) AS n FROM case_contracts \
             WHERE case_state NOT IN ('verified', 'closed') \
             GROUP BY contract_id, case_severity, case_level",
            "SELECT contract_id, case_severity || '/' || CAST(case_level AS TEXT) AS key, \
             CAST(open_cases AS BIGINT) AS n FROM contract_open_figures",
        ),
        (
            "cases at highest level",
            "SELECT contract_id, CAST(case_max_level AS TEXT) AS key, \
             CAST(COUNT(*) AS BIGINT) AS n FROM case_contracts WHERE case_max_level > 0 \
             GROUP BY contract_id, case_max_level",
            "SELECT contract_id, CAST(case_max_level AS TEXT) AS key, \
             CAST(cases AS BIGINT) AS n FROM contract_max_levels",
        ),
    ];
    let mut out = Vec::new();
    for (what, fresh, kept) in checks {
        // `kept` 1: a kept row no fresh count has; 0: a fresh count the kept rows lack.
        let rows: Vec<Drift> = diesel::sql_query(format!(
            "SELECT contract_id, key, 1 AS kept FROM ({kept} EXCEPT {fresh}) a \
             UNION ALL SELECT contract_id, key, 0 AS kept FROM ({fresh} EXCEPT {kept}) b \
             ORDER BY 1, 2, 3"
        ))
        .load(conn)?;
        for r in rows {
            let side = if r.kept == 1 {
                "kept, not counted"
            } else {
                "counted, not kept"
            };
            out.push(format!(
                "contract {}: {what} {} ({side})",
                r.contract_id, r.key
            ));
        }
    }
    let contracts = diesel::sql_query(
        "SELECT CAST(COUNT(DISTINCT contract_id) AS BIGINT) AS n FROM contract_open_figures",
    )
    .get_result::<Count>(conn)?
    .n;
    Ok((out, contracts))
}
