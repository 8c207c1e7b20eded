//! Matching the parties of a package to organizations: the buyer (for a buyer's import,
//! itself) and the suppliers, by their registers' identifiers.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::run::{lower, one_line, Resolved, Run};
use crate::db::DbConnection;
use crate::error::Error;
use crate::ocds::parse::{Party, Process};
use crate::ocds::{Outcome, PartyReport};
use crate::organizations::service as organizations;
use crate::organizations::NewOrganization;
use crate::schema::{organization_identifiers, organizations as organizations_table};
use crate::values::{CountryCode, Email, EmailList, Name, OrgKind, OrganizationId};

impl Run<'_> {
    pub(super) fn buyer(
        &mut self,
        conn: &mut DbConnection,
        process: &Process,
    ) -> Result<Resolved, Error> {
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
    pub(super) fn organization(
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
