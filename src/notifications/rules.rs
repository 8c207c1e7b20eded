//! Which events notify whom. This table is the single source; docs/notifications.md shows it
//! to people.

use crate::cases::EventKind;
use crate::values::text_enum;

text_enum!(
    /// The parties of a case, as recipients.
    Recipient {
        /// The contractor's notification addresses.
        Contractor => "contractor",
        /// The contractor's escalation contacts (its notification addresses when it has none).
        ContractorEscalation => "contractor_escalation",
        /// The buyer of each affected contract.
        Buyers => "buyers",
        /// The monitor that filed the finding.
        Monitor => "monitor",
    }
);

/// Recipients of an event of `kind` with `payload` (an escalation's `level`, an opening's
/// `late_routing`). The organization that caused the event is never notified of its own act,
/// and each buyer only of what it may read of the case (see `outbox`).
pub fn recipients(kind: EventKind, payload: &serde_json::Value) -> &'static [Recipient] {
    use EventKind as K;
    use Recipient::*;
    let level = payload.get("level").and_then(|l| l.as_i64());
    match kind {
        // A finding routed late (a disclosure made the factory reachable) is news to its
        // monitor too.
        K::Opened if payload["late_routing"] == true => &[Contractor, Buyers, Monitor],
        K::Opened => &[Contractor, Buyers],
        K::Acknowledged => &[Monitor, Buyers],
        K::PlanSubmitted => &[Monitor],
        K::PlanAccepted | K::PlanRejected => &[Contractor],
        K::RemediationReported => &[Monitor],
        K::Verified | K::Closed | K::Reopened => &[Contractor, Buyers],
        K::Disputed => &[Monitor, Buyers],
        K::Comment => &[Contractor, Buyers, Monitor],
        // The mail names the file and its size; the file itself stays in the service.
        K::FileAttached => &[Contractor, Buyers, Monitor],
        K::ExtensionGranted | K::ExtensionRefused => &[Contractor, Buyers, Monitor],
        K::ExtensionRequested => &[Buyers, Monitor],
        K::Reminder => &[Contractor],
        K::Escalated => match level {
            // Level 1: the contractor's escalation contact and the buyer.
            Some(1) => &[ContractorEscalation, Buyers],
            // Level 2: the case is overdue in the buyer's status; the monitor is told.
            Some(2) => &[ContractorEscalation, Buyers, Monitor],
            // Level 3: non-cooperation, the trigger for contractual remedies.
            _ => &[ContractorEscalation, Buyers, Monitor],
        },
        K::DeadlinesRecomputed => &[Contractor],
    }
}

/// Every event kind that notifies someone (tests render a template for each): all of them.
pub const NOTIFYING_KINDS: &[EventKind] = EventKind::ALL;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_notifying_kind_has_recipients() {
        use serde_json::json;
        for kind in NOTIFYING_KINDS {
            assert!(
                !recipients(*kind, &json!({"level": 1})).is_empty(),
                "{kind}"
            );
        }
        // A kind the service does not know cannot be stored (it is refused at load), so
        // `recipients` has no fallback for one.
        assert!("unknown".parse::<EventKind>().is_err());
        let k = |s: &str| s.parse::<EventKind>().unwrap();
        assert!(recipients(k("escalated"), &json!({"level": 2})).contains(&Recipient::Monitor));
        assert!(!recipients(k("escalated"), &json!({"level": 1})).contains(&Recipient::Monitor));
        assert!(
            !recipients(k("opened"), &json!({"late_routing": false})).contains(&Recipient::Monitor)
        );
        assert!(
            recipients(k("opened"), &json!({"late_routing": true})).contains(&Recipient::Monitor)
        );
    }
}
