//! Reading cases: one case, a filtered page of cases, a case's history and comments (as the
//! caller may see them), and the cases of findings.

use std::collections::HashMap;

use diesel::prelude::*;

use super::access::{party_of, reader_of, shown_to, visible_row, visible_to};
use super::events::{Event, EventKind, EventRow};
use super::lifecycle::{self, CaseState};
use super::visibility;
use super::{Case, CaseDeadlines, CaseRow, PendingExtension};
use crate::auth::Caller;
use crate::clock::utc;
use crate::db::DbConnection;
use crate::error::Error;
use crate::findings::{Category, FindingRow, Severity};
use crate::pagination::{Cursor, Page, PageRequest};
use crate::schema::{case_contracts, case_events, cases, contracts, findings, organizations};
use crate::values::{CaseId, ContractId, FactoryId, FindingId, OrgKind, OrganizationId};

pub fn get(conn: &mut DbConnection, caller: &Caller, id: CaseId) -> Result<Case, Error> {
    let row = visible_row(conn, caller, id)?;
    view_one(conn, caller, row)
}

/// The view of one case.
pub fn view_one(conn: &mut DbConnection, caller: &Caller, row: CaseRow) -> Result<Case, Error> {
    views(conn, caller, vec![row])?
        .pop()
        .ok_or_else(|| Error::internal("case view missing"))
}

/// Views of several cases with two batch queries (their contracts, their findings).
fn views(conn: &mut DbConnection, caller: &Caller, rows: Vec<CaseRow>) -> Result<Vec<Case>, Error> {
    let ids: Vec<CaseId> = rows.iter().map(|r| r.id).collect();
    let mut q = case_contracts::table
        .inner_join(contracts::table)
        .filter(case_contracts::case_id.eq_any(&ids))
        .select((case_contracts::case_id, case_contracts::contract_id))
        .order(case_contracts::contract_id.asc())
        .into_boxed();
    if caller.is(OrgKind::Buyer) {
        q = q.filter(contracts::buyer_id.eq(caller.organization_id));
    }
    let mut contracts_of: HashMap<CaseId, Vec<ContractId>> = HashMap::new();
    for (case_id, contract_id) in q.load::<(CaseId, ContractId)>(conn)? {
        contracts_of.entry(case_id).or_default().push(contract_id);
    }
    let finding_ids: Vec<FindingId> = rows.iter().map(|r| r.finding_id).collect();
    let finding_rows: Vec<FindingRow> = findings::table
        .filter(findings::id.eq_any(&finding_ids))
        .select(FindingRow::as_select())
        .load(conn)?;
    let finding_of: HashMap<FindingId, FindingRow> =
        finding_rows.into_iter().map(|f| (f.id, f)).collect();
    let contractor_ids: Vec<OrganizationId> = rows.iter().map(|r| r.contractor_id).collect();
    let name_of: HashMap<OrganizationId, String> = organizations::table
        .filter(organizations::id.eq_any(&contractor_ids))
        .select((organizations::id, organizations::name))
        .load::<(OrganizationId, String)>(conn)?
        .into_iter()
        .collect();
    rows.into_iter()
        .map(|row| {
            let finding = finding_of
                .get(&row.finding_id)
                .ok_or_else(|| Error::internal("case without finding"))?
                .summary()?;
            let (state, resume) = (row.state, row.resume_state);
            let party = party_of(caller, &row);
            Ok(Case {
                id: row.id,
                finding_id: row.finding_id,
                contractor_id: row.contractor_id,
                contractor_name: name_of
                    .get(&row.contractor_id)
                    .cloned()
                    .ok_or_else(|| Error::internal("case without contractor"))?,
                contract_ids: contracts_of.remove(&row.id).unwrap_or_default(),
                factory_id: row.factory_id,
                state,
                severity: row.severity,
                category: row.category,
                escalation_level: row.escalation_level,
                overdue: row.overdue,
                non_cooperation: row.escalation_level >= 3,
                opened_at: utc(row.opened_at),
                deadlines: CaseDeadlines {
                    acknowledge: utc(row.acknowledge_due_at),
                    plan: utc(row.plan_due_at),
                    remediation: utc(row.remediation_due_at),
                },
                next_due_at: row.next_due_at.map(utc),
                plan: row.plan.as_deref().map(serde_json::from_str).transpose()?,
                acknowledged_at: row.acknowledged_at.map(utc),
                plan_accepted_at: row.plan_accepted_at.map(utc),
                remediated_at: row.remediated_at.map(utc),
                extension_request: pending(&row)?,
                finding,
                your_party: party,
                allowed_actions: lifecycle::allowed_actions(state, party, resume),
                version: row.version,
                created_at: utc(row.created_at),
                updated_at: utc(row.updated_at),
            })
        })
        .collect()
}

/// The contractor's extension request waiting for an answer, if any.
pub fn pending(row: &CaseRow) -> Result<Option<PendingExtension>, Error> {
    Ok(row
        .extension_request
        .as_deref()
        .map(serde_json::from_str)
        .transpose()?)
}

#[derive(Debug, Default, Clone)]
pub struct CaseFilter {
    pub state: Option<CaseState>,
    pub severity: Option<Severity>,
    pub category: Option<Category>,
    pub contract_id: Option<ContractId>,
    pub contractor_id: Option<OrganizationId>,
    pub factory_id: Option<FactoryId>,
    pub finding_id: Option<FindingId>,
    pub overdue: Option<bool>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum CaseSort {
    /// Newest first.
    #[default]
    Newest,
    /// Soonest pending deadline first; cases without one last.
    NextDeadline,
}

pub fn list(
    conn: &mut DbConnection,
    caller: &Caller,
    filter: CaseFilter,
    sort: CaseSort,
    page: &PageRequest,
) -> Result<Page<Case>, Error> {
    let mut q = cases::table
        .select(CaseRow::as_select())
        .limit(page.fetch())
        .into_boxed();
    if let Some(v) = visible_to(caller) {
        q = q.filter(v);
    }
    if let Some(s) = filter.state {
        q = q.filter(cases::state.eq(s.as_str()));
    }
    if let Some(s) = filter.severity {
        q = q.filter(cases::severity.eq(s.as_str()));
    }
    if let Some(c) = filter.category {
        q = q.filter(cases::category.eq(c.as_str()));
    }
    if let Some(c) = filter.contractor_id {
        q = q.filter(cases::contractor_id.eq(c));
    }
    if let Some(f) = filter.factory_id {
        q = q.filter(cases::factory_id.eq(f));
    }
    if let Some(f) = filter.finding_id {
        q = q.filter(cases::finding_id.eq(f));
    }
    if let Some(o) = filter.overdue {
        q = q.filter(cases::overdue.eq(o));
    }
    if let Some(c) = filter.contract_id {
        // A filter on a contract out of the caller's reach is refused like the contract itself:
        // the cases of a shared case's other buyer must not answer it.
        let mut k = contracts::table
            .filter(contracts::id.eq(c))
            .select(contracts::id)
            .into_boxed();
        let me = caller.organization_id;
        match caller.kind {
            OrgKind::Buyer => k = k.filter(contracts::buyer_id.eq(me)),
            OrgKind::Contractor => k = k.filter(contracts::contractor_id.eq(me)),
            OrgKind::Admin | OrgKind::Monitor => {}
        }
        if k.first::<ContractId>(conn).optional()?.is_none() {
            return Err(Error::NotFound("contract"));
        }
        q = q.filter(
            cases::id.eq_any(
                case_contracts::table
                    .filter(case_contracts::contract_id.eq(c))
                    .select(case_contracts::case_id),
            ),
        );
    }
    match sort {
        CaseSort::Newest => {
            if let Some(after) = page.after {
                q = q.filter(cases::id.lt(after.as_db()));
            }
            q = q.order(cases::id.desc());
        }
        CaseSort::NextDeadline => {
            if let Some(after) = page.after {
                let at = after.time().ok_or_else(|| {
                    Error::bad_param("cursor", "this cursor belongs to another sort order")
                })?;
                q = q.filter(
                    cases::due_order
                        .gt(at)
                        .or(cases::due_order.eq(at).and(cases::id.gt(after.as_db()))),
                );
            }
            q = q.order((cases::due_order.asc(), cases::id.asc()));
        }
    }
    let rows = q.load(conn)?;
    let more = rows.len() as i64 > page.limit;
    let cursor = |r: &CaseRow| match sort {
        CaseSort::Newest => Cursor::encode(r.id),
        CaseSort::NextDeadline => Cursor::encode_with_time(r.id, r.due_order),
    };
    let mut rows = rows;
    rows.truncate(page.limit as usize);
    let next_cursor = if more {
        rows.last().and_then(cursor)
    } else {
        None
    };
    Ok(Page {
        items: views(conn, caller, rows)?,
        next_cursor,
    })
}

pub fn events(
    conn: &mut DbConnection,
    caller: &Caller,
    id: CaseId,
    page: &PageRequest,
) -> Result<Page<Event>, Error> {
    history(conn, caller, id, page, false)
}

/// The comments of a case (its `comment` events) that the caller may read.
pub fn comments(
    conn: &mut DbConnection,
    caller: &Caller,
    id: CaseId,
    page: &PageRequest,
) -> Result<Page<Event>, Error> {
    history(conn, caller, id, page, true)
}

fn history(
    conn: &mut DbConnection,
    caller: &Caller,
    id: CaseId,
    page: &PageRequest,
    only_comments: bool,
) -> Result<Page<Event>, Error> {
    let row = visible_row(conn, caller, id)?;
    let reader = reader_of(conn, caller, &row)?;
    // Cursors this service issues carry an event's seq. A forged key beyond i32 is clamped,
    // not narrowed: `seq > key` is the same for every i32 seq, where narrowing wrapped
    // around to another page.
    let after_seq = page.after.and_then(|c| c.key).unwrap_or(0);
    let after_seq = after_seq.clamp(i64::from(i32::MIN), i64::from(i32::MAX)) as i32;
    let mut q = case_events::table
        .filter(case_events::case_id.eq(&row.id))
        .filter(case_events::seq.gt(after_seq))
        .into_boxed();
    if only_comments {
        q = q.filter(case_events::kind.eq(EventKind::Comment));
    }
    if let visibility::Reader::Buyer {
        organization_id, ..
    } = &reader
    {
        // Another buyer's comments are not shown: filtered here so that pages stay full.
        q = q.filter(diesel::dsl::not(
            case_events::kind.eq(EventKind::Comment).and(
                case_events::actor_organization_id
                    .is_not_null()
                    .and(case_events::actor_organization_id.ne(organization_id.clone()))
                    .and(case_events::actor_organization_id.ne(row.contractor_id))
                    .and(case_events::actor_organization_id.ne(row.monitor_id)),
            ),
        ));
    }
    let rows: Vec<EventRow> = q
        .order(case_events::seq.asc())
        .limit(page.fetch())
        .select(EventRow::as_select())
        .load(conn)?;
    let mut events = Page::from_rows(
        rows,
        page,
        |e| Cursor::encode_with_key(e.id, e.seq.into()),
        |e| shown_to(&reader, &row, e),
    )?;
    super::events::name_actors(conn, &mut events.items)?;
    Ok(events)
}

/// (case id, contractor id, contract ids) per finding id.
pub type CasesByFinding = HashMap<FindingId, Vec<(CaseId, OrganizationId, Vec<ContractId>)>>;

/// The cases of findings, for their monitor.
pub fn of_finding(
    conn: &mut DbConnection,
    finding_ids: &[FindingId],
) -> Result<CasesByFinding, Error> {
    let rows: Vec<(FindingId, CaseId, OrganizationId)> = cases::table
        .filter(cases::finding_id.eq_any(finding_ids))
        .order(cases::id.asc())
        .select((cases::finding_id, cases::id, cases::contractor_id))
        .load(conn)?;
    let ids: Vec<CaseId> = rows.iter().map(|r| r.1).collect();
    let mut contracts_of: HashMap<CaseId, Vec<ContractId>> = HashMap::new();
    for (case_id, contract_id) in case_contracts::table
        .filter(case_contracts::case_id.eq_any(&ids))
        .order(case_contracts::contract_id.asc())
        .select((case_contracts::case_id, case_contracts::contract_id))
        .load::<(CaseId, ContractId)>(conn)?
    {
        contracts_of.entry(case_id).or_default().push(contract_id);
    }
    let mut out = CasesByFinding::new();
    for (finding, case, contractor) in rows {
        let c = contracts_of.remove(&case).unwrap_or_default();
        out.entry(finding).or_default().push((case, contractor, c));
    }
    Ok(out)
}
