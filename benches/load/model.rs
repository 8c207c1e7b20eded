//! The seed's in-memory picture of the registry, and its fixed sizes and vocabularies.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::NaiveDate;
use diesel::prelude::*;
use ketenzorg::auth::Caller;
use ketenzorg::components::{ComponentRow, SourcingLinkRow};
use ketenzorg::contracts::ContractItemRow;
use ketenzorg::factories::FactoryRow;
use ketenzorg::findings::FindingRow;
use ketenzorg::schema::case_contracts;
use ketenzorg::values::{ComponentId, FactoryId};

pub const BUYERS: usize = 10;
pub const CONTRACTORS: usize = 50;
pub const MONITORS: usize = 5;
/// Per contractor: products (contract items), each with sub-assemblies, each with parts: a
/// bill of materials three levels deep.
pub const PRODUCTS: usize = 10;
pub const SUBS: usize = 3;
pub const PARTS: usize = 3;
/// Rows per multi-row INSERT (cases have ~42 columns: 16,800 parameters, under both limits).
pub const CHUNK: usize = 400;

pub const CATEGORIES: &[&str] = &[
    "freedom_of_association",
    "forced_labour",
    "child_labour",
    "discrimination",
    "health_and_safety",
    "fair_recruitment",
    "violence_and_harassment",
    "wages",
    "working_hours",
    "environment_and_chemicals",
    "grievance_mechanism",
    "retaliation",
    "other",
];
pub const COUNTRIES: &[&str] = &[
    "CN", "CN", "CN", "VN", "MY", "TH", "PH", "MX", "CZ", "HU", "IN", "TW", "KR", "ID",
];

#[derive(Insertable, Clone)]
#[diesel(table_name = case_contracts)]
pub struct CaseContract {
    pub case_id: String,
    pub contract_id: String,
}

#[derive(Clone)]
pub struct Org {
    pub id: String,
    pub caller: Caller,
    pub token: String,
}

pub struct ContractM {
    pub id: String,
    pub buyer: usize,
    pub contractor: usize,
}

/// Everything the bulk fill needs to know about the registry, in memory.
pub struct Model {
    pub buyers: Vec<Org>,
    pub contractors: Vec<Org>,
    pub monitors: Vec<Org>,
    pub contracts: Vec<ContractM>,
    /// (component id, root product index into `comps`, owner contractor)
    pub comps: Vec<(ComponentId, usize, usize)>,
    /// product component index -> contracts that have it as an item
    pub product_contracts: HashMap<usize, Vec<usize>>,
    pub factories: Vec<FactoryId>,
    /// factory index -> (component index, valid_to)
    pub links: Vec<Vec<(usize, Option<NaiveDate>)>>,
}

impl Model {
    /// contractor index -> its affected contract ids (the routing rule of findings::routing,
    /// on the in-memory registry: every component's root is a contract item).
    pub fn responsible(&self, factory: usize, on: NaiveDate) -> BTreeMap<usize, BTreeSet<String>> {
        let mut out: BTreeMap<usize, BTreeSet<String>> = BTreeMap::new();
        for &(comp, valid_to) in &self.links[factory] {
            if valid_to.is_some_and(|t| t < on) {
                continue;
            }
            let root = self.comps[comp].1;
            for &k in self.product_contracts.get(&root).into_iter().flatten() {
                let c = &self.contracts[k];
                out.entry(c.contractor).or_default().insert(c.id.clone());
            }
        }
        out
    }
}

/// Rows made by the services, cloned for the bulk rows.
pub struct Templates {
    pub finding: FindingRow,
    pub factory: FactoryRow,
    pub component: ComponentRow,
    pub link: SourcingLinkRow,
    pub item: ContractItemRow,
}
