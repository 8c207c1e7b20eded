//! Which events notify whom. This table is the single source; docs/notifications.md shows it
//! to people.

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
pub fn recipients(kind: &str, payload: &serde_json::Value) -> &'static [Recipient] {
    use Recipient::*;
    let level = payload.get("level").and_then(|l| l.as_i64());
    match kind {
        // A finding routed late (a disclosure made the factory reachable) is news to its
        // monitor too.
        "opened" if payload["late_routing"] == true => &[Contractor, Buyers, Monitor],
        "opened" => &[Contractor, Buyers],
        "acknowledged" => &[Monitor, Buyers],
        "plan_submitted" => &[Monitor],
        "plan_accepted" | "plan_rejected" => &[Contractor],
        "remediation_reported" => &[Monitor],
        "verified" | "closed" | "reopened" => &[Contractor, Buyers],
        "disputed" => &[Monitor, Buyers],
        "comment" => &[Contractor, Buyers, Monitor],
        "extension_granted" | "extension_refused" => &[Contractor, Buyers, Monitor],
        "extension_requested" => &[Buyers, Monitor],
        "reminder" => &[Contractor],
        "escalated" => match level {
            // Level 1: the contractor's escalation contact and the buyer.
            Some(1) => &[ContractorEscalation, Buyers],
            // Level 2: the case is overdue in the buyer's status; the monitor is told.
            Some(2) => &[ContractorEscalation, Buyers, Monitor],
            // Level 3: non-cooperation, the trigger for contractual remedies.
            _ => &[ContractorEscalation, Buyers, Monitor],
        },
        "deadlines_recomputed" => &[Contractor],
        _ => &[],
    }
}

/// Every event kind that notifies someone (tests render a template for each).
pub const NOTIFYING_KINDS: &[&str] = &[
    "opened",
    "acknowledged",
    "plan_submitted",
    "plan_accepted",
    "plan_rejected",
    "remediation_reported",
    "verified",
    "closed",
    "reopened",
    "disputed",
    "comment",
    "extension_requested",
    "extension_granted",
    "extension_refused",
    "reminder",
    "escalated",
    "deadlines_recomputed",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_notifying_kind_has_recipients() {
        use serde_json::json;
        for kind in NOTIFYING_KINDS {
            assert!(!recipients(kind, &json!({"level": 1})).is_empty(), "{kind}");
        }
        assert!(recipients("unknown", &json!({})).is_empty());
        assert!(recipients("escalated", &json!({"level": 2})).contains(&Recipient::Monitor));
        assert!(!recipients("escalated", &json!({"level": 1})).contains(&Recipient::Monitor));
        assert!(
            !recipients("opened", &json!({"late_routing": false})).contains(&Recipient::Monitor)
        );
        assert!(recipients("opened", &json!({"late_routing": true})).contains(&Recipient::Monitor));
    }
}
