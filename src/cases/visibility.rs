//! Who reads what of a case's history. A case can list contracts of several buyers (one
//! contractor supplying two public bodies from one factory), and buyers are not told of each
//! other: each buyer sees the case, its own contracts, and what the contractor and the monitor
//! say; what another buyer says or does on the case is its own business with the contractor
//! and the monitor. The contractor, the monitor and the operator read the whole history.
//!
//! The one rule, applied to the history (`GET /cases/{id}/events`, `/comments`), the mail each
//! event causes (`notifications::outbox`) and the contract's recent activity
//! (`due_diligence`):
//! * a comment by another buyer, or a file it attached, is not shown at all;
//! * any other event caused by another buyer (an extension it granted, a request it refused)
//!   is shown without its actor and without its words (`reason`, `note`, `text`), marked
//!   `redacted`, because the deadlines it moved are part of the case everyone sees;
//! * the contract ids an event names (the `opened` event's `contract_ids`) are narrowed to the
//!   buyer's own contracts.

use std::collections::HashSet;

use serde_json::Value;

use super::kinds::EventKind;

/// The reader of a case's history.
#[derive(Debug, Clone)]
pub enum Reader {
    /// The contractor, the monitor of the case, or the operator.
    Whole,
    /// A buyer, with the ids of its own contracts on this case.
    Buyer {
        organization_id: String,
        contracts: HashSet<String>,
    },
}

/// One event as a reader sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct Shown {
    pub payload: Value,
    /// Whether the reader may know who caused the event.
    pub actor_shown: bool,
    /// Whether something was withheld.
    pub redacted: bool,
}

/// Whether an event was caused by a buyer other than `me`: an actor that is neither the reader,
/// nor the case's contractor, nor its monitor (the service acts as nobody).
pub fn by_other_buyer(me: &str, contractor: &str, monitor: &str, actor: Option<&str>) -> bool {
    actor.is_some_and(|a| a != me && a != contractor && a != monitor)
}

/// Fields of a payload that carry a party's own words.
const WORDS: [&str; 3] = ["reason", "note", "text"];

/// What `reader` sees of an event of `kind` caused by `actor` on a case of `contractor` and
/// `monitor`; `None` when the event is not shown to it at all.
pub fn show(
    reader: &Reader,
    contractor: &str,
    monitor: &str,
    kind: EventKind,
    actor: Option<&str>,
    mut payload: Value,
) -> Option<Shown> {
    let Reader::Buyer {
        organization_id: me,
        contracts,
    } = reader
    else {
        return Some(Shown {
            payload,
            actor_shown: true,
            redacted: false,
        });
    };
    let other = by_other_buyer(me, contractor, monitor, actor);
    if other && matches!(kind, EventKind::Comment | EventKind::FileAttached) {
        return None;
    }
    let mut redacted = false;
    if let Some(obj) = payload.as_object_mut() {
        if other {
            for w in WORDS {
                redacted |= obj.remove(w).is_some();
            }
        }
        if let Some(Value::Array(ids)) = obj.get_mut("contract_ids") {
            let before = ids.len();
            ids.retain(|id| id.as_str().is_some_and(|id| contracts.contains(id)));
            redacted |= ids.len() != before;
        }
    }
    Some(Shown {
        payload,
        actor_shown: !other,
        redacted: redacted || other,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn buyer(me: &str, contracts: &[&str]) -> Reader {
        Reader::Buyer {
            organization_id: me.into(),
            contracts: contracts.iter().map(|c| c.to_string()).collect(),
        }
    }

    #[test]
    fn another_buyer_s_words_and_contracts_stay_with_it() {
        let b1 = buyer("b1", &["k1"]);
        // Its own comment, the contractor's, the monitor's: shown whole.
        for actor in ["b1", "c", "m"] {
            let s = show(
                &b1,
                "c",
                "m",
                EventKind::Comment,
                Some(actor),
                json!({"text": "hi"}),
            )
            .unwrap();
            assert_eq!(s.payload["text"], "hi");
            assert!(s.actor_shown && !s.redacted);
        }
        // Another buyer's comment: not there at all; its extension: there, without words.
        assert!(show(
            &b1,
            "c",
            "m",
            EventKind::Comment,
            Some("b2"),
            json!({"text": "x"})
        )
        .is_none());
        let ext =
            json!({"deadline": "plan", "reason": "our tender", "until": "2027-01-01T00:00:00Z"});
        let s = show(
            &b1,
            "c",
            "m",
            EventKind::ExtensionGranted,
            Some("b2"),
            ext.clone(),
        )
        .unwrap();
        assert!(s.payload.get("reason").is_none() && s.payload["until"] == ext["until"]);
        assert!(!s.actor_shown && s.redacted);
        // The service's events are nobody's.
        let s = show(
            &b1,
            "c",
            "m",
            EventKind::Escalated,
            None,
            json!({"level": 1}),
        )
        .unwrap();
        assert!(s.actor_shown && !s.redacted);
        // Contract ids narrowed to the reader's own.
        let s = show(
            &b1,
            "c",
            "m",
            EventKind::Opened,
            None,
            json!({"contract_ids": ["k1", "k2"]}),
        )
        .unwrap();
        assert_eq!(s.payload["contract_ids"], json!(["k1"]));
        assert!(s.redacted);
        // Everyone else reads everything.
        let s = show(
            &Reader::Whole,
            "c",
            "m",
            EventKind::Comment,
            Some("b2"),
            json!({"text": "x"}),
        )
        .unwrap();
        assert_eq!(s.payload["text"], "x");
    }
}
