//! Turning an award or contract of a package into a contract of the buyer: its period,
//! value and framework, found again on a re-import, and its items.

use std::collections::HashSet;

use chrono::{Duration, NaiveDate};
use diesel::prelude::*;

use super::run::{lower, one_line, Run, Unit};
use crate::contracts::{ContractItemRow, ContractRow};
use crate::db::DbConnection;
use crate::error::Error;
use crate::ocds::parse::{Item, Period, Process};
use crate::ocds::{ContractReport, ItemReport, Outcome};
use crate::schema::{components, contract_items, contracts};
use crate::values::{
    ComponentId, ContractId, ContractItemId, Money, Name, OrganizationId, ShortText,
};

impl Run<'_> {
    /// The framework agreement a call-off belongs to: the buyer's contract of the framework's
    /// process with the same contractor, or its only contract.
    pub(super) fn framework(
        &mut self,
        conn: &mut DbConnection,
        process: &Process,
        buyer: OrganizationId,
        contractor: OrganizationId,
    ) -> Result<Option<ContractId>, Error> {
        for ocid in &process.frameworks {
            let found: Vec<(ContractId, OrganizationId)> = contracts::table
                .filter(contracts::buyer_id.eq(buyer))
                .filter(contracts::ocds_id.eq(ocid))
                .select((contracts::id, contracts::contractor_id))
                .load(conn)?;
            if let Some((id, _)) = found.iter().find(|(_, c)| *c == contractor) {
                return Ok(Some(*id));
            }
            if let [(id, _)] = found.as_slice() {
                return Ok(Some(*id));
            }
        }
        Ok(None)
    }

    pub(super) fn upsert(
        &mut self,
        conn: &mut DbConnection,
        entry: &mut ContractReport,
        wanted: Wanted,
        process: &Process,
        unit: &Unit,
    ) -> Result<(), Error> {
        let long = format!("{}/{}", process.ocid, entry.reference);
        let existing = find_existing(conn, &wanted, &entry.reference, &long)?;
        let mut changed = Vec::new();
        let contract_id = match existing {
            Some(row) => {
                if row.contractor_id != wanted.contractor {
                    entry.reference = row.reference;
                    entry.contract_id = Some(row.id);
                    entry.reason =
                        "this contract exists with another contractor; it is not moved".into();
                    return Ok(());
                }
                entry.reference = row.reference.clone();
                let (amount, currency) = money_columns(&wanted.value);
                // A framework that is not (yet) in ketenzorg leaves an existing link alone.
                let framework = wanted.framework.or(row.framework_id);
                for (differs, what) in [
                    (row.title != wanted.title, "title"),
                    (
                        row.starts_on != wanted.start || row.ends_on != wanted.end,
                        "period",
                    ),
                    (
                        row.value_amount != amount || row.value_currency != currency,
                        "value",
                    ),
                    (row.ocds_id.as_deref() != Some(&wanted.ocid), "ocds_id"),
                    (row.framework_id != framework, "framework"),
                ] {
                    if differs {
                        changed.push(what);
                    }
                }
                if !changed.is_empty() {
                    diesel::update(contracts::table.filter(contracts::id.eq(row.id)))
                        .set((
                            contracts::title.eq(&wanted.title),
                            contracts::starts_on.eq(wanted.start),
                            contracts::ends_on.eq(wanted.end),
                            contracts::value_amount.eq(amount),
                            contracts::value_currency.eq(currency),
                            contracts::ocds_id.eq(&wanted.ocid),
                            contracts::framework_id.eq(framework),
                            contracts::updated_at.eq(self.now),
                        ))
                        .execute(conn)?;
                }
                entry.framework_id = framework;
                entry.outcome = if changed.is_empty() {
                    Outcome::Unchanged
                } else {
                    Outcome::Matched
                };
                row.id
            }
            None => {
                let reference = if reference_taken(conn, wanted.buyer, &entry.reference)? {
                    long
                } else {
                    entry.reference.clone()
                };
                let Ok(reference) = ShortText::try_from(reference.clone()) else {
                    entry.reason = format!(
                        "the reference {reference:?} is longer than {} characters",
                        ShortText::MAX_CHARS
                    );
                    return Ok(());
                };
                if reference_taken(conn, wanted.buyer, reference.as_str())? {
                    entry.reason = format!(
                        "you have another contract with reference {:?}",
                        reference.as_str()
                    );
                    return Ok(());
                }
                let (amount, currency) = money_columns(&wanted.value);
                let row = ContractRow {
                    id: ContractId::new(),
                    buyer_id: wanted.buyer,
                    contractor_id: wanted.contractor,
                    reference: reference.into_inner(),
                    title: wanted.title.clone(),
                    starts_on: wanted.start,
                    ends_on: wanted.end,
                    value_amount: amount,
                    value_currency: currency,
                    ocds_id: Some(wanted.ocid.clone()),
                    created_at: self.now,
                    updated_at: self.now,
                    framework_id: wanted.framework,
                };
                diesel::insert_into(contracts::table)
                    .values(&row)
                    .execute(conn)?;
                entry.reference = row.reference.clone();
                entry.framework_id = row.framework_id;
                entry.outcome = Outcome::Created;
                row.id
            }
        };
        entry.contract_id = Some(contract_id);
        let added = self.items(conn, entry, contract_id, wanted.contractor, unit)?;
        if added > 0 && entry.outcome == Outcome::Unchanged {
            entry.outcome = Outcome::Matched;
        }
        if added > 0 {
            changed.push("items");
        }
        entry.reason = match entry.outcome {
            Outcome::Created => "a new contract".into(),
            Outcome::Unchanged => "as the package has it".into(),
            _ => format!("changed: {}", changed.join(", ")),
        };
        if !process.frameworks.is_empty() && entry.framework_id.is_none() {
            entry.reason.push_str(&format!(
                "; its framework agreement ({}) is not among your contracts: import it, then this package again",
                process.frameworks.join(", ")
            ));
        }
        Ok(())
    }

    /// Maps the items to the contractor's components and adds the new ones; the number added.
    fn items(
        &mut self,
        conn: &mut DbConnection,
        entry: &mut ContractReport,
        contract: ContractId,
        contractor: OrganizationId,
        unit: &Unit,
    ) -> Result<usize, Error> {
        let items: &[Item] = match unit.contract {
            Some(c) if !c.items.is_empty() => &c.items,
            _ => unit.award.map_or(&[], |a| &a.items),
        };
        if items.is_empty() {
            return Ok(0);
        }
        let own = match self.components.entry(contractor) {
            std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::hash_map::Entry::Vacant(e) => e.insert(
                components::table
                    .filter(components::owner_id.eq(contractor))
                    .select((components::id, components::name))
                    .load(conn)?,
            ),
        };
        let present: HashSet<ComponentId> = contract_items::table
            .filter(contract_items::contract_id.eq(contract))
            .select(contract_items::component_id)
            .load::<ComponentId>(conn)?
            .into_iter()
            .collect();
        let mut added = 0;
        let mut seen = HashSet::new();
        for item in items {
            let component = component_of(own, item);
            let outcome = match component {
                None => "unmapped",
                Some(c) if present.contains(&c) || !seen.insert(c) => "present",
                Some(c) => {
                    diesel::insert_into(contract_items::table)
                        .values(&ContractItemRow {
                            id: ContractItemId::new(),
                            contract_id: contract,
                            component_id: c,
                            created_at: self.now,
                        })
                        .execute(conn)?;
                    self.new_items.push(c);
                    added += 1;
                    "added"
                }
            };
            entry.items.push(ItemReport {
                item_id: item.id.clone(),
                description: item.description.clone(),
                outcome,
                component_id: component,
                path: item.path.clone(),
            });
        }
        Ok(added)
    }
}

/// The contract as the package wants it, or why it cannot be one.
pub(super) fn wanted(
    process: &Process,
    unit: &Unit,
    buyer: OrganizationId,
    contractor: OrganizationId,
    title: Option<String>,
    framework: Option<ContractId>,
) -> Result<Wanted, String> {
    let periods: Vec<Period> = [
        unit.contract.and_then(|c| c.period),
        unit.award.and_then(|a| a.period),
        process.tender_period,
    ]
    .into_iter()
    .flatten()
    .collect();
    let start = periods
            .iter()
            .find_map(|p| p.start)
            .or_else(|| unit.contract.and_then(|c| c.date_signed))
            .or_else(|| unit.award.and_then(|a| a.date))
            .ok_or("no start date: none of period.startDate, awards[].contractPeriod.startDate, tender.contractPeriod.startDate, dateSigned or awards[].date is given")?;
    let end = periods
            .iter()
            .find_map(|p| p.end)
            .or_else(|| {
                periods
                    .iter()
                    .find_map(|p| p.duration_days)
                    .and_then(|d| start.checked_add_signed(Duration::days(d)))
            })
            .ok_or("no end date: none of period.endDate, awards[].contractPeriod.endDate, tender.contractPeriod.endDate or a durationInDays is given")?;
    if end < start {
        return Err(format!(
            "the period ends ({end}) before it starts ({start})"
        ));
    }
    let title = Name::try_from(one_line(title.unwrap_or_else(|| process.ocid.clone())))
        .map_err(|e| format!("title: {e}"))?;
    let ocid = ShortText::try_from(process.ocid.clone()).map_err(|e| format!("ocid: {e}"))?;
    Ok(Wanted {
        buyer,
        contractor,
        title: title.into_inner(),
        start,
        end,
        value: unit
            .contract
            .and_then(|c| c.value.clone())
            .or_else(|| unit.award.and_then(|a| a.value.clone())),
        ocid: ocid.into_inner(),
        framework,
    })
}

pub(super) struct Wanted {
    buyer: OrganizationId,
    contractor: OrganizationId,
    title: String,
    start: NaiveDate,
    end: NaiveDate,
    value: Option<Money>,
    ocid: String,
    framework: Option<ContractId>,
}

/// The item's component: `items[].id` is the id of one of the contractor's components, or
/// its description (else its classification's) is the name of exactly one, ignoring case.
fn component_of(own: &[(ComponentId, String)], item: &Item) -> Option<ComponentId> {
    if let Some(id) = item
        .id
        .as_deref()
        .and_then(|i| i.parse::<ComponentId>().ok())
    {
        if own.iter().any(|(c, _)| *c == id) {
            return Some(id);
        }
    }
    [&item.description, &item.classification]
        .into_iter()
        .flatten()
        .find_map(|text| {
            let text = text.trim().to_lowercase();
            let mut hits = own.iter().filter(|(_, n)| n.trim().to_lowercase() == text);
            match (hits.next(), hits.next()) {
                (Some((id, _)), None) => Some(*id),
                _ => None,
            }
        })
}

/// The buyer's contract for this award or contract of this process: by ocid and reference
/// (as imported: the OCDS id, or the ocid and the id when the id alone was taken), else a
/// contract entered by hand under the OCDS id and no ocid yet.
fn find_existing(
    conn: &mut DbConnection,
    wanted: &Wanted,
    reference: &str,
    long: &str,
) -> Result<Option<ContractRow>, Error> {
    let by_process = contracts::table
        .filter(contracts::buyer_id.eq(wanted.buyer))
        .filter(contracts::ocds_id.eq(&wanted.ocid))
        .filter(
            lower(contracts::reference).eq_any(vec![reference.to_lowercase(), long.to_lowercase()]),
        )
        .select(ContractRow::as_select())
        .first(conn)
        .optional()?;
    if by_process.is_some() {
        return Ok(by_process);
    }
    Ok(contracts::table
        .filter(contracts::buyer_id.eq(wanted.buyer))
        .filter(contracts::ocds_id.is_null())
        .filter(lower(contracts::reference).eq(reference.to_lowercase()))
        .select(ContractRow::as_select())
        .first(conn)
        .optional()?)
}

fn reference_taken(
    conn: &mut DbConnection,
    buyer: OrganizationId,
    reference: &str,
) -> Result<bool, Error> {
    // Folded as the unique index folds it (migration `contract_reference_nocase`).
    let n: i64 = contracts::table
        .filter(contracts::buyer_id.eq(buyer))
        .filter(lower(contracts::reference).eq(lower(reference)))
        .count()
        .get_result(conn)?;
    Ok(n > 0)
}

fn money_columns(value: &Option<Money>) -> (Option<String>, Option<String>) {
    match value {
        Some(m) => (
            Some(String::from(m.amount.clone())),
            Some(m.currency.as_str().to_string()),
        ),
        None => (None, None),
    }
}
