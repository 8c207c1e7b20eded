//! The rules of the OCDS import. The admin imports for any buyer; a buyer imports its own
//! contracts (it is the buyer of every contract of its package); nobody else imports. A dry
//! run and a commit run the same code in a transaction; the dry run's is rolled back, so its
//! report is the commit's. A commit with any error writes nothing.
//!
//! A buyer learns nothing of other buyers from the report: contracts are looked up among the
//! buyer's own only, and an organization that is not a contractor is reported to a buyer as
//! an unknown supplier.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::parse::{Package, Process};
use super::{ContractReport, ImportReport, Outcome};
use crate::auth::Caller;
use crate::components::service as components_service;
use crate::db::DbConnection;
use crate::error::{Error, FieldError};
use crate::escalation::Policy;
use crate::findings::routing;
use crate::values::OrgKind;

mod parties;
mod run;
mod upsert;

pub(crate) use parties::{identifiers_of, owner, record_identifier};
use run::{Resolved, Run, Unit};
use upsert::wanted;

/// Contractors and monitors have no contracts to import.
pub fn may_import(caller: &Caller) -> Result<(), Error> {
    caller.require(&[OrgKind::Admin, OrgKind::Buyer], "import contracts")
}

/// Imports `package`: with `commit`, writes it (all of it, or nothing when the report has an
/// error: a 422 naming each); without, only reports what a commit would do.
pub fn import(
    conn: &mut DbConnection,
    caller: &Caller,
    package: &Package,
    commit: bool,
    now: NaiveDateTime,
    policy: &Policy,
) -> Result<ImportReport, Error> {
    may_import(caller)?;
    let mut report = None;
    // A savepoint inside the caller's transaction: the dry run runs every statement a commit
    // would, then discards them.
    let outcome = conn.transaction::<(), Discard, _>(|c| {
        let r = apply(c, caller, package, now, policy)?;
        let keep = commit && r.errors == 0;
        report = Some(r);
        if keep {
            Ok(())
        } else {
            if let Some(r) = report.as_mut() {
                r.forget_created();
            }
            Err(Discard::RolledBack)
        }
    });
    match outcome {
        Ok(()) | Err(Discard::RolledBack) => {}
        Err(Discard::Failed(e)) => return Err(e),
    }
    let mut report = report.ok_or_else(|| Error::internal("import produced no report"))?;
    if commit && report.errors > 0 {
        let errors = report
            .parties
            .iter()
            .filter(|p| p.outcome == Outcome::Error)
            .map(|p| FieldError::new(&p.path, &p.reason))
            .chain(
                report
                    .contracts
                    .iter()
                    .filter(|c| c.outcome == Outcome::Error)
                    .map(|c| FieldError::new(&c.path, &c.reason)),
            )
            .collect();
        return Err(Error::Validation(errors));
    }
    report.dry_run = !commit;
    tracing::info!(
        dry_run = report.dry_run,
        created = report.created,
        matched = report.matched,
        unchanged = report.unchanged,
        errors = report.errors,
        "OCDS import"
    );
    Ok(report)
}

/// Why the import's savepoint ends without a commit: on purpose (a dry run, or a report with
/// errors, whose report is still answered) or by a failure, answered as the error.
enum Discard {
    RolledBack,
    Failed(Error),
}

impl From<diesel::result::Error> for Discard {
    fn from(e: diesel::result::Error) -> Discard {
        Discard::Failed(e.into())
    }
}

impl From<Error> for Discard {
    fn from(e: Error) -> Discard {
        Discard::Failed(e)
    }
}

fn apply(
    conn: &mut DbConnection,
    caller: &Caller,
    package: &Package,
    now: NaiveDateTime,
    policy: &Policy,
) -> Result<ImportReport, Error> {
    let mut run = Run {
        caller,
        now,
        report: ImportReport::default(),
        parties: HashMap::new(),
        components: HashMap::new(),
        new_items: Vec::new(),
    };
    // Framework agreements before their call-offs, so that a package holding both links them.
    let (plain, call_offs): (Vec<&Process>, Vec<&Process>) = package
        .processes
        .iter()
        .partition(|p| p.frameworks.is_empty());
    for process in plain.into_iter().chain(call_offs) {
        run.process(conn, process)?;
    }
    // Items may make findings at the factories behind them reach their contractor, as when
    // an item is added by hand; routed once for the whole import.
    let mut factories = Vec::new();
    for component in std::mem::take(&mut run.new_items) {
        factories.extend(components_service::factories_below(conn, component)?);
    }
    factories.sort();
    factories.dedup();
    routing::reroute_factories(conn, &factories, now, policy)?;
    Ok(run.report)
}

impl Run<'_> {
    fn process(&mut self, conn: &mut DbConnection, process: &Process) -> Result<(), Error> {
        let mut units: Vec<Unit> = process
            .contracts
            .iter()
            .map(|c| Unit {
                id: &c.id,
                award: c
                    .award_id
                    .as_ref()
                    .and_then(|a| process.awards.iter().find(|x| &x.id == a)),
                contract: Some(c),
                path: &c.path,
            })
            .collect();
        // An award without a contract of its own is the contract (a framework agreement is
        // often published as an award only).
        for award in &process.awards {
            let called = process
                .contracts
                .iter()
                .any(|c| c.award_id.as_deref() == Some(award.id.as_str()));
            if !called {
                units.push(Unit {
                    id: &award.id,
                    award: Some(award),
                    contract: None,
                    path: &award.path,
                });
            }
        }
        // A process still at its tender has no contract yet: nothing to match or create.
        if units.is_empty() {
            return Ok(());
        }
        let buyer = self.buyer(conn, process)?;
        for unit in units {
            self.unit(conn, process, &buyer, &unit)?;
        }
        Ok(())
    }

    fn unit(
        &mut self,
        conn: &mut DbConnection,
        process: &Process,
        buyer: &Resolved,
        unit: &Unit,
    ) -> Result<(), Error> {
        let title = unit
            .contract
            .and_then(|c| c.title.clone())
            .or_else(|| unit.award.and_then(|a| a.title.clone()))
            .or_else(|| process.tender_title.clone());
        let mut entry = ContractReport {
            ocid: process.ocid.clone(),
            reference: unit.id.to_string(),
            title: title.clone(),
            outcome: Outcome::Error,
            contract_id: None,
            framework_id: None,
            reason: String::new(),
            items: Vec::new(),
            path: unit.path.to_string(),
        };
        let suppliers: Vec<&str> = match unit.contract.map(|c| &c.suppliers) {
            Some(s) if !s.is_empty() => s.iter().map(String::as_str).collect(),
            _ => unit
                .award
                .map(|a| a.suppliers.iter().map(String::as_str).collect())
                .unwrap_or_default(),
        };
        if suppliers.is_empty() {
            entry.reason = "no supplier: neither the contract nor its award names one".into();
            self.report.add_contract(entry);
            return Ok(());
        }
        let several = suppliers.len() > 1;
        for supplier_ref in suppliers {
            let mut entry = entry.clone();
            let Some(party) = process.parties.iter().find(|p| p.id == supplier_ref) else {
                entry.reason = format!("supplier {supplier_ref:?} is not among the parties");
                self.report.add_contract(entry);
                continue;
            };
            // One contract per supplier of a framework with several: the reference names it.
            if several {
                let who = party
                    .identifiers
                    .first()
                    .map_or_else(|| party.id.clone(), |(s, i)| format!("{s}-{i}"));
                entry.reference = format!("{}/{who}", unit.id);
            }
            let supplier = self.organization(conn, process, party, OrgKind::Contractor)?;
            match (buyer, supplier) {
                (Resolved::Failed(r), _) => entry.reason = format!("buyer: {r}"),
                (_, Resolved::Failed(r)) => entry.reason = format!("supplier: {r}"),
                (Resolved::Pending(r), _) => {
                    entry.outcome = Outcome::Skipped;
                    entry.reason = format!("buyer: {r}");
                }
                (_, Resolved::Pending(r)) => {
                    entry.outcome = Outcome::Skipped;
                    entry.reason = format!("supplier: {r}");
                }
                (Resolved::Org(b), Resolved::Org(s)) => {
                    let framework = self.framework(conn, process, *b, s)?;
                    match wanted(process, unit, *b, s, title.clone(), framework) {
                        Err(reason) => entry.reason = reason,
                        Ok(wanted) => self.upsert(conn, &mut entry, wanted, process, unit)?,
                    }
                }
            }
            self.report.add_contract(entry);
        }
        Ok(())
    }
}
