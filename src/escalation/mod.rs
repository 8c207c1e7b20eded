//! Deadlines and escalation. The policy sets, per severity, how long a contractor has to
//! acknowledge a case, to submit a plan that is later accepted, and to report remediation,
//! counted from the moment the case opens.

use chrono::{NaiveDateTime, TimeDelta};

use crate::cases::CaseState;
use crate::findings::Severity;

/// Durations from the opening of a case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deadlines {
    pub acknowledge: TimeDelta,
    pub plan: TimeDelta,
    pub remediation: TimeDelta,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    pub critical: Deadlines,
    pub major: Deadlines,
    pub minor: Deadlines,
}

impl Default for Policy {
    /// DESIGN.md: plan deadlines follow the RBA corrective action plans (7 days for priority
    /// findings, 14 otherwise); acknowledgement within 7 days follows the EU whistleblower rules.
    fn default() -> Policy {
        let days = |a, p, r| Deadlines {
            acknowledge: TimeDelta::days(a),
            plan: TimeDelta::days(p),
            remediation: TimeDelta::days(r),
        };
        Policy {
            critical: days(2, 7, 30),
            major: days(7, 14, 90),
            minor: days(14, 30, 180),
        }
    }
}

impl Policy {
    pub fn for_severity(&self, severity: Severity) -> Deadlines {
        match severity {
            Severity::Critical => self.critical,
            Severity::Major => self.major,
            Severity::Minor => self.minor,
        }
    }
}

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

/// The deadline the contractor is working against in `state`, if any. While the case waits
/// on the monitor (a plan to accept, a dispute to answer) or is done, no clock runs.
pub fn next_due(state: CaseState, due: &DueDates) -> Option<NaiveDateTime> {
    match state {
        CaseState::Open => Some(due.acknowledge),
        CaseState::Acknowledged => Some(due.plan),
        CaseState::PlanAccepted => Some(due.remediation),
        CaseState::PlanSubmitted
        | CaseState::Remediated
        | CaseState::Verified
        | CaseState::Disputed
        | CaseState::Closed => None,
    }
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
