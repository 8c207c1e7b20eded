//! Rules for cases: who sees a case, who may act on it, what each action requires, and how
//! every change lands in the history in the same transaction.
//!
//! Visibility: the contractor sees the cases routed to it, the monitor the cases of its
//! findings, a buyer the cases that touch its contracts (and of those contracts only its
//! own), admins everything. Anything else is 404.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde_json::json;

use super::core::Step;
use super::events::{self, Actor, Event, EventKind, EventRow, GENESIS};
use super::lifecycle::{self, Action, CaseState, Party};
use super::visibility;
use super::{
    Case, CaseDeadlines, CaseRow, CommentRequest, ExtensionRefusal, ExtensionRequest,
    PendingExtension, Plan, TransitionRequest,
};
use crate::auth::Caller;
use crate::clock::utc;
use crate::db::{DbBackend, DbConnection};
use crate::error::Error;
use crate::escalation::{self, Policy};
use crate::findings::{Category, FindingRow, Severity};
use crate::pagination::{Cursor, Page, PageRequest};
use crate::schema::{case_contracts, case_events, cases, contracts, findings, organizations};
use crate::values::{CaseId, ContractId, EventId, FactoryId, FindingId, OrgKind, OrganizationId};

type Visible =
    Box<dyn BoxableExpression<cases::table, DbBackend, SqlType = diesel::sql_types::Bool>>;

fn visible_to(caller: &Caller) -> Option<Visible> {
    let me = caller.organization_id.to_string();
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

fn party_of(caller: &Caller, row: &CaseRow) -> Party {
    let me = caller.organization_id.to_string();
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

fn state_of(row: &CaseRow) -> (CaseState, Option<CaseState>) {
    (row.state, row.resume_state)
}

/// Opens a case for `contractor` on `finding`, with its first event and notifications.
/// Deadlines run from now: the moment the contractor is told.
#[allow(clippy::too_many_arguments)]
pub fn open(
    conn: &mut DbConnection,
    finding: &FindingRow,
    contractor: &str,
    contract_ids: &[String],
    actor: &Actor,
    late: bool,
    now: NaiveDateTime,
    policy: &Policy,
) -> Result<CaseRow, Error> {
    let severity = Severity::from_db(&finding.severity)?;
    let due = escalation::due_dates(policy, severity, now);
    let mut row = CaseRow {
        id: CaseId::new().to_string(),
        finding_id: finding.id.clone(),
        contractor_id: contractor.to_string(),
        monitor_id: finding.monitor_id.clone(),
        factory_id: finding.factory_id.clone(),
        category: Category::from_db(&finding.category)?,
        severity,
        state: CaseState::Open,
        resume_state: None,
        escalation_level: 0,
        overdue: false,
        opened_at: now,
        acknowledge_due_at: due.acknowledge,
        plan_due_at: due.plan,
        remediation_due_at: due.remediation,
        next_due_at: None,
        due_order: escalation::far_future(),
        plan: None,
        version: 1,
        event_count: 0,
        last_event_hash: GENESIS.to_string(),
        created_at: now,
        updated_at: now,
        policy_version: policy.version(),
        paused_at: None,
        paused_seconds: 0,
        acknowledge_extended_to: None,
        plan_extended_to: None,
        remediation_extended_to: None,
        acknowledged_at: None,
        plan_submitted_at: None,
        plan_accepted_at: None,
        remediated_at: None,
        closed_at: None,
        acknowledge_reminded_for: None,
        plan_reminded_for: None,
        remediation_reminded_for: None,
        acknowledge_escalated_for: None,
        plan_escalated_for: None,
        remediation_escalated_for: None,
        next_action_at: None,
        max_escalation_level: 0,
        extension_request: None,
    };
    escalation::reschedule(&mut row, policy.reminder_before);
    let payload = json!({
        "finding_id": finding.id,
        "contract_ids": contract_ids,
        "severity": finding.severity,
        "late_routing": late,
        "policy_version": row.policy_version,
        "deadlines": {
            "acknowledge": utc(due.acknowledge),
            "plan": utc(due.plan),
            "remediation": utc(due.remediation),
        },
    });
    // The first event is chained before the case row is written, so the row goes in once
    // with its chain head rather than being inserted and then updated.
    let event = events::next(&mut row, EventKind::Opened, actor, payload, now, None)?;
    diesel::insert_into(cases::table)
        .values(&row)
        .execute(conn)?;
    // One row at a time: multi-row VALUES does not go through MultiConnection, and a case
    // touches few contracts.
    for c in contract_ids {
        diesel::insert_into(case_contracts::table)
            .values((
                case_contracts::case_id.eq(&row.id),
                case_contracts::contract_id.eq(c),
            ))
            .execute(conn)?;
    }
    diesel::insert_into(case_events::table)
        .values(&event)
        .execute(conn)?;
    crate::notifications::outbox::enqueue_with_title(conn, &row, &event, Some(&finding.title))?;
    Ok(row)
}

/// Appends an event to a case already held by this transaction, saves the case, and writes
/// the notifications the event causes: one unit, committed together.
pub fn record(
    conn: &mut DbConnection,
    row: &mut CaseRow,
    kind: EventKind,
    actor: &Actor,
    payload: serde_json::Value,
    now: NaiveDateTime,
    dedup_key: Option<String>,
) -> Result<EventRow, Error> {
    let event = events::next(row, kind, actor, payload, now, dedup_key)?;
    insert_event(conn, row, event, now)
}

/// Writes an event already chained onto `row` (by `events::next`), the case, and the
/// notifications the event causes.
fn insert_event(
    conn: &mut DbConnection,
    row: &mut CaseRow,
    event: EventRow,
    now: NaiveDateTime,
) -> Result<EventRow, Error> {
    diesel::insert_into(case_events::table)
        .values(&event)
        .execute(conn)?;
    row.updated_at = now;
    save(conn, row)?;
    crate::notifications::outbox::enqueue(conn, row, &event)?;
    Ok(event)
}

fn visible_row(conn: &mut DbConnection, caller: &Caller, id: CaseId) -> Result<CaseRow, Error> {
    let mut q = cases::table
        .filter(cases::id.eq(id.to_string()))
        .select(CaseRow::as_select())
        .into_boxed();
    if let Some(filter) = visible_to(caller) {
        q = q.filter(filter);
    }
    q.first(conn).optional()?.ok_or(Error::NotFound("case"))
}

/// Takes the case for this transaction: bumps its version (which, on PostgreSQL, holds the
/// row lock until commit, so concurrent writers queue) and refuses if it no longer has the
/// version the client saw.
pub fn lock_case(
    conn: &mut DbConnection,
    id: &str,
    if_match: Option<i32>,
) -> Result<CaseRow, Error> {
    let n = match if_match {
        Some(v) => diesel::update(
            cases::table
                .filter(cases::id.eq(id))
                .filter(cases::version.eq(v)),
        )
        .set(cases::version.eq(cases::version + 1))
        .execute(conn)?,
        None => diesel::update(cases::table.filter(cases::id.eq(id)))
            .set(cases::version.eq(cases::version + 1))
            .execute(conn)?,
    };
    let fresh: CaseRow = cases::table
        .filter(cases::id.eq(id))
        .select(CaseRow::as_select())
        .first(conn)?;
    if n == 0 {
        return Err(stale(fresh.version));
    }
    Ok(fresh)
}

/// Takes the case for a change requested by a client: the row lock first (an unconditional
/// version bump), then the `If-Match` check against the version that was current when the
/// lock was granted. Every rule is then checked on the returned row, never on a row read
/// before the lock. On any error the transaction rolls back, bump included.
fn take(conn: &mut DbConnection, id: &str, if_match: Option<i32>) -> Result<CaseRow, Error> {
    let row = lock_case(conn, id, None)?;
    let before = row.version - 1;
    match if_match {
        Some(expected) if expected != before => Err(stale(before)),
        _ => Ok(row),
    }
}

fn stale(current: i32) -> Error {
    Error::PreconditionFailed(format!(
        "the case has changed since you read it (it is now at version {current}); read it again and retry"
    ))
}

/// Writes every mutable column of a locked case.
pub fn save(conn: &mut DbConnection, row: &CaseRow) -> Result<(), Error> {
    diesel::update(cases::table.filter(cases::id.eq(&row.id)))
        .set((
            (
                cases::state.eq(row.state),
                cases::resume_state.eq(row.resume_state),
                cases::escalation_level.eq(row.escalation_level),
                cases::overdue.eq(row.overdue),
                cases::acknowledge_due_at.eq(row.acknowledge_due_at),
                cases::plan_due_at.eq(row.plan_due_at),
                cases::remediation_due_at.eq(row.remediation_due_at),
                cases::next_due_at.eq(row.next_due_at),
                cases::due_order.eq(row.due_order),
                cases::plan.eq(&row.plan),
                cases::event_count.eq(row.event_count),
                cases::last_event_hash.eq(&row.last_event_hash),
                cases::updated_at.eq(row.updated_at),
                cases::policy_version.eq(&row.policy_version),
            ),
            (
                cases::paused_at.eq(row.paused_at),
                cases::paused_seconds.eq(row.paused_seconds),
                cases::acknowledge_extended_to.eq(row.acknowledge_extended_to),
                cases::plan_extended_to.eq(row.plan_extended_to),
                cases::remediation_extended_to.eq(row.remediation_extended_to),
                cases::acknowledged_at.eq(row.acknowledged_at),
                cases::plan_submitted_at.eq(row.plan_submitted_at),
                cases::plan_accepted_at.eq(row.plan_accepted_at),
                cases::remediated_at.eq(row.remediated_at),
                cases::closed_at.eq(row.closed_at),
            ),
            (
                cases::acknowledge_reminded_for.eq(row.acknowledge_reminded_for),
                cases::plan_reminded_for.eq(row.plan_reminded_for),
                cases::remediation_reminded_for.eq(row.remediation_reminded_for),
                cases::acknowledge_escalated_for.eq(row.acknowledge_escalated_for),
                cases::plan_escalated_for.eq(row.plan_escalated_for),
                cases::remediation_escalated_for.eq(row.remediation_escalated_for),
                cases::next_action_at.eq(row.next_action_at),
                cases::max_escalation_level.eq(row.max_escalation_level),
                cases::extension_request.eq(&row.extension_request),
            ),
        ))
        .execute(conn)?;
    Ok(())
}

/// What each action requires beyond being legal.
fn check_request(req: &TransitionRequest) -> Result<(), Error> {
    let needs_reason = matches!(
        req.action,
        Action::RejectPlan | Action::Dispute | Action::Close
    );
    if needs_reason && req.reason.is_none() {
        return Err(Error::field(
            "reason",
            format!("{} needs a reason", req.action),
        ));
    }
    match (&req.plan, req.action) {
        (None, Action::SubmitPlan) => return Err(Error::field("plan", "submit_plan needs a plan")),
        (Some(plan), Action::SubmitPlan) => check_plan(plan)?,
        (Some(_), other) => {
            return Err(Error::field(
                "plan",
                format!("a plan goes with submit_plan, not {other}"),
            ))
        }
        (None, _) => {}
    }
    match (&req.evidence, req.action) {
        (Some(e), Action::ReportRemediated) if e.len() > 50 => {
            return Err(Error::field("evidence", "at most 50 references"))
        }
        (None, Action::ReportRemediated) if req.note.is_none() => {
            return Err(Error::field(
                "evidence",
                "report_remediated needs evidence or a note saying what was done",
            ))
        }
        (Some(_), other) if other != Action::ReportRemediated => {
            return Err(Error::field(
                "evidence",
                format!("evidence goes with report_remediated, not {other}"),
            ))
        }
        _ => {}
    }
    Ok(())
}

fn check_plan(plan: &Plan) -> Result<(), Error> {
    if plan.actions.is_empty() && plan.no_action_justification.is_none() {
        return Err(Error::field(
            "plan.no_action_justification",
            "a plan without actions must justify why no action is taken",
        ));
    }
    if plan.actions.len() > 100 {
        return Err(Error::field("plan.actions", "at most 100 actions"));
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
pub fn transition(
    conn: &mut DbConnection,
    caller: &Caller,
    id: CaseId,
    req: TransitionRequest,
    if_match: Option<i32>,
    now: NaiveDateTime,
    policy: &Policy,
) -> Result<Case, Error> {
    let seen = visible_row(conn, caller, id)?;
    let party = party_of(caller, &seen);
    let needed = lifecycle::party_for(req.action);
    if party != needed {
        return Err(Error::Forbidden(format!(
            "only the {} of a case may {}",
            match needed {
                Party::Contractor => "contractor",
                _ => "monitor",
            },
            req.action
        )));
    }
    // The rule is checked on the state read under the lock this change takes: a concurrent
    // writer has either committed before (and we see its state) or waits for us.
    let mut row = take(conn, &seen.id, if_match)?;
    let (state, resume) = state_of(&row);
    let Some(next) = lifecycle::next_state(state, req.action, resume) else {
        let allowed = lifecycle::allowed_actions(state, party, resume);
        return Err(Error::Conflict {
            detail: format!(
                "cannot {} a case that is {state}; you may now: {}",
                req.action,
                if allowed.is_empty() {
                    "nothing".to_string()
                } else {
                    allowed
                        .iter()
                        .map(|a| a.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                }
            ),
            extra: Some(json!({"current_state": state, "allowed_actions": allowed})),
        });
    };
    check_request(&req)?;
    // A plan after a rejected one: its mail says it is a revision (and carries the plan).
    let resubmission = req.action == Action::SubmitPlan && row.plan.is_some();
    if let Some(plan) = &req.plan {
        row.plan = Some(serde_json::to_string(plan)?);
    }
    // Which timestamps the step sets and how the contractor's clock stops and restarts: the
    // case core, the one place that rule lives.
    row.apply(&Step::transition(req.action, state, next, now))
        .map_err(Error::internal)?;
    escalation::reschedule(&mut row, policy.reminder_before);
    let mut payload = json!({"action": req.action, "from": state, "to": next});
    if resubmission {
        payload["resubmission"] = json!(true);
    }
    // A request to move a deadline lapses once that deadline is met or the case is closed.
    if let Some(p) = pending(&row)? {
        if next == CaseState::Closed || escalation::slot(&mut row, p.deadline).met {
            row.extension_request = None;
            payload["extension_request_lapsed"] = json!(p.event_id);
        }
    }
    for (key, value) in [
        ("note", req.note.map(|n| json!(n))),
        ("reason", req.reason.map(|r| json!(r))),
        ("plan", req.plan.map(|p| json!(p))),
        ("evidence", req.evidence.map(|e| json!(e))),
    ] {
        if let Some(v) = value {
            payload[key] = v;
        }
    }
    record(
        conn,
        &mut row,
        EventKind::of(req.action),
        &Actor::from(caller),
        payload,
        now,
        None,
    )?;
    view_one(conn, caller, row)
}

pub fn comment(
    conn: &mut DbConnection,
    caller: &Caller,
    id: CaseId,
    req: CommentRequest,
    now: NaiveDateTime,
) -> Result<Event, Error> {
    let row = visible_row(conn, caller, id)?;
    if party_of(caller, &row) == Party::Admin {
        return Err(Error::Forbidden(
            "only parties to a case comment on it".into(),
        ));
    }
    let mut row = lock_case(conn, &row.id, None)?;
    let event = record(
        conn,
        &mut row,
        EventKind::Comment,
        &Actor::from(caller),
        json!({"text": req.text}),
        now,
        None,
    )?;
    event.view()
}

/// `POST /cases/{id}/extensions`: the buyer or monitor grants an extension (answering the
/// contractor's pending request for that deadline, if any); the contractor asks for one.
#[allow(clippy::too_many_arguments)]
pub fn extend(
    conn: &mut DbConnection,
    caller: &Caller,
    id: CaseId,
    req: ExtensionRequest,
    if_match: Option<i32>,
    now: NaiveDateTime,
    policy: &Policy,
) -> Result<(Case, bool), Error> {
    let seen = visible_row(conn, caller, id)?;
    let party = party_of(caller, &seen);
    if party == Party::Admin {
        return Err(Error::Forbidden(
            "only the buyer or the monitor grants extensions, and the contractor asks for them"
                .into(),
        ));
    }
    let mut row = take(conn, &seen.id, if_match)?;
    if row.state == CaseState::Closed {
        return Err(Error::conflict(
            "the case is closed; its deadlines no longer run",
        ));
    }
    let until = req.until.naive_utc();
    let slot = escalation::slot(&mut row, req.deadline);
    if slot.met {
        return Err(Error::conflict(format!(
            "the {} deadline has already been met",
            req.deadline
        )));
    }
    let current = *slot.due;
    if until <= current {
        return Err(Error::field(
            "until",
            format!(
                "an extension moves the deadline later than its current {}",
                utc(current).to_rfc3339()
            ),
        ));
    }
    if party == Party::Contractor {
        if let Some(p) = pending(&row)? {
            return Err(Error::conflict(format!(
                "your request of {} to move the {} deadline waits for an answer",
                p.requested_at.to_rfc3339(),
                p.deadline
            )));
        }
        let payload = json!({
            "deadline": req.deadline, "from": utc(current), "until": utc(until),
            "reason": req.reason,
        });
        let event = events::next(
            &mut row,
            EventKind::ExtensionRequested,
            &Actor::from(caller),
            payload,
            now,
            None,
        )?;
        row.extension_request = Some(serde_json::to_string(&PendingExtension {
            event_id: EventId::from_db(&event.id)?,
            deadline: req.deadline,
            until: utc(until),
            reason: req.reason.into_inner(),
            requested_at: utc(now),
        })?);
        insert_event(conn, &mut row, event, now)?;
        return Ok((view_one(conn, caller, row)?, false));
    }
    let level_before = row.escalation_level;
    let slot = escalation::slot(&mut row, req.deadline);
    *slot.due = until;
    *slot.extended_to = Some(until);
    // A deadline moved into the future no longer counts as missed: the level it raised goes
    // back down, and its reminder and escalation are re-armed for the new instant.
    if slot.escalated_for.is_some() && until > now {
        *slot.escalated_for = None;
    }
    escalation::reschedule(&mut row, policy.reminder_before);
    let mut payload = json!({
        "deadline": req.deadline, "from": utc(current), "until": utc(until), "reason": req.reason,
        "escalation_level": {"before": level_before, "after": row.escalation_level},
    });
    // A grant of the deadline the contractor asked about answers its request.
    if let Some(p) = pending(&row)?.filter(|p| p.deadline == req.deadline) {
        payload["request_id"] = json!(p.event_id);
        row.extension_request = None;
    }
    record(
        conn,
        &mut row,
        EventKind::ExtensionGranted,
        &Actor::from(caller),
        payload,
        now,
        None,
    )?;
    Ok((view_one(conn, caller, row)?, true))
}

/// `POST /cases/{id}/extensions/refusal`: the buyer or monitor refuses the pending request.
pub fn refuse_extension(
    conn: &mut DbConnection,
    caller: &Caller,
    id: CaseId,
    req: ExtensionRefusal,
    if_match: Option<i32>,
    now: NaiveDateTime,
) -> Result<Case, Error> {
    let seen = visible_row(conn, caller, id)?;
    if !matches!(party_of(caller, &seen), Party::Buyer | Party::Monitor) {
        return Err(Error::Forbidden(
            "only the buyer or the monitor answers an extension request".into(),
        ));
    }
    let mut row = take(conn, &seen.id, if_match)?;
    let Some(p) = pending(&row)? else {
        return Err(Error::conflict("no extension request waits for an answer"));
    };
    row.extension_request = None;
    let payload = json!({
        "request_id": p.event_id, "deadline": p.deadline, "until": p.until, "reason": req.reason,
    });
    record(
        conn,
        &mut row,
        EventKind::ExtensionRefused,
        &Actor::from(caller),
        payload,
        now,
        None,
    )?;
    view_one(conn, caller, row)
}

fn pending(row: &CaseRow) -> Result<Option<PendingExtension>, Error> {
    Ok(row
        .extension_request
        .as_deref()
        .map(serde_json::from_str)
        .transpose()?)
}

pub fn get(conn: &mut DbConnection, caller: &Caller, id: CaseId) -> Result<Case, Error> {
    let row = visible_row(conn, caller, id)?;
    view_one(conn, caller, row)
}

fn view_one(conn: &mut DbConnection, caller: &Caller, row: CaseRow) -> Result<Case, Error> {
    views(conn, caller, vec![row])?
        .pop()
        .ok_or_else(|| Error::internal("case view missing"))
}

/// Views of several cases with two batch queries (their contracts, their findings).
fn views(conn: &mut DbConnection, caller: &Caller, rows: Vec<CaseRow>) -> Result<Vec<Case>, Error> {
    let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
    let mut q = case_contracts::table
        .inner_join(contracts::table)
        .filter(case_contracts::case_id.eq_any(&ids))
        .select((case_contracts::case_id, case_contracts::contract_id))
        .order(case_contracts::contract_id.asc())
        .into_boxed();
    if caller.is(OrgKind::Buyer) {
        q = q.filter(contracts::buyer_id.eq(caller.organization_id.to_string()));
    }
    let mut contracts_of: HashMap<String, Vec<ContractId>> = HashMap::new();
    for (case_id, contract_id) in q.load::<(String, String)>(conn)? {
        contracts_of
            .entry(case_id)
            .or_default()
            .push(ContractId::from_db(&contract_id)?);
    }
    let finding_ids: Vec<String> = rows.iter().map(|r| r.finding_id.clone()).collect();
    let finding_rows: Vec<FindingRow> = findings::table
        .filter(findings::id.eq_any(&finding_ids))
        .select(FindingRow::as_select())
        .load(conn)?;
    let finding_of: HashMap<String, FindingRow> = finding_rows
        .into_iter()
        .map(|f| (f.id.clone(), f))
        .collect();
    let contractor_ids: Vec<&str> = rows.iter().map(|r| r.contractor_id.as_str()).collect();
    let name_of: HashMap<String, String> = organizations::table
        .filter(organizations::id.eq_any(&contractor_ids))
        .select((organizations::id, organizations::name))
        .load::<(String, String)>(conn)?
        .into_iter()
        .collect();
    rows.into_iter()
        .map(|row| {
            let finding = finding_of
                .get(&row.finding_id)
                .ok_or_else(|| Error::internal("case without finding"))?
                .summary()?;
            let (state, resume) = state_of(&row);
            let party = party_of(caller, &row);
            Ok(Case {
                id: CaseId::from_db(&row.id)?,
                finding_id: FindingId::from_db(&row.finding_id)?,
                contractor_id: OrganizationId::from_db(&row.contractor_id)?,
                contractor_name: name_of
                    .get(&row.contractor_id)
                    .cloned()
                    .ok_or_else(|| Error::internal("case without contractor"))?,
                contract_ids: contracts_of.remove(&row.id).unwrap_or_default(),
                factory_id: FactoryId::from_db(&row.factory_id)?,
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
        q = q.filter(cases::contractor_id.eq(c.to_string()));
    }
    if let Some(f) = filter.factory_id {
        q = q.filter(cases::factory_id.eq(f.to_string()));
    }
    if let Some(f) = filter.finding_id {
        q = q.filter(cases::finding_id.eq(f.to_string()));
    }
    if let Some(o) = filter.overdue {
        q = q.filter(cases::overdue.eq(o));
    }
    if let Some(c) = filter.contract_id {
        // A filter on a contract out of the caller's reach is refused like the contract itself:
        // the cases of a shared case's other buyer must not answer it.
        let mut k = contracts::table
            .filter(contracts::id.eq(c.to_string()))
            .select(contracts::id)
            .into_boxed();
        let me = caller.organization_id.to_string();
        match caller.kind {
            OrgKind::Buyer => k = k.filter(contracts::buyer_id.eq(me)),
            OrgKind::Contractor => k = k.filter(contracts::contractor_id.eq(me)),
            OrgKind::Admin | OrgKind::Monitor => {}
        }
        if k.first::<String>(conn).optional()?.is_none() {
            return Err(Error::NotFound("contract"));
        }
        q = q.filter(
            cases::id.eq_any(
                case_contracts::table
                    .filter(case_contracts::contract_id.eq(c.to_string()))
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
        CaseSort::Newest => Cursor::encode(&r.id),
        CaseSort::NextDeadline => Cursor::encode_with_time(&r.id, r.due_order),
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
                    .and(case_events::actor_organization_id.ne(row.contractor_id.clone()))
                    .and(case_events::actor_organization_id.ne(row.monitor_id.clone())),
            ),
        ));
    }
    let rows: Vec<EventRow> = q
        .order(case_events::seq.asc())
        .limit(page.fetch())
        .select(EventRow::as_select())
        .load(conn)?;
    Page::from_rows(
        rows,
        page,
        |e| Cursor::encode_with_key(&e.id, e.seq.into()),
        |e| shown_to(&reader, &row, e),
    )
}

/// An event as `reader` sees it (see `visibility`).
fn shown_to(reader: &visibility::Reader, case: &CaseRow, e: EventRow) -> Result<Event, Error> {
    let mut event = e.view()?;
    let actor = event.actor_organization_id.map(|a| a.to_string());
    let shown = visibility::show(
        reader,
        &case.contractor_id,
        &case.monitor_id,
        &event.kind,
        actor.as_deref(),
        std::mem::take(&mut event.payload),
    )
    .ok_or_else(|| Error::internal("an event hidden from its reader was selected"))?;
    event.payload = shown.payload;
    event.redacted = shown.redacted;
    if !shown.actor_shown {
        event.actor_organization_id = None;
        event.actor_token_id = None;
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
    buyer_reader(conn, &caller.organization_id.to_string(), &case.id)
}

/// A buyer reading a case, with its own contracts on the case.
pub fn buyer_reader(
    conn: &mut DbConnection,
    buyer: &str,
    case: &str,
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

/// (case id, contractor id, contract ids) per finding id.
pub type CasesByFinding = HashMap<String, Vec<(String, String, Vec<String>)>>;

/// The cases of findings, for their monitor.
pub fn of_finding(
    conn: &mut DbConnection,
    finding_ids: &[String],
) -> Result<CasesByFinding, Error> {
    let rows: Vec<(String, String, String)> = cases::table
        .filter(cases::finding_id.eq_any(finding_ids))
        .order(cases::id.asc())
        .select((cases::finding_id, cases::id, cases::contractor_id))
        .load(conn)?;
    let ids: Vec<String> = rows.iter().map(|r| r.1.clone()).collect();
    let mut contracts_of: HashMap<String, Vec<String>> = HashMap::new();
    for (case_id, contract_id) in case_contracts::table
        .filter(case_contracts::case_id.eq_any(&ids))
        .order(case_contracts::contract_id.asc())
        .select((case_contracts::case_id, case_contracts::contract_id))
        .load::<(String, String)>(conn)?
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
