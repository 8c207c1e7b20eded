//! The three deadlines of a case (acknowledge, plan, remediation), set from the policy when
//! it opens. The scheduling rules here decide, from a case row alone, which deadlines are
//! still running, when the next reminder or escalation is due (`next_action_at`, indexed, so
//! the sweep reads only what is due), and the escalation level.

use chrono::{NaiveDateTime, TimeDelta};

use super::core::clock_runs;
use super::events::GENESIS;
use super::lifecycle::CaseState;
use super::policy::Policy;
use super::{CaseRow, DeadlineKind, Parties};
use crate::findings::Category;
use crate::findings::Severity;
use crate::values::CaseId;

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
    if !clock_runs(row.state) {
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

/// A case as it is the moment it opens, before its first event: open, its deadlines
/// running from `now` under `policy`, and its first reminder scheduled. The one place a
/// new case row is written out.
pub fn opened(
    parties: Parties,
    category: Category,
    severity: Severity,
    now: NaiveDateTime,
    policy: &Policy,
) -> CaseRow {
    let due = due_dates(policy, severity, now);
    let Parties {
        finding_id,
        contractor_id,
        monitor_id,
        factory_id,
    } = parties;
    let mut row = CaseRow {
        id: CaseId::new(),
        finding_id,
        contractor_id,
        monitor_id,
        factory_id,
        category,
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
        due_order: far_future(),
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
    reschedule(&mut row, policy.reminder_before);
    row
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cases::CaseState;
    use crate::findings::Category;
    use crate::values::{FactoryId, FindingId, OrganizationId};
    use chrono::NaiveDate;

    fn t(hours: i64) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(2026, 3, 2)
            .and_then(|d| d.and_hms_opt(9, 0, 0))
            .unwrap()
            + TimeDelta::hours(hours)
    }

    const DAY: i64 = 24;

    /// A major case opened at `t(0)` under the default policy, as `cases::service::open`
    /// writes it (acknowledge in 7 days, plan in 14, remediation in 90).
    fn case() -> CaseRow {
        let parties = Parties {
            finding_id: FindingId::new(),
            contractor_id: OrganizationId::new(),
            monitor_id: OrganizationId::new(),
            factory_id: FactoryId::new(),
        };
        opened(
            parties,
            Category::ALL[0],
            Severity::Major,
            t(0),
            &Policy::default(),
        )
    }

    const RB: TimeDelta = TimeDelta::hours(24);

    #[test]
    fn due_dates_run_from_the_opening_by_severity() {
        let p = Policy::default();
        let d = due_dates(&p, Severity::Critical, t(0));
        assert_eq!(
            (d.acknowledge, d.plan, d.remediation),
            (t(2 * DAY), t(7 * DAY), t(30 * DAY))
        );
        let d = due_dates(&p, Severity::Minor, t(5));
        assert_eq!(d.acknowledge, t(5 + 14 * DAY));
    }

    #[test]
    fn the_clock_runs_only_while_the_contractor_has_something_to_do() {
        let runs: Vec<CaseState> = CaseState::ALL
            .iter()
            .copied()
            .filter(|s| clock_runs(*s))
            .collect();
        assert_eq!(
            runs,
            [
                CaseState::Open,
                CaseState::Acknowledged,
                CaseState::PlanAccepted
            ]
        );
    }

    #[test]
    fn a_deadline_runs_until_met_and_only_while_the_clock_runs() {
        let mut row = case();
        assert!(KINDS.iter().all(|k| running(&row, *k)));
        row.acknowledged_at = Some(t(1));
        assert!(!running(&row, DeadlineKind::Acknowledge));
        assert!(slot(&mut row, DeadlineKind::Acknowledge).met);
        assert!(running(&row, DeadlineKind::Plan));
        row.state = CaseState::PlanSubmitted;
        assert!(KINDS.iter().all(|k| !running(&row, *k)));
        row.state = CaseState::PlanAccepted;
        row.plan_accepted_at = Some(t(2));
        assert!(!running(&row, DeadlineKind::Plan));
        assert!(running(&row, DeadlineKind::Remediation));
    }

    #[test]
    fn a_fresh_case_is_reminded_before_its_first_deadline() {
        let row = case();
        assert_eq!(row.escalation_level, 0);
        assert!(!row.overdue);
        assert_eq!(row.next_due_at, Some(t(7 * DAY)));
        assert_eq!(row.due_order, t(7 * DAY));
        assert_eq!(row.next_action_at, Some(t(7 * DAY) - RB));
    }

    #[test]
    fn after_the_reminder_the_next_action_is_the_escalation_or_the_next_reminder() {
        let mut row = case();
        row.acknowledge_reminded_for = Some(row.acknowledge_due_at);
        reschedule(&mut row, RB);
        assert_eq!(row.next_action_at, Some(t(7 * DAY)));
        // A moved deadline re-arms its reminder.
        row.acknowledge_due_at = t(10 * DAY);
        reschedule(&mut row, RB);
        assert_eq!(row.next_action_at, Some(t(10 * DAY) - RB));
    }

    #[test]
    fn each_missed_deadline_raises_the_level_and_is_no_longer_the_next_one() {
        let mut row = case();
        row.acknowledge_escalated_for = Some(row.acknowledge_due_at);
        row.acknowledge_reminded_for = Some(row.acknowledge_due_at);
        reschedule(&mut row, RB);
        assert_eq!(row.escalation_level, 1);
        assert!(!row.overdue);
        assert_eq!(row.next_due_at, Some(t(14 * DAY)));
        // The sort order still puts the missed deadline first.
        assert_eq!(row.due_order, t(7 * DAY));
        assert_eq!(row.next_action_at, Some(t(14 * DAY) - RB));
        row.plan_escalated_for = Some(row.plan_due_at);
        reschedule(&mut row, RB);
        assert_eq!(row.escalation_level, 2);
        assert!(row.overdue);
        row.remediation_escalated_for = Some(row.remediation_due_at);
        row.remediation_reminded_for = Some(row.remediation_due_at);
        reschedule(&mut row, RB);
        assert_eq!(row.escalation_level, 3);
        assert_eq!(row.next_due_at, None);
        assert_eq!(row.next_action_at, None);
        // An extension takes a level back; the highest level reached is kept.
        row.plan_escalated_for = None;
        row.remediation_escalated_for = None;
        reschedule(&mut row, RB);
        assert_eq!(row.escalation_level, 1);
        assert_eq!(row.max_escalation_level, 3);
        assert!(!row.overdue);
    }

    #[test]
    fn a_case_waiting_on_the_monitor_has_no_deadline_and_no_action() {
        let mut row = case();
        row.state = CaseState::PlanSubmitted;
        row.acknowledged_at = Some(t(1));
        row.acknowledge_escalated_for = Some(row.acknowledge_due_at);
        reschedule(&mut row, RB);
        assert_eq!(row.next_due_at, None);
        assert_eq!(row.next_action_at, None);
        assert_eq!(row.due_order, far_future());
        // A level raised before still counts.
        assert_eq!(row.escalation_level, 1);
    }

    #[test]
    fn cases_without_a_deadline_sort_last() {
        assert_eq!(due_order(None), far_future());
        assert_eq!(due_order(Some(t(0))), t(0));
        assert!(far_future() > t(100 * 365 * DAY));
    }
}
