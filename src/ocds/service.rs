//! The rules of the OCDS import. The admin imports for any buyer; a buyer imports its own
//! contracts (it is the buyer of every contract of its package); nobody else imports. A dry
//! run and a commit run the same code in a transaction; the dry run's is rolled back, so its
//! report is the commit's. A commit with any error writes nothing.
//!
//! A buyer learns nothing of other buyers from the report: contracts are looked up among the
//! buyer's own only, and an organization that is not a contractor is reported to a buyer as
//! an unknown supplier.

use std::collections::{HashMap, HashSet};

use chrono::{Duration, NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::parse::{Award, Contract, Item, Package, Party, Period, Process};
use super::{ContractReport, ImportReport, ItemReport, Outcome, PartyReport};
use crate::auth::Caller;
use crate::components::service as components_service;
use crate::contracts::{ContractItemRow, ContractRow};
use crate::db::DbConnection;
use crate::error::{Error, FieldError};
use crate::escalation::Policy;
use crate::findings::routing;
use crate::organizations::service as organizations;
use crate::organizations::NewOrganization;
use crate::schema::{
    components, contract_items, contracts, organization_identifiers,
    organizations as organizations_table,
};
use crate::values::{
    ComponentId, ContractId, ContractItemId, CountryCode, Email, EmailList, Money, Name, OrgKind,
    OrganizationId, ShortText,
};

diesel::define_sql_function!(fn lower(x: diesel::sql_types::Text) -> diesel::sql_types::Text);

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

/// A party's organization, once resolved in this import.
#[derive(Debug, Clone)]
enum Resolved {
    Org(OrganizationId),
    /// Unknown, proposed for an admin to create.
    Pending(String),
    Failed(String),
}

struct Run<'a> {
    caller: &'a Caller,
    now: NaiveDateTime,
    report: ImportReport,
    /// Parties resolved so far, by role and identifier (or, without one, by process and id):
    /// a supplier of many contracts is matched, and reported, once.
    parties: HashMap<(&'static str, String, String), Resolved>,
    components: HashMap<OrganizationId, Vec<(ComponentId, String)>>,
    new_items: Vec<ComponentId>,
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

/// One award, or one contract with its award, as the package has it.
struct Unit<'p> {
    id: &'p str,
    award: Option<&'p Award>,
    contract: Option<&'p Contract>,
    path: &'p str,
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

    fn buyer(&mut self, conn: &mut DbConnection, process: &Process) -> Result<Resolved, Error> {
        let named: Vec<&Party> = match &process.buyer_ref {
            Some(id) => process.parties.iter().filter(|p| &p.id == id).collect(),
            None => process
                .parties
                .iter()
                .filter(|p| p.has_role("buyer"))
                .collect(),
        };
        if self.caller.is(OrgKind::Buyer) {
            let me = self.caller.organization_id;
            if let [party] = named.as_slice() {
                return self.own_buyer(conn, process, party);
            }
            // Several buyers share a framework agreement: the caller imports its part when it
            // is known as one of them (others' names are in the package, not learnt here).
            for party in &named {
                for (scheme, id) in &party.identifiers {
                    if owner(conn, scheme, id)? == Some(me) {
                        return self.own_buyer(conn, process, party);
                    }
                }
            }
            if named.is_empty() {
                return Ok(Resolved::Org(me));
            }
            return Ok(Resolved::Failed(
                "several parties have role buyer and none has your organization's identifier: a buyer imports only its own contracts".into(),
            ));
        }
        match named.as_slice() {
            [party] => self.organization(conn, process, party, OrgKind::Buyer),
            [] => Ok(Resolved::Failed(
                "no buyer: the release names no buyer (`buyer`, or a party with role buyer)".into(),
            )),
            _ => Ok(Resolved::Failed(
                "several parties have role buyer and `buyer` names none of them".into(),
            )),
        }
    }

    /// A buyer's own package: its buyer party must be the caller. An identifier no one has
    /// yet is recorded as the caller's, so that the next import knows it.
    fn own_buyer(
        &mut self,
        conn: &mut DbConnection,
        process: &Process,
        party: &Party,
    ) -> Result<Resolved, Error> {
        let key = party_key("buyer", process, party);
        if let Some(done) = self.parties.get(&key) {
            return Ok(done.clone());
        }
        let me = self.caller.organization_id;
        let mut unowned = Vec::new();
        let mut other = false;
        for (scheme, id) in &party.identifiers {
            match owner(conn, scheme, id)? {
                Some(o) if o == me => {}
                Some(_) => other = true,
                None => unowned.push((scheme.clone(), id.clone())),
            }
        }
        let mine = identifiers_of(conn, me)?;
        let clash = unowned.iter().find_map(|(scheme, id)| {
            mine.iter()
                .find(|(s, i)| s == scheme && i != id)
                .map(|(s, i)| format!("your organization's {s} identifier is {i}"))
        });
        let (outcome, resolved, reason) = if other {
            let r =
                "the buyer party is another organization: a buyer imports only its own contracts"
                    .to_string();
            (Outcome::Error, Resolved::Failed(r.clone()), r)
        } else if let Some(clash) = clash {
            let r = format!(
                "the buyer party is not your organization ({clash}): a buyer imports only its own contracts"
            );
            (Outcome::Error, Resolved::Failed(r.clone()), r)
        } else if unowned.is_empty() {
            let reason = if party.identifiers.is_empty() {
                "no identifier: your organization is the buyer"
            } else {
                "your organization"
            };
            (Outcome::Unchanged, Resolved::Org(me), reason.to_string())
        } else {
            for (scheme, id) in &unowned {
                record_identifier(conn, me, scheme, id, self.now)?;
            }
            (
                Outcome::Matched,
                Resolved::Org(me),
                "your organization; its identifier is recorded".to_string(),
            )
        };
        let org = (outcome != Outcome::Error).then_some(me);
        self.report
            .add_party(party_report("buyer", party, outcome, org, reason));
        self.parties.insert(key, resolved.clone());
        Ok(resolved)
    }

    /// Matches a party to an organization of `kind` by identifier; an admin's import creates
    /// an unknown one, anyone else's proposes it.
    fn organization(
        &mut self,
        conn: &mut DbConnection,
        process: &Process,
        party: &Party,
        kind: OrgKind,
    ) -> Result<Resolved, Error> {
        let role = if kind == OrgKind::Buyer {
            "buyer"
        } else {
            "supplier"
        };
        let key = party_key(role, process, party);
        if let Some(done) = self.parties.get(&key) {
            return Ok(done.clone());
        }
        let admin = self.caller.is_admin();
        let (outcome, resolved, reason) = self.match_or_create(conn, party, kind, admin)?;
        let org = match &resolved {
            Resolved::Org(o) => Some(*o),
            _ => None,
        };
        self.report
            .add_party(party_report(role, party, outcome, org, reason));
        self.parties.insert(key, resolved.clone());
        Ok(resolved)
    }

    fn match_or_create(
        &mut self,
        conn: &mut DbConnection,
        party: &Party,
        kind: OrgKind,
        admin: bool,
    ) -> Result<(Outcome, Resolved, String), Error> {
        let failed = |r: String| -> Result<(Outcome, Resolved, String), Error> {
            Ok((Outcome::Error, Resolved::Failed(r.clone()), r))
        };
        if party.identifiers.is_empty() {
            return failed(
                "no identifier (parties[].identifier scheme and id): organizations are matched by identifier".into(),
            );
        }
        let mut owners = Vec::new();
        let mut unowned = Vec::new();
        for (scheme, id) in &party.identifiers {
            match owner(conn, scheme, id)? {
                Some(o) => owners.push(o),
                None => unowned.push((scheme.clone(), id.clone())),
            }
        }
        owners.sort();
        owners.dedup();
        match owners.as_slice() {
            [org] => {
                let found = organizations::kind_of(conn, *org)?;
                if found == Some(kind) {
                    if admin && !unowned.is_empty() {
                        for (scheme, id) in &unowned {
                            record_identifier(conn, *org, scheme, id, self.now)?;
                        }
                        return Ok((
                            Outcome::Matched,
                            Resolved::Org(*org),
                            "matched by identifier; its other identifiers are recorded".into(),
                        ));
                    }
                    return Ok((
                        Outcome::Unchanged,
                        Resolved::Org(*org),
                        "matched by identifier".into(),
                    ));
                }
                if admin {
                    return failed(format!(
                        "the identifier belongs to an organization that is not a {kind}"
                    ));
                }
                // Told as unknown: a buyer must not learn which other organizations exist.
                Ok(proposed(kind))
            }
            [] if !admin => Ok(proposed(kind)),
            [] => match self.create(conn, party, kind)? {
                Ok(org) => Ok((
                    Outcome::Created,
                    Resolved::Org(org),
                    format!("a new {kind} with the party's identifier"),
                )),
                Err(reason) => failed(reason),
            },
            _ => failed("its identifiers belong to different organizations".into()),
        }
    }

    /// A new organization from a party: its name, the country of its identifier's register
    /// (org-id.org schemes start with the country code) and its contact address.
    fn create(
        &mut self,
        conn: &mut DbConnection,
        party: &Party,
        kind: OrgKind,
    ) -> Result<Result<OrganizationId, String>, Error> {
        let Some(name) = party
            .name
            .clone()
            .map(one_line)
            .and_then(|n| Name::try_from(n).ok())
        else {
            return Ok(Err("cannot create it: the party has no name".into()));
        };
        // An organization entered by hand has no identifier yet: a second one of the same name
        // would split its contracts and cases in two.
        let namesake: Option<OrganizationId> = organizations_table::table
            .filter(organizations_table::kind.eq(kind.as_str()))
            .filter(lower(organizations_table::name).eq(name.as_str().to_lowercase()))
            .select(organizations_table::id)
            .first(conn)
            .optional()?;
        if let Some(existing) = namesake {
            return Ok(Err(format!(
                "a {kind} of this name exists without this identifier ({existing}): record it there (PUT /api/v1/organizations/{existing}/identifiers) rather than create a second one"
            )));
        }
        let Some(country) = party.identifiers.iter().find_map(|(s, _)| country_of(s)) else {
            return Ok(Err(
                "cannot create it: its identifier's scheme names no country (such as BE-BCE_KBO)"
                    .into(),
            ));
        };
        let Some(email) = party
            .email
            .clone()
            .and_then(|e| Email::try_from(e).ok())
            .and_then(|e| EmailList::try_from(vec![e]).ok())
        else {
            return Ok(Err(
                "cannot create it: the party has no contactPoint.email for notifications".into(),
            ));
        };
        let org = organizations::insert(
            conn,
            NewOrganization {
                name,
                kind,
                country,
                notification_emails: email,
                language: None,
                escalation_emails: None,
                timezone: None,
                digest_hour: None,
            },
            self.now,
        )?;
        for (scheme, id) in &party.identifiers {
            record_identifier(conn, org.id, scheme, id, self.now)?;
        }
        Ok(Ok(org.id))
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

    /// The framework agreement a call-off belongs to: the buyer's contract of the framework's
    /// process with the same contractor, or its only contract.
    fn framework(
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

    fn upsert(
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
fn wanted(
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

struct Wanted {
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

pub(crate) fn owner(
    conn: &mut DbConnection,
    scheme: &str,
    id: &str,
) -> Result<Option<OrganizationId>, Error> {
    Ok(organization_identifiers::table
        .filter(organization_identifiers::scheme.eq(scheme))
        .filter(organization_identifiers::identifier.eq(id))
        .select(organization_identifiers::organization_id)
        .first::<OrganizationId>(conn)
        .optional()?)
}

/// An organization's identifiers: (scheme, id).
pub(crate) fn identifiers_of(
    conn: &mut DbConnection,
    org: OrganizationId,
) -> Result<Vec<(String, String)>, Error> {
    Ok(organization_identifiers::table
        .filter(organization_identifiers::organization_id.eq(org))
        .order((
            organization_identifiers::scheme.asc(),
            organization_identifiers::identifier.asc(),
        ))
        .select((
            organization_identifiers::scheme,
            organization_identifiers::identifier,
        ))
        .load(conn)?)
}

pub(crate) fn record_identifier(
    conn: &mut DbConnection,
    org: OrganizationId,
    scheme: &str,
    id: &str,
    now: NaiveDateTime,
) -> Result<(), Error> {
    diesel::insert_into(organization_identifiers::table)
        .values((
            organization_identifiers::scheme.eq(scheme),
            organization_identifiers::identifier.eq(id),
            organization_identifiers::organization_id.eq(org),
            organization_identifiers::created_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

fn proposed(kind: OrgKind) -> (Outcome, Resolved, String) {
    let r = format!(
        "no {kind} with this identifier is registered; the operator (admin) creates it, by hand or by importing this package"
    );
    (Outcome::Proposed, Resolved::Pending(r.clone()), r)
}

fn party_key(
    role: &'static str,
    process: &Process,
    party: &Party,
) -> (&'static str, String, String) {
    match party.identifiers.first() {
        Some((scheme, id)) => (role, scheme.clone(), id.clone()),
        // Party ids are unique only within their contracting process.
        None => (role, format!("ocid:{}", process.ocid), party.id.clone()),
    }
}

fn party_report(
    role: &'static str,
    party: &Party,
    outcome: Outcome,
    organization_id: Option<OrganizationId>,
    reason: String,
) -> PartyReport {
    let first = party.identifiers.first();
    PartyReport {
        role,
        party_id: party.id.clone(),
        name: party.name.clone(),
        scheme: first.map(|(s, _)| s.clone()),
        identifier: first.map(|(_, i)| i.clone()),
        outcome,
        organization_id,
        reason,
        path: party.path.clone(),
    }
}

/// The country of an org-id.org register (`BE-BCE_KBO`, `GB-COH`); `XI-`/`XM-` registers
/// name none.
fn country_of(scheme: &str) -> Option<CountryCode> {
    let (prefix, _) = scheme.split_once('-')?;
    CountryCode::try_from(prefix.to_string()).ok()
}

/// OCDS titles and names may span lines and be longer than a name here: one line, the start
/// kept.
fn one_line(text: String) -> String {
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let max = Name::MAX_CHARS;
    if text.chars().count() <= max {
        text
    } else {
        let mut t: String = text.chars().take(max - 1).collect();
        t.push('…');
        t
    }
}
