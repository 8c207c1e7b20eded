//! Deadlines and escalation. Each case has three deadlines (acknowledge, plan, remediation)
//! set from the policy when it opens. The scheduling rules here decide, from a case row alone,
//! which deadlines are still running, when the next reminder or escalation is due
//! (`next_action_at`, indexed, so the sweep reads only what is due), and the escalation level.

pub mod policy;
pub mod recompute;
pub mod sweep;

use chrono::{NaiveDateTime, TimeDelta};

pub use policy::{Deadlines, Policy};

use crate::cases::{CaseRow, CaseState, DeadlineKind};
use crate::findings::Severity;

/// The three deadline instants of a case opened at `opened_at`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DueDates {
    pub acknowledge: NaiveDateTime,
    pub plan: NaiveDateTime,
    pub remediation: NaiveDateTime,
}

pub fn due_dates(policy: &Policy, severity: Severity, opened_at: NaiveDateTime) -> DueDates {
    let d = policy.for_severity(severity);
    DueDates {
        acknowledge: opened_at + d.acknowledge,
        plan: opened_at + d.plan,
        remediation: opened_at + d.remediation,
    }
}

/// States in which the contractor's clock runs. In the others the case waits on the monitor
/// (a plan to review, a dispute to answer, remediation to verify) or is done.
pub fn clock_runs(state: CaseState) -> bool {
    matches!(
        state,
        CaseState::Open | CaseState::Acknowledged | CaseState::PlanAccepted
    )
}

pub const KINDS: [DeadlineKind; 3] = [
    DeadlineKind::Acknowledge,
    DeadlineKind::Plan,
    DeadlineKind::Remediation,
];

/// Read and write access to one deadline's columns.
pub struct Slot<'a> {
    pub due: &'a mut NaiveDateTime,
    pub extended_to: &'a mut Option<NaiveDateTime>,
    pub reminded_for: &'a mut Option<NaiveDateTime>,
    pub escalated_for: &'a mut Option<NaiveDateTime>,
    /// Whether the matching transition has met it.
    pub met: bool,
}

pub fn slot(row: &mut CaseRow, kind: DeadlineKind) -> Slot<'_> {
    match kind {
        DeadlineKind::Acknowledge => Slot {
            met: row.acknowledged_at.is_some(),
            due: &mut row.acknowledge_due_at,
            extended_to: &mut row.acknowledge_extended_to,
            reminded_for: &mut row.acknowledge_reminded_for,
            escalated_for: &mut row.acknowledge_escalated_for,
        },
        DeadlineKind::Plan => Slot {
            met: row.plan_accepted_at.is_some(),
            due: &mut row.plan_due_at,
            extended_to: &mut row.plan_extended_to,
            reminded_for: &mut row.plan_reminded_for,
            escalated_for: &mut row.plan_escalated_for,
        },
        DeadlineKind::Remediation => Slot {
            met: row.remediated_at.is_some(),
            due: &mut row.remediation_due_at,
            extended_to: &mut row.remediation_extended_to,
            reminded_for: &mut row.remediation_reminded_for,
            escalated_for: &mut row.remediation_escalated_for,
        },
    }
}

/// Whether a deadline still runs against the contractor: not met, and the clock running.
pub fn running(row: &CaseRow, kind: DeadlineKind) -> bool {
    let state = row.state.parse::<CaseState>().unwrap_or(CaseState::Closed);
    if !clock_runs(state) {
        return false;
    }
    match kind {
        DeadlineKind::Acknowledge => row.acknowledged_at.is_none(),
        DeadlineKind::Plan => row.plan_accepted_at.is_none(),
        DeadlineKind::Remediation => row.remediated_at.is_none(),
    }
}

/// Recomputes the derived columns of a case: the level (one per escalated deadline), the
/// overdue flag (level 2 and up), the next deadline shown to people, and the instant of the
/// next reminder or escalation.
pub fn reschedule(row: &mut CaseRow, reminder_before: TimeDelta) {
    let mut level = 0;
    let mut next_deadline: Option<NaiveDateTime> = None;
    let mut soonest: Option<NaiveDateTime> = None;
    let mut next_action: Option<NaiveDateTime> = None;
    for kind in KINDS {
        let runs = running(row, kind);
        let s = slot(row, kind);
        if s.escalated_for.is_some() {
            level += 1;
        }
        if !runs {
            continue;
        }
        let due = *s.due;
        // The next deadline people are told of is one still ahead: a missed one is reported
        // as missed (its escalation), not as "next". The sort order still puts an overdue
        // case first.
        soonest = Some(soonest.map_or(due, |n| n.min(due)));
        if *s.escalated_for != Some(due) {
            next_deadline = Some(next_deadline.map_or(due, |n| n.min(due)));
        }
        let action = if *s.reminded_for != Some(due) && *s.escalated_for != Some(due) {
            Some(due - reminder_before)
        } else if *s.escalated_for != Some(due) {
            Some(due)
        } else {
            None
        };
        if let Some(a) = action {
            next_action = Some(next_action.map_or(a, |n| n.min(a)));
        }
    }
    row.escalation_level = level.min(3);
    row.max_escalation_level = row.max_escalation_level.max(row.escalation_level);
    row.overdue = row.escalation_level >= 2;
    row.next_due_at = next_deadline;
    row.due_order = due_order(soonest);
    row.next_action_at = next_action;
}

/// Sort key for "by next deadline": cases without one come last.
pub fn due_order(next: Option<NaiveDateTime>) -> NaiveDateTime {
    next.unwrap_or_else(far_future)
}

pub fn far_future() -> NaiveDateTime {
    chrono::NaiveDate::from_ymd_opt(9999, 12, 31)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .unwrap_or(NaiveDateTime::MAX)
}

/// Records the policy in force (once per version), so every case's `policy_version` can be
/// looked up later.
pub fn register_policy(
    conn: &mut crate::db::DbConnection,
    policy: &Policy,
    now: NaiveDateTime,
) -> Result<(), crate::error::Error> {
    use crate::schema::deadline_policies as p;
    use diesel::prelude::*;
    let version = policy.version();
    let known: i64 = p::table
        .filter(p::version.eq(&version))
        .count()
        .get_result(conn)?;
    if known == 0 {
        let inserted = diesel::insert_into(p::table)
            .values((
                p::version.eq(&version),
                p::document.eq(policy.document().to_string()),
                p::created_at.eq(now),
            ))
            .execute(conn);
        match inserted {
            // Another instance starting at the same moment registered it first.
            Err(diesel::result::Error::DatabaseError(
                diesel::result::DatabaseErrorKind::UniqueViolation,
                _,
            )) => {}
            other => {
                other?;
            }
        }
    }
    Ok(())
}
