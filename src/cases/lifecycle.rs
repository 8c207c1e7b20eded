//! The case state machine: which party may take which action in which state, and where it
//! leads. Pure functions, so the whole table is tested without a database.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::values::text_enum;

text_enum!(
    /// Where a case stands.
    CaseState {
        Open => "open",
        Acknowledged => "acknowledged",
        PlanSubmitted => "plan_submitted",
        PlanAccepted => "plan_accepted",
        Remediated => "remediated",
        Verified => "verified",
        Disputed => "disputed",
        Closed => "closed",
    }
);

text_enum!(
    /// What a party does to a case.
    Action {
        Acknowledge => "acknowledge",
        SubmitPlan => "submit_plan",
        AcceptPlan => "accept_plan",
        RejectPlan => "reject_plan",
        ReportRemediated => "report_remediated",
        Verify => "verify",
        Dispute => "dispute",
        Close => "close",
        Reopen => "reopen",
    }
);

/// A caller's relation to one case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Party {
    /// The contractor the case is routed to.
    Contractor,
    /// The monitor that filed the finding.
    Monitor,
    /// A buyer of one of the affected contracts.
    Buyer,
    /// The operator: reads, takes no part.
    Admin,
}

/// Who takes an action.
pub fn party_for(action: Action) -> Party {
    match action {
        Action::Acknowledge | Action::SubmitPlan | Action::ReportRemediated | Action::Dispute => {
            Party::Contractor
        }
        Action::AcceptPlan
        | Action::RejectPlan
        | Action::Verify
        | Action::Close
        | Action::Reopen => Party::Monitor,
    }
}

/// The state an action leads to from `state`, or `None` when the action is not legal there.
/// `resume` is the state a disputed or closed case left, to which `reopen` returns.
pub fn next_state(
    state: CaseState,
    action: Action,
    resume: Option<CaseState>,
) -> Option<CaseState> {
    use Action as A;
    use CaseState as S;
    match (state, action) {
        (S::Open, A::Acknowledge) => Some(S::Acknowledged),
        (S::Acknowledged, A::SubmitPlan) => Some(S::PlanSubmitted),
        (S::PlanSubmitted, A::AcceptPlan) => Some(S::PlanAccepted),
        (S::PlanSubmitted, A::RejectPlan) => Some(S::Acknowledged),
        (S::PlanAccepted, A::ReportRemediated) => Some(S::Remediated),
        (S::Remediated, A::Verify) => Some(S::Verified),
        // A contractor contests the finding before it commits to a plan.
        (S::Open | S::Acknowledged, A::Dispute) => Some(S::Disputed),
        (S::Closed, A::Close) => None,
        (_, A::Close) => Some(S::Closed),
        // The monitor answers a dispute by reopening (the case resumes) or by closing it; a
        // closed case can be reopened where it stood.
        (S::Disputed | S::Closed, A::Reopen) => Some(resume.unwrap_or(S::Open)),
        _ => None,
    }
}

/// The actions `party` may take on a case in `state`.
pub fn allowed_actions(state: CaseState, party: Party, resume: Option<CaseState>) -> Vec<Action> {
    Action::ALL
        .iter()
        .copied()
        .filter(|a| party_for(*a) == party && next_state(state, *a, resume).is_some())
        .collect()
}

/// Where a case stands after some events: its state and the state `reopen` returns to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Standing {
    pub state: CaseState,
    pub resume: Option<CaseState>,
}

/// The standing after one event of a case history, or why the event is not a legal step from
/// `before` (`None` for the first event). Transition events carry `action`, `from` and `to` in
/// their payload; the other kinds leave the state as it is, and those about deadlines are
/// only possible while the case is not closed.
pub fn step(
    before: Option<Standing>,
    kind: &str,
    payload: &serde_json::Value,
) -> Result<Standing, String> {
    let Some(now) = before else {
        return if kind == "opened" {
            Ok(Standing {
                state: CaseState::Open,
                resume: None,
            })
        } else {
            Err(format!("the history starts with {kind:?}, not \"opened\""))
        };
    };
    let field = |name: &str| -> Result<&str, String> {
        payload
            .get(name)
            .and_then(|v| v.as_str())
            .ok_or_else(|| format!("{kind} without {name:?} in its payload"))
    };
    match kind {
        "opened" => Err("a second \"opened\" event".into()),
        "comment" => Ok(now),
        "reminder"
        | "escalated"
        | "extension_granted"
        | "extension_requested"
        | "extension_refused"
        | "deadlines_recomputed" => {
            if now.state == CaseState::Closed {
                Err(format!("{kind} on a closed case"))
            } else {
                Ok(now)
            }
        }
        _ => {
            let action: Action = field("action")?.parse()?;
            let from: CaseState = field("from")?.parse()?;
            let to: CaseState = field("to")?.parse()?;
            if from != now.state {
                return Err(format!(
                    "{kind} says it left {from}, but the case was {} before it",
                    now.state
                ));
            }
            match next_state(now.state, action, now.resume) {
                Some(next) if next == to => Ok(Standing {
                    state: to,
                    resume: match action {
                        Action::Dispute | Action::Close => Some(from),
                        Action::Reopen => None,
                        _ => now.resume,
                    },
                }),
                Some(next) => Err(format!(
                    "{action} from {from} leads to {next}, the event says {to}"
                )),
                None => Err(format!("{action} is not possible from {from}")),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_happy_path_and_its_parties() {
        let path = [
            (Action::Acknowledge, CaseState::Acknowledged),
            (Action::SubmitPlan, CaseState::PlanSubmitted),
            (Action::RejectPlan, CaseState::Acknowledged),
            (Action::SubmitPlan, CaseState::PlanSubmitted),
            (Action::AcceptPlan, CaseState::PlanAccepted),
            (Action::ReportRemediated, CaseState::Remediated),
            (Action::Verify, CaseState::Verified),
            (Action::Close, CaseState::Closed),
        ];
        let mut state = CaseState::Open;
        for (action, expected) in path {
            state =
                next_state(state, action, None).unwrap_or_else(|| panic!("{action} from {state}"));
            assert_eq!(state, expected);
        }
    }

    #[test]
    fn every_state_by_every_action() {
        // (state, actions legal in it) — the whole table; everything else must be refused.
        use Action as A;
        use CaseState as S;
        let legal: &[(CaseState, &[Action])] = &[
            (S::Open, &[A::Acknowledge, A::Dispute, A::Close]),
            (S::Acknowledged, &[A::SubmitPlan, A::Dispute, A::Close]),
            (S::PlanSubmitted, &[A::AcceptPlan, A::RejectPlan, A::Close]),
            (S::PlanAccepted, &[A::ReportRemediated, A::Close]),
            (S::Remediated, &[A::Verify, A::Close]),
            (S::Verified, &[A::Close]),
            (S::Disputed, &[A::Close, A::Reopen]),
            (S::Closed, &[A::Reopen]),
        ];
        for (state, actions) in legal {
            for action in Action::ALL {
                let ok = next_state(*state, *action, Some(S::Acknowledged)).is_some();
                assert_eq!(ok, actions.contains(action), "{action} in {state}");
            }
        }
        assert_eq!(
            next_state(S::Disputed, A::Reopen, Some(S::Acknowledged)),
            Some(S::Acknowledged)
        );
        assert_eq!(
            allowed_actions(S::Open, Party::Contractor, None),
            vec![A::Acknowledge, A::Dispute]
        );
        assert_eq!(
            allowed_actions(S::Open, Party::Monitor, None),
            vec![A::Close]
        );
        assert!(allowed_actions(S::Open, Party::Buyer, None).is_empty());
    }

    #[test]
    fn a_history_replays_only_through_legal_steps() {
        use serde_json::json;
        let t =
            |action: &str, from: &str, to: &str| json!({"action": action, "from": from, "to": to});
        let none = json!({});
        let open = step(None, "opened", &none).unwrap();
        assert_eq!(open.state, CaseState::Open);
        assert!(step(None, "comment", &none).is_err());
        let ack = step(
            Some(open),
            "acknowledged",
            &t("acknowledge", "open", "acknowledged"),
        )
        .unwrap();
        assert_eq!(ack.state, CaseState::Acknowledged);
        // The race the lock prevents: a second acknowledgement from a state the case has left.
        let again = step(
            Some(ack),
            "acknowledged",
            &t("acknowledge", "open", "acknowledged"),
        );
        assert!(again.unwrap_err().contains("was acknowledged"));
        let closed = step(Some(ack), "closed", &t("close", "acknowledged", "closed")).unwrap();
        assert_eq!(closed.resume, Some(CaseState::Acknowledged));
        assert!(step(
            Some(closed),
            "acknowledged",
            &t("acknowledge", "open", "acknowledged")
        )
        .is_err());
        assert!(step(Some(closed), "extension_granted", &none).is_err());
        assert!(step(Some(closed), "comment", &none).is_ok());
        let reopened = step(
            Some(closed),
            "reopened",
            &t("reopen", "closed", "acknowledged"),
        )
        .unwrap();
        assert_eq!(
            reopened,
            Standing {
                state: CaseState::Acknowledged,
                resume: None
            }
        );
        // A step to somewhere the state machine does not lead.
        assert!(step(
            Some(open),
            "acknowledged",
            &t("acknowledge", "open", "verified")
        )
        .is_err());
        assert!(step(Some(open), "verified", &t("verify", "open", "verified")).is_err());
        assert!(step(Some(open), "opened", &none).is_err());
        assert!(step(Some(open), "acknowledged", &none).is_err());
    }
}
