//! Import of contracts from Open Contracting Data Standard (OCDS 1.1) packages: `parse` reads
//! a release or record package into typed values at the edge, `service` matches its parties
//! to organizations and turns its awards and contracts into contracts. docs/imports.md
//! ("OCDS contracts") describes the mapping and the report.

pub mod http;
pub mod identifiers;
pub mod parse;
pub mod service;

use serde::Serialize;
use utoipa::ToSchema;

use crate::values::{ComponentId, ContractId, OrganizationId};

/// The body of an import as the OpenAPI document describes it: the parser reads the JSON
/// itself (`parse`), and this states the little JSON Schema can of what it requires. Other
/// members of the package are read as docs/imports.md says, or ignored.
pub struct OcdsPackage;

impl utoipa::PartialSchema for OcdsPackage {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{AnyOfBuilder, ArrayBuilder, ObjectBuilder};
        let ocid = <crate::values::ShortText as utoipa::PartialSchema>::schema;
        let release = || {
            ObjectBuilder::new()
                .description(Some("An OCDS 1.1 release: its parties, tender, awards, contracts and relatedProcesses are read"))
                .property("ocid", ocid())
                .required("ocid")
        };
        let record = ObjectBuilder::new()
            .description(Some("An OCDS 1.1 record; its compiledRelease is read"))
            .property("ocid", ocid())
            .required("ocid")
            .property(
                "compiledRelease",
                ObjectBuilder::new().property("ocid", ocid()),
            )
            .required("compiledRelease");
        AnyOfBuilder::new()
            .description(Some("An OCDS 1.1 release package or record package"))
            .item(
                ObjectBuilder::new()
                    .property("releases", ArrayBuilder::new().items(release()))
                    .required("releases"),
            )
            .item(
                ObjectBuilder::new()
                    .property("records", ArrayBuilder::new().items(record))
                    .required("records"),
            )
            .into()
    }
}

impl ToSchema for OcdsPackage {}

/// What happened to one party or contract of the package.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = ImportOutcome)]
pub enum Outcome {
    /// New: a contract, or an organization an admin's import creates.
    Created,
    /// Found and changed: a contract updated, an identifier recorded on an organization.
    Matched,
    /// Found as the package has it: nothing to do.
    Unchanged,
    /// An unknown organization only an admin may create; nothing is written for it.
    Proposed,
    /// A contract left out because its supplier is only proposed.
    Skipped,
    /// Cannot be imported; `reason` says why. A commit with errors writes nothing.
    Error,
}

/// How an OCDS party was matched.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PartyReport {
    /// `buyer` or `supplier`.
    pub role: &'static str,
    /// The OCDS party id (`parties[].id`) and name.
    pub party_id: String,
    pub name: Option<String>,
    /// `parties[].identifier`: scheme and id, when given.
    pub scheme: Option<String>,
    pub identifier: Option<String>,
    pub outcome: Outcome,
    /// The organization; absent when a dry run would create it (its id is not kept).
    pub organization_id: Option<OrganizationId>,
    pub reason: String,
    /// Where the party is in the package, e.g. `releases[0].parties[1]`.
    pub path: String,
}

/// An item of a contract and the component it names, if any.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ItemReport {
    /// `items[].id` and `items[].description` as the package has them.
    pub item_id: Option<String>,
    pub description: Option<String>,
    /// `added` (a new contract item), `present` (already an item) or `unmapped` (no
    /// component of the contractor matches: for the contractor to map).
    pub outcome: &'static str,
    pub component_id: Option<ComponentId>,
    pub path: String,
}

/// What became of one award or contract (one per supplier when an award has several).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ContractReport {
    pub ocid: String,
    pub reference: String,
    pub title: Option<String>,
    pub outcome: Outcome,
    /// The contract; absent when a dry run would create it (its id is not kept).
    pub contract_id: Option<ContractId>,
    /// The framework agreement this call-off is linked to (absent when a dry run would create
    /// the framework).
    pub framework_id: Option<ContractId>,
    pub reason: String,
    pub items: Vec<ItemReport>,
    pub path: String,
}

/// The answer of an import, the same for a dry run as for the commit it previews.
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct ImportReport {
    /// True when nothing was written (the default, `?dry_run=true`).
    pub dry_run: bool,
    /// Counts over parties and contracts together.
    pub created: usize,
    pub matched: usize,
    pub unchanged: usize,
    pub proposed: usize,
    pub skipped: usize,
    pub errors: usize,
    pub parties: Vec<PartyReport>,
    pub contracts: Vec<ContractReport>,
}

impl ImportReport {
    fn count(&mut self, outcome: Outcome) {
        match outcome {
            Outcome::Created => self.created += 1,
            Outcome::Matched => self.matched += 1,
            Outcome::Unchanged => self.unchanged += 1,
            Outcome::Proposed => self.proposed += 1,
            Outcome::Skipped => self.skipped += 1,
            Outcome::Error => self.errors += 1,
        }
    }

    pub(crate) fn add_party(&mut self, p: PartyReport) {
        self.count(p.outcome);
        self.parties.push(p);
    }

    pub(crate) fn add_contract(&mut self, c: ContractReport) {
        self.count(c.outcome);
        self.contracts.push(c);
    }

    /// After a rollback, the ids of the organizations and contracts the run created name
    /// nothing: a caller must not be handed an id it cannot read.
    pub(crate) fn forget_created(&mut self) {
        for p in &mut self.parties {
            if p.outcome == Outcome::Created {
                p.organization_id = None;
            }
        }
        let created: Vec<ContractId> = self
            .contracts
            .iter()
            .filter(|c| c.outcome == Outcome::Created)
            .filter_map(|c| c.contract_id)
            .collect();
        for c in &mut self.contracts {
            if c.contract_id.is_some_and(|id| created.contains(&id)) {
                c.contract_id = None;
            }
            if c.framework_id.is_some_and(|id| created.contains(&id)) {
                c.framework_id = None;
            }
        }
    }
}
