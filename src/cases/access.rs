//! Who sees a case and who may act on it.
//!
//! Visibility: the contractor sees the cases routed to it, the monitor the cases of its
//! findings, a buyer the cases that touch its contracts (and of those contracts only its
//! own), admins everything. Anything else is 404. What of a shared case's history each reader
//! sees is `visibility`.

use diesel::prelude::*;

use super::events::{Event, EventRow};
use super::lifecycle::{Action, Party};
use super::visibility;
use super::CaseRow;
use crate::auth::Caller;
use crate::db::{DbBackend, DbConnection};
use crate::error::Error;
use crate::schema::{case_contracts, cases, contracts};
use crate::values::{CaseId, OrgKind, OrganizationId};

pub type Visible =
    Box<dyn BoxableExpression<cases::table, DbBackend, SqlType = diesel::sql_types::Bool>>;

pub fn visible_to(caller: &Caller) -> Option<Visible> {
    let me = caller.organization_id;
    match caller.kind {
        OrgKind::Admin => None,
        OrgKind::Contractor => Some(Box::new(cases::contractor_id.eq(me))),
        OrgKind::Monitor => Some(Box::new(cases::monitor_id.eq(me))),
        // A correlated EXISTS, probed per candidate row through the case_contracts key: an
        // `id IN (all of the buyer's cases)` had to collect tens of thousands of ids per request.
        OrgKind::Buyer => Some(Box::new(diesel::dsl::exists(
            case_contracts::table
                .inner_join(contracts::table)
                .filter(case_contracts::case_id.eq(cases::id))
                .filter(contracts::buyer_id.eq(me)),
        ))),
    }
}

/// The caller's relation to a case.
pub fn party_of(caller: &Caller, row: &CaseRow) -> Party {
    let me = caller.organization_id;
    if caller.is_admin() {
        Party::Admin
    } else if row.contractor_id == me {
        Party::Contractor
    } else if row.monitor_id == me {
        Party::Monitor
    } else {
        Party::Buyer
    }
}

/// The case with this id, if the caller may see it (404 otherwise).
pub fn visible_row(conn: &mut DbConnection, caller: &Caller, id: CaseId) -> Result<CaseRow, Error> {
    let mut q = cases::table
        .filter(cases::id.eq(id))
        .select(CaseRow::as_select())
        .into_boxed();
    if let Some(filter) = visible_to(caller) {
        q = q.filter(filter);
    }
    q.first(conn).optional()?.ok_or(Error::NotFound("case"))
}

/// Only the party an action belongs to takes it (`lifecycle::party_for`).
pub fn may_take(party: Party, action: Action) -> Result<(), Error> {
    let needed = super::lifecycle::party_for(action);
    if party != needed {
        return Err(Error::Forbidden(format!(
            "only the {} of a case may {}",
            match needed {
                Party::Contractor => "contractor",
                _ => "monitor",
            },
            action
        )));
    }
    Ok(())
}

/// Only parties to a case comment on it.
pub fn may_comment(party: Party) -> Result<(), Error> {
    if party == Party::Admin {
        return Err(Error::Forbidden(
            "only parties to a case comment on it".into(),
        ));
    }
    Ok(())
}

/// The buyer or monitor grants extensions; the contractor asks for them.
pub fn may_extend(party: Party) -> Result<(), Error> {
    if party == Party::Admin {
        return Err(Error::Forbidden(
            "only the buyer or the monitor grants extensions, and the contractor asks for them"
                .into(),
        ));
    }
    Ok(())
}

/// Only the buyer or the monitor answers a contractor's extension request.
pub fn may_refuse_extension(party: Party) -> Result<(), Error> {
    if !matches!(party, Party::Buyer | Party::Monitor) {
        return Err(Error::Forbidden(
            "only the buyer or the monitor answers an extension request".into(),
        ));
    }
    Ok(())
}

/// An event as `reader` sees it (see `visibility`).
pub fn shown_to(reader: &visibility::Reader, case: &CaseRow, e: EventRow) -> Result<Event, Error> {
    let kind = e.kind;
    let mut event = e.view()?;
    let actor = event.actor_organization_id.map(|a| a.to_string());
    let shown = visibility::show(
        reader,
        &case.contractor_id.to_string(),
        &case.monitor_id.to_string(),
        kind,
        actor.as_deref(),
        std::mem::take(&mut event.payload),
    )
    .ok_or_else(|| Error::internal("an event hidden from its reader was selected"))?;
    event.payload = shown.payload;
    event.redacted = shown.redacted;
    if !shown.actor_shown {
        event.actor_organization_id = None;
        event.actor_token_id = None;
        event.actor_user_id = None;
    }
    Ok(event)
}

/// How the caller reads this case's history: a buyer with its own contracts on it, or whole.
pub fn reader_of(
    conn: &mut DbConnection,
    caller: &Caller,
    case: &CaseRow,
) -> Result<visibility::Reader, Error> {
    if party_of(caller, case) != Party::Buyer {
        return Ok(visibility::Reader::Whole);
    }
    buyer_reader(conn, caller.organization_id, case.id)
}

/// A buyer reading a case, with its own contracts on the case.
pub fn buyer_reader(
    conn: &mut DbConnection,
    buyer: OrganizationId,
    case: CaseId,
) -> Result<visibility::Reader, Error> {
    let contracts: Vec<String> = case_contracts::table
        .inner_join(contracts::table)
        .filter(case_contracts::case_id.eq(case))
        .filter(contracts::buyer_id.eq(buyer))
        .select(case_contracts::contract_id)
        .load(conn)?;
    Ok(visibility::Reader::Buyer {
        organization_id: buyer.to_string(),
        contracts: contracts.into_iter().collect(),
    })
}
