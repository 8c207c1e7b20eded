//! What exposure and ranking share: whose cases count, the highest severity, and the
//! factory's record as both show it.

use std::collections::BTreeMap;

use super::query::CaseScope;
use super::{severity_rank, FactorySummary};
use crate::auth::Caller;
use crate::error::Error;
use crate::schema::factories;
use crate::values::{FactoryId, OrgKind};

pub(super) fn scope_of(caller: &Caller) -> CaseScope {
    let me = caller.organization_id.to_string();
    match caller.kind {
        OrgKind::Admin | OrgKind::Monitor => CaseScope::All,
        OrgKind::Buyer => CaseScope::Buyer(me),
        OrgKind::Contractor => CaseScope::Contractor(me),
    }
}

/// The highest severity among those counted.
pub(super) fn highest(by_severity: &BTreeMap<String, i64>) -> Option<String> {
    by_severity.keys().max_by_key(|s| severity_rank(s)).cloned()
}

pub(super) type FactoryRow = (String, String, String, Option<String>, Option<i32>);

pub(super) fn summary(
    (id, name, country, sector, workers): FactoryRow,
) -> Result<FactorySummary, Error> {
    Ok(FactorySummary {
        id: FactoryId::from_db(&id)?,
        name,
        country,
        sector,
        workers,
    })
}

pub(super) fn factory_columns() -> (
    factories::id,
    factories::name,
    factories::country,
    factories::sector,
    factories::workers,
) {
    (
        factories::id,
        factories::name,
        factories::country,
        factories::sector,
        factories::workers,
    )
}
