//! Whose report, and over which contracts: the buyer (checked against the caller), the
//! framework agreement (a contract of that buyer), the contracts running in the period with
//! their spend, and the disclosure coverage on the first and last day.

use std::collections::BTreeMap;

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::{ContractFigures, CoverageOn, ReportBuyer, ReportContract, ReportQuery, Spend};
use crate::auth::Caller;
use crate::db::DbConnection;
use crate::due_diligence::coverage::covered;
use crate::due_diligence::service::end_of;
use crate::error::Error;
use crate::schema::{contract_items, contracts, organizations};
use crate::values::{amount_units, ContractId, OrgKind, OrganizationId, AMOUNT_SCALE};

/// The buyer a report is about, as the caller may ask: a buyer its own, the admin any buyer it
/// names; contractors and monitors none (403). Another organization is out of reach (404).
pub(super) fn buyer(
    conn: &mut DbConnection,
    caller: &Caller,
    asked: Option<OrganizationId>,
) -> Result<ReportBuyer, Error> {
    let id = match caller.kind {
        OrgKind::Contractor | OrgKind::Monitor => {
            return Err(Error::Forbidden(
                "due-diligence reports are for buyers and the operator".into(),
            ))
        }
        OrgKind::Admin => asked.ok_or_else(|| {
            Error::field(
                "buyer",
                "the operator names the buyer organization: ?buyer=ID",
            )
        })?,
        OrgKind::Buyer => match asked {
            Some(b) if b != caller.organization_id => return Err(Error::NotFound("organization")),
            _ => caller.organization_id,
        },
    };
    let (name, language): (String, String) = organizations::table
        .filter(organizations::id.eq(id.to_string()))
        .filter(organizations::kind.eq(OrgKind::Buyer.as_str()))
        .select((organizations::name, organizations::language))
        .first(conn)
        .optional()?
        .ok_or(Error::NotFound("organization"))?;
    Ok(ReportBuyer { id, name, language })
}

type ContractRow = (
    ContractId,
    String,
    String,
    NaiveDate,
    NaiveDate,
    Option<String>,
    Option<String>,
    Option<ContractId>,
);

fn contract_of(r: ContractRow) -> ReportContract {
    ReportContract {
        id: r.0,
        reference: r.1,
        title: r.2,
        starts_on: r.3,
        ends_on: r.4,
        value_amount: r.5,
        value_currency: r.6,
        framework_id: r.7,
    }
}

const COLUMNS: (
    contracts::id,
    contracts::reference,
    contracts::title,
    contracts::starts_on,
    contracts::ends_on,
    contracts::value_amount,
    contracts::value_currency,
    contracts::framework_id,
) = (
    contracts::id,
    contracts::reference,
    contracts::title,
    contracts::starts_on,
    contracts::ends_on,
    contracts::value_amount,
    contracts::value_currency,
    contracts::framework_id,
);

/// The framework agreement: a contract of the buyer, else 404.
pub(super) fn framework(
    conn: &mut DbConnection,
    buyer: OrganizationId,
    id: ContractId,
) -> Result<ReportContract, Error> {
    let row: ContractRow = contracts::table
        .filter(contracts::id.eq(id.to_string()))
        .filter(contracts::buyer_id.eq(buyer.to_string()))
        .select(COLUMNS)
        .first(conn)
        .optional()?
        .ok_or(Error::NotFound("framework agreement"))?;
    Ok(contract_of(row))
}

/// The contracts the report covers: the buyer's (or the framework agreement and its
/// call-offs) running on at least one day of the period and recorded by its end.
pub(super) fn contracts_covered(
    conn: &mut DbConnection,
    q: &ReportQuery,
    buyer: OrganizationId,
) -> Result<Vec<ReportContract>, Error> {
    let mut query = contracts::table
        .filter(contracts::buyer_id.eq(buyer.to_string()))
        .filter(contracts::starts_on.le(q.to))
        .filter(contracts::ends_on.ge(q.from))
        .filter(contracts::created_at.le(end_of(q.to)))
        .select(COLUMNS)
        .order((contracts::reference.asc(), contracts::id.asc()))
        .into_boxed();
    if let Some(f) = q.framework {
        let f = f.to_string();
        query = query.filter(
            contracts::id
                .eq(f.clone())
                .or(contracts::framework_id.eq(Some(f))),
        );
    }
    let rows: Vec<ContractRow> = query.load(conn)?;
    Ok(rows.into_iter().map(contract_of).collect())
}

/// Ten-thousandths (`values::amount_units`) back to a decimal with two to four decimals.
fn decimal(units: i128) -> String {
    let s = format!("{}.{:04}", units / AMOUNT_SCALE, units % AMOUNT_SCALE);
    let keep = s.trim_end_matches('0').len().max(s.len() - 2);
    s[..keep].to_string()
}

/// The count, the spend per currency and the contracts without a value.
pub(super) fn figures(list: Vec<ReportContract>) -> ContractFigures {
    let mut sums: BTreeMap<String, (i128, i64)> = BTreeMap::new();
    let mut without_value = 0;
    for k in &list {
        match (&k.value_amount, &k.value_currency) {
            (Some(a), Some(c)) => match amount_units(a) {
                Some(u) => {
                    let e = sums.entry(c.clone()).or_default();
                    e.0 += u;
                    e.1 += 1;
                }
                None => {
                    tracing::warn!(contract = %k.id, amount = %a, "unreadable contract value");
                    without_value += 1;
                }
            },
            _ => without_value += 1,
        }
    }
    ContractFigures {
        count: list.len() as i64,
        spend: sums
            .into_iter()
            .map(|(currency, (u, n))| Spend {
                currency,
                amount: decimal(u),
                contracts: n,
            })
            .collect(),
        without_value,
        list,
    }
}

/// The coverage on `day` (as of its end): the items of the listed contracts running that day,
/// by the rule of the contract's due-diligence status (`due_diligence::coverage::covered`).
pub(super) fn coverage_on(
    conn: &mut DbConnection,
    list: &[ReportContract],
    day: NaiveDate,
) -> Result<CoverageOn, Error> {
    let t: NaiveDateTime = end_of(day);
    let running: Vec<String> = list
        .iter()
        .filter(|k| k.starts_on <= day && k.ends_on >= day)
        .map(|k| k.id.to_string())
        .collect();
    let items: Vec<String> = contract_items::table
        .filter(contract_items::contract_id.eq_any(&running))
        .filter(contract_items::created_at.le(t))
        .select(contract_items::component_id)
        .load(conn)?;
    let ok = covered(conn, &items, t)?;
    let n = items.len() as i64;
    let c = items.iter().filter(|i| ok.contains(*i)).count() as i64;
    Ok(CoverageOn {
        day,
        contracts: running.len() as i64,
        items: n,
        covered: c,
        share: (n > 0).then(|| c as f64 / n as f64),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_sums() {
        assert_eq!(amount_units("1250000.00"), Some(12_500_000_000));
        assert_eq!(amount_units("0.1"), Some(1000));
        assert_eq!(amount_units("1.23456"), None);
        assert_eq!(amount_units("-1"), None);
        assert_eq!(
            decimal(amount_units("0.1").unwrap() + amount_units("0.2").unwrap()),
            "0.30"
        );
        assert_eq!(decimal(12_345), "1.2345");
        assert_eq!(decimal(10_000_000), "1000.00");
    }
}
