//! The vocabulary of a case's history: what an event records, and which deadline it is about.
//! Its own module, below both the pure core and the event chain, which use it.

use super::lifecycle::Action;
use crate::values::text_enum;

text_enum!(
    /// What an event records. The first nine after `opened` are the transitions (one per
    /// `Action`); the others leave the state as it is.
    EventKind {
        Opened => "opened",
        Acknowledged => "acknowledged",
        PlanSubmitted => "plan_submitted",
        PlanAccepted => "plan_accepted",
        PlanRejected => "plan_rejected",
        RemediationReported => "remediation_reported",
        Verified => "verified",
        Disputed => "disputed",
        Closed => "closed",
        Reopened => "reopened",
        Comment => "comment",
        ExtensionRequested => "extension_requested",
        ExtensionGranted => "extension_granted",
        ExtensionRefused => "extension_refused",
        Reminder => "reminder",
        Escalated => "escalated",
        DeadlinesRecomputed => "deadlines_recomputed",
        FileAttached => "file_attached",
    }
);

impl EventKind {
    /// The event a transition records.
    pub fn of(action: Action) -> EventKind {
        match action {
            Action::Acknowledge => EventKind::Acknowledged,
            Action::SubmitPlan => EventKind::PlanSubmitted,
            Action::AcceptPlan => EventKind::PlanAccepted,
            Action::RejectPlan => EventKind::PlanRejected,
            Action::ReportRemediated => EventKind::RemediationReported,
            Action::Verify => EventKind::Verified,
            Action::Dispute => EventKind::Disputed,
            Action::Close => EventKind::Closed,
            Action::Reopen => EventKind::Reopened,
        }
    }

    /// Whether this kind records a transition (its payload has `action`, `from` and `to`).
    pub fn is_transition(self) -> bool {
        Action::ALL.iter().any(|a| EventKind::of(*a) == self)
    }
}

text_enum!(
    /// The three deadlines of a case.
    DeadlineKind { Acknowledge => "acknowledge", Plan => "plan", Remediation => "remediation" }
);
