//! The case state machine: which party may take which action in which state, and where it
//! leads. Pure functions, so the whole table is tested without a database. What a step does
//! to the case beyond its state is `core::apply`.

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
}
