//! A contractor's disclosure list in the import's own format, so that exporting and importing
//! the result changes nothing: every sourcing link still open after the date (no end, or an
//! end after it; a link ending on the date is what an import ends), one row each, with the references of the contracts that deliver its
//! product model.

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;
use diesel::prelude::*;

use super::columns::{Col, ALL};
use crate::components::{ComponentRow, SourcingLinkRow};
use crate::db::DbConnection;
use crate::error::Error;
use crate::factories::FactoryRow;
use crate::schema::{components, contract_items, contracts, factories, sourcing_links};
use crate::values::{ComponentId, FactoryId, Language, OrganizationId};

/// The rows of the list (without the header), sorted by product model, path and factory.
pub fn rows(
    conn: &mut DbConnection,
    contractor: OrganizationId,
    date: NaiveDate,
) -> Result<Vec<Vec<String>>, Error> {
    let comps: HashMap<ComponentId, ComponentRow> = components::table
        .filter(components::owner_id.eq(contractor))
        .select(ComponentRow::as_select())
        .load::<ComponentRow>(conn)?
        .into_iter()
        .map(|c| (c.id, c))
        .collect();
    let links: Vec<SourcingLinkRow> = sourcing_links::table
        .inner_join(components::table)
        .filter(components::owner_id.eq(contractor))
        .filter(
            sourcing_links::valid_to
                .is_null()
                .or(sourcing_links::valid_to.gt(date)),
        )
        .select(SourcingLinkRow::as_select())
        .load(conn)?;
    let mut references: HashMap<ComponentId, Vec<String>> = HashMap::new();
    for (component, reference) in contract_items::table
        .inner_join(contracts::table)
        .filter(contracts::contractor_id.eq(contractor))
        .select((contract_items::component_id, contracts::reference))
        .load::<(ComponentId, String)>(conn)?
    {
        references.entry(component).or_default().push(reference);
    }
    let ids: Vec<FactoryId> = links
        .iter()
        .map(|l| l.factory_id)
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    let mut facts: HashMap<FactoryId, FactoryRow> = HashMap::new();
    for chunk in ids.chunks(500) {
        for f in factories::table
            .filter(factories::id.eq_any(chunk))
            .select(FactoryRow::as_select())
            .load::<FactoryRow>(conn)?
        {
            facts.insert(f.id, f);
        }
    }
    let mut out = BTreeMap::new();
    for l in links {
        let Some(f) = facts.get(&l.factory_id) else {
            continue;
        };
        let mut names = Vec::new();
        let mut current = Some(l.component_id);
        let mut root = l.component_id;
        while let Some(id) = current {
            let Some(c) = comps.get(&id) else { break };
            if names.len() >= 64 {
                break;
            }
            names.push(c.name.clone());
            root = id;
            current = c.parent_id;
        }
        names.reverse();
        let model = if names.is_empty() {
            String::new()
        } else {
            names.remove(0)
        };
        let path = names.join(" > ");
        let mut refs = references.get(&root).cloned().unwrap_or_default();
        refs.sort();
        refs.dedup();
        let row: Vec<String> = ALL
            .iter()
            .map(|c| match c {
                Col::ContractReferences => refs.join("; "),
                Col::ProductModel => model.clone(),
                Col::ComponentPath => path.clone(),
                Col::FactoryName => f.name.clone(),
                Col::Address => f.address.clone(),
                Col::Country => f.country.clone(),
                Col::OsId => f.os_id.clone().unwrap_or_default(),
                Col::Tier => l.tier.to_string(),
                Col::ValidFrom => l.valid_from.to_string(),
                Col::ValidTo => l.valid_to.map(|d| d.to_string()).unwrap_or_default(),
                Col::Sector => f.sector.clone().unwrap_or_default(),
                Col::Workers => f.workers.map(|w| w.to_string()).unwrap_or_default(),
                Col::ParentCompany => f.parent_company.clone().unwrap_or_default(),
                Col::Latitude => f.latitude.map(|v| v.to_string()).unwrap_or_default(),
                Col::Longitude => f.longitude.map(|v| v.to_string()).unwrap_or_default(),
            })
            .collect();
        let sort_key = (
            model.to_lowercase(),
            path.to_lowercase(),
            f.name.to_lowercase(),
            l.id,
        );
        out.insert(sort_key, row);
    }
    Ok(out.into_values().collect())
}

/// The header row in `lang`.
pub fn header(lang: Language) -> Vec<String> {
    ALL.iter().map(|c| c.header(lang).to_string()).collect()
}

/// The list as CSV, every cell neutralised against formulas.
pub fn csv(lang: Language, rows: &[Vec<String>]) -> Result<String, Error> {
    let mut sheet = crate::export::Sheet::new();
    sheet.row(header(lang))?;
    for r in rows {
        sheet.row(r)?;
    }
    sheet.finish()
}

/// The list as an XLSX workbook. Cells are written as strings (numbers as numbers), never as
/// formulas, so nothing in them is evaluated.
pub fn xlsx(lang: Language, rows: &[Vec<String>]) -> Result<Vec<u8>, Error> {
    super::template::workbook(lang, rows, false)
}
