//! What each change to a case requires and does: opening a case, a transition, a comment, an
//! extension asked for, granted or refused. Each takes the case under its lock
//! (`store::take`), checks the rules on that row, and records one event in the same
//! transaction. Who may do what is `access`; reading cases is `query`.

use chrono::NaiveDateTime;
use serde_json::json;

use super::access::{self, party_of, visible_row};
use super::core::Step;
use super::deadlines;
use super::events::{self, Actor, Event, EventKind, EventRow};
use super::lifecycle::{self, Action, CaseState, Party};
use super::policy::Policy;
use super::query::{pending, view_one};
use super::store::{self, lock_case, record, take};
use super::{
    Case, CaseRow, CommentRequest, ExtensionRefusal, ExtensionRequest, Parties, PendingExtension,
    Plan, TransitionRequest,
};
use crate::auth::Caller;
use crate::clock::utc;
use crate::db::DbConnection;
use crate::error::Error;
use crate::findings::FindingRow;
use crate::values::{CaseId, ContractId, OrganizationId};

/// How cases are opened: who is named as the actor, whether the finding reaches the
/// contractor late (it was filed before), the instant, and the deadline policy.
#[derive(Debug, Clone, Copy)]
pub struct Opening<'a> {
    pub actor: Actor,
    pub late: bool,
    pub now: NaiveDateTime,
    pub policy: &'a Policy,
}

/// A new case for `contractor` on `finding` with its first event, not yet written (the
/// finding's cases are written together by `store::insert_all_new`). Deadlines run from now:
/// the moment the contractor is told.
pub fn opening(
    finding: &FindingRow,
    contractor: OrganizationId,
    contract_ids: &[ContractId],
    opening: &Opening,
) -> Result<(CaseRow, EventRow), Error> {
    let Opening {
        actor,
        late,
        now,
        policy,
    } = *opening;
    let parties = Parties {
        finding_id: finding.id,
        contractor_id: contractor,
        monitor_id: finding.monitor_id,
        factory_id: finding.factory_id,
    };
    let mut row = deadlines::opened(parties, finding.category, finding.severity, now, policy);
    let due = (
        row.acknowledge_due_at,
        row.plan_due_at,
        row.remediation_due_at,
    );
    let payload = json!({
        "finding_id": finding.id,
        "contract_ids": contract_ids,
        "severity": finding.severity,
        "late_routing": late,
        "policy_version": row.policy_version,
        "deadlines": {
            "acknowledge": utc(due.0),
            "plan": utc(due.1),
            "remediation": utc(due.2),
        },
    });
    // The first event is chained before the case row is written, so the row goes in once
    // with its chain head rather than being inserted and then updated.
    let event = events::next(&mut row, EventKind::Opened, &actor, payload, now, None)?;
    Ok((row, event))
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
        (None, Action::ReportRemediated) if req.note.is_none() && req.files.is_none() => {
            return Err(Error::field(
                "evidence",
                "report_remediated needs evidence, files or a note saying what was done",
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
    if req.files.is_some() && !matches!(req.action, Action::SubmitPlan | Action::ReportRemediated) {
        return Err(Error::field(
            "files",
            format!(
                "files go with submit_plan or report_remediated, not {}",
                req.action
            ),
        ));
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
    access::may_take(party, req.action)?;
    // The rule is checked on the state read under the lock this change takes: a concurrent
    // writer has either committed before (and we see its state) or waits for us.
    let mut row = take(conn, seen.id, if_match)?;
    let (state, resume) = (row.state, row.resume_state);
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
    deadlines::reschedule(&mut row, policy.reminder_before);
    let mut payload = json!({"action": req.action, "from": state, "to": next});
    if resubmission {
        payload["resubmission"] = json!(true);
    }
    // A request to move a deadline lapses once that deadline is met or the case is closed.
    if let Some(p) = pending(&row)? {
        if next == CaseState::Closed || deadlines::slot(&mut row, p.deadline).met {
            row.extension_request = None;
            payload["extension_request_lapsed"] = json!(p.event_id);
        }
    }
    if let Some(ids) = &req.files {
        payload["files"] = json!(crate::files::service::evidence(conn, &row, ids)?);
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
    access::may_comment(party_of(caller, &row))?;
    let mut row = lock_case(conn, row.id)?;
    let event = record(
        conn,
        &mut row,
        EventKind::Comment,
        &Actor::from(caller),
        json!({"text": req.text}),
        now,
        None,
    )?;
    let mut shown = [event.view()?];
    events::name_actors(conn, &mut shown)?;
    let [event] = shown;
    Ok(event)
}

/// `POST /cases/{id}/extensions`: the buyer or monitor grants an extension (answering the
/// contractor's pending request for that deadline, if any); the contractor asks for one.
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
    access::may_extend(party)?;
    let mut row = take(conn, seen.id, if_match)?;
    if row.state == CaseState::Closed {
        return Err(Error::conflict(
            "the case is closed; its deadlines no longer run",
        ));
    }
    let until = req.until.naive_utc();
    let slot = deadlines::slot(&mut row, req.deadline);
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
            event_id: event.id,
            deadline: req.deadline,
            until: utc(until),
            reason: req.reason.into_inner(),
            requested_at: utc(now),
        })?);
        store::insert_event(conn, &mut row, event, now)?;
        return Ok((view_one(conn, caller, row)?, false));
    }
    let level_before = row.escalation_level;
    let slot = deadlines::slot(&mut row, req.deadline);
    *slot.due = until;
    *slot.extended_to = Some(until);
    // A deadline moved into the future no longer counts as missed: the level it raised goes
    // back down, and its reminder and escalation are re-armed for the new instant.
    if slot.escalated_for.is_some() && until > now {
        *slot.escalated_for = None;
    }
    deadlines::reschedule(&mut row, policy.reminder_before);
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
    access::may_refuse_extension(party_of(caller, &seen))?;
    let mut row = take(conn, seen.id, if_match)?;
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
