//! The pure case core: what one event does to a case's state and to the timestamps its
//! lifecycle keeps. This is the only place that rule lives: the live transition
//! (`service::transition`), the sweep, the past view of due diligence, `verify-audit`'s replay
//! and the load benchmark's simulator all call `apply`. No database, no clock: the whole
//! table is tested here.

use chrono::{DateTime, NaiveDateTime};

use super::kinds::{DeadlineKind, EventKind};
use super::lifecycle::{next_state, Action, CaseState};

/// States in which the contractor's clock runs. In the others the case waits on the monitor
/// (a plan to review, a dispute to answer, remediation to verify) or is done.
pub fn clock_runs(state: CaseState) -> bool {
    matches!(
        state,
        CaseState::Open | CaseState::Acknowledged | CaseState::PlanAccepted
    )
}

/// The part of a case its events change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CaseCore {
    pub state: CaseState,
    /// The state a disputed or closed case left, to which `reopen` returns.
    pub resume: Option<CaseState>,
    pub opened_at: NaiveDateTime,
    /// When the contractor first answered (an acknowledgement or a dispute).
    pub acknowledged_at: Option<NaiveDateTime>,
    /// The plan under review or accepted; cleared when it is rejected.
    pub plan_submitted_at: Option<NaiveDateTime>,
    pub plan_accepted_at: Option<NaiveDateTime>,
    pub remediated_at: Option<NaiveDateTime>,
    pub closed_at: Option<NaiveDateTime>,
    /// Set while the contractor's clock stands still (the case waits on the monitor).
    pub paused_at: Option<NaiveDateTime>,
    pub paused_seconds: i64,
    pub acknowledge_due_at: NaiveDateTime,
    pub plan_due_at: NaiveDateTime,
    pub remediation_due_at: NaiveDateTime,
}

impl CaseCore {
    /// A case just opened at `at` with its three deadlines (acknowledge, plan, remediation).
    pub fn opened(at: NaiveDateTime, due: [NaiveDateTime; 3]) -> CaseCore {
        CaseCore {
            state: CaseState::Open,
            resume: None,
            opened_at: at,
            acknowledged_at: None,
            plan_submitted_at: None,
            plan_accepted_at: None,
            remediated_at: None,
            closed_at: None,
            paused_at: None,
            paused_seconds: 0,
            acknowledge_due_at: due[0],
            plan_due_at: due[1],
            remediation_due_at: due[2],
        }
    }

    /// Whether the transition that meets a deadline has happened.
    pub fn met(&self, kind: DeadlineKind) -> bool {
        match kind {
            DeadlineKind::Acknowledge => self.acknowledged_at.is_some(),
            DeadlineKind::Plan => self.plan_accepted_at.is_some(),
            DeadlineKind::Remediation => self.remediated_at.is_some(),
        }
    }

    fn due_mut(&mut self, kind: DeadlineKind) -> &mut NaiveDateTime {
        match kind {
            DeadlineKind::Acknowledge => &mut self.acknowledge_due_at,
            DeadlineKind::Plan => &mut self.plan_due_at,
            DeadlineKind::Remediation => &mut self.remediation_due_at,
        }
    }
}

/// What an event does to a case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// The first event, with the deadlines it set (acknowledge, plan, remediation).
    Opened { due: [NaiveDateTime; 3] },
    /// A party's action, leaving `from` for `to`.
    Transition {
        action: Action,
        from: CaseState,
        to: CaseState,
    },
    /// Any other kind: the state stays as it is.
    Other(EventKind),
}

/// One event: when, and what it does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Step {
    pub at: NaiveDateTime,
    pub change: Change,
}

impl Step {
    pub fn transition(action: Action, from: CaseState, to: CaseState, at: NaiveDateTime) -> Step {
        Step {
            at,
            change: Change::Transition { action, from, to },
        }
    }

    pub fn other(kind: EventKind, at: NaiveDateTime) -> Step {
        Step {
            at,
            change: Change::Other(kind),
        }
    }

    /// Reads a stored event. Transition events carry `action`, `from` and `to` in their
    /// payload; an opening carries its deadlines (the opening instant stands in for one it
    /// does not name).
    pub fn from_event(
        kind: EventKind,
        at: NaiveDateTime,
        payload: &serde_json::Value,
    ) -> Result<Step, String> {
        let field = |name: &str| -> Result<&str, String> {
            payload
                .get(name)
                .and_then(|v| v.as_str())
                .ok_or_else(|| format!("{kind} without {name:?} in its payload"))
        };
        let change = match kind {
            EventKind::Opened => {
                let due = |name: &str| {
                    payload["deadlines"][name]
                        .as_str()
                        .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
                        .map_or(at, |d| d.naive_utc())
                };
                Change::Opened {
                    due: [due("acknowledge"), due("plan"), due("remediation")],
                }
            }
            k if k.is_transition() => Change::Transition {
                action: field("action")?.parse()?,
                from: field("from")?.parse()?,
                to: field("to")?.parse()?,
            },
            other => Change::Other(other),
        };
        Ok(Step { at, change })
    }
}

/// The case after `step`, or why the step is not a legal one from `before` (`None` before
/// the first event, which must be the opening).
///
/// A transition must leave the state the case is in and lead where the state machine leads
/// (`lifecycle::next_state`); it sets the timestamp of the deadline it meets, and stops or
/// restarts the contractor's clock: time spent waiting on the monitor is added to the
/// deadlines still running, so it never counts against the contractor. Events about
/// deadlines are only possible while the case is not closed; comments always are.
pub fn apply(before: Option<CaseCore>, step: &Step) -> Result<CaseCore, String> {
    let now = step.at;
    let Some(mut case) = before else {
        return match step.change {
            Change::Opened { due } => Ok(CaseCore::opened(now, due)),
            Change::Transition { action, .. } => Err(format!(
                "the history starts with {:?}, not \"opened\"",
                EventKind::of(action).as_str()
            )),
            Change::Other(kind) => Err(format!(
                "the history starts with {:?}, not \"opened\"",
                kind.as_str()
            )),
        };
    };
    let (action, from, to) = match step.change {
        Change::Opened { .. } => return Err("a second \"opened\" event".into()),
        // Words and evidence may come after the case is closed.
        Change::Other(EventKind::Comment | EventKind::FileAttached) => return Ok(case),
        Change::Other(kind) => {
            return if case.state == CaseState::Closed {
                Err(format!("{kind} on a closed case"))
            } else {
                Ok(case)
            }
        }
        Change::Transition { action, from, to } => (action, from, to),
    };
    let kind = EventKind::of(action);
    if from != case.state {
        return Err(format!(
            "{kind} says it left {from}, but the case was {} before it",
            case.state
        ));
    }
    match next_state(case.state, action, case.resume) {
        Some(next) if next == to => {}
        Some(next) => {
            return Err(format!(
                "{action} from {from} leads to {next}, the event says {to}"
            ))
        }
        None => return Err(format!("{action} is not possible from {from}")),
    }
    match action {
        // A dispute is an answer too: it meets the acknowledgement deadline.
        Action::Acknowledge | Action::Dispute if case.acknowledged_at.is_none() => {
            case.acknowledged_at = Some(now)
        }
        Action::SubmitPlan => case.plan_submitted_at = Some(now),
        // The plan deadline is met by the submission that is accepted (it stopped the clock
        // when it was submitted); the acceptance instant is kept for "time to accepted plan".
        Action::AcceptPlan => case.plan_accepted_at = Some(now),
        Action::RejectPlan => case.plan_submitted_at = None,
        Action::ReportRemediated => case.remediated_at = Some(now),
        Action::Close => case.closed_at = Some(now),
        Action::Reopen => case.closed_at = None,
        _ => {}
    }
    case.resume = match action {
        Action::Dispute | Action::Close => Some(from),
        Action::Reopen => None,
        _ => case.resume,
    };
    let was_running = clock_runs(from);
    let runs = clock_runs(to);
    if was_running && !runs {
        case.paused_at = Some(now);
    } else if !was_running && runs {
        if let Some(since) = case.paused_at.take() {
            let waited = now - since;
            case.paused_seconds += waited.num_seconds();
            for kind in DeadlineKind::ALL {
                if !case.met(*kind) {
                    *case.due_mut(*kind) += waited;
                }
            }
        }
    }
    case.state = to;
    Ok(case)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeDelta;
    use serde_json::json;

    use Action as A;
    use CaseState as S;

    fn t(hours: i64) -> NaiveDateTime {
        chrono::NaiveDate::from_ymd_opt(2026, 3, 2)
            .and_then(|d| d.and_hms_opt(9, 0, 0))
            .unwrap()
            + TimeDelta::hours(hours)
    }

    fn opened() -> CaseCore {
        apply(
            None,
            &Step {
                at: t(0),
                change: Change::Opened {
                    due: [t(48), t(24 * 14), t(24 * 90)],
                },
            },
        )
        .unwrap()
    }

    /// The case after `action` from wherever `case` stands, at `at`.
    fn act(case: CaseCore, action: Action, at: NaiveDateTime) -> Result<CaseCore, String> {
        let to = next_state(case.state, action, case.resume).unwrap_or(S::Verified);
        apply(Some(case), &Step::transition(action, case.state, to, at))
    }

    /// A case standing in `state` (reached by legal steps), with `resume` where it has one.
    fn in_state(state: CaseState) -> CaseCore {
        let path: &[Action] = match state {
            S::Open => &[],
            S::Acknowledged => &[A::Acknowledge],
            S::PlanSubmitted => &[A::Acknowledge, A::SubmitPlan],
            S::PlanAccepted => &[A::Acknowledge, A::SubmitPlan, A::AcceptPlan],
            S::Remediated => &[
                A::Acknowledge,
                A::SubmitPlan,
                A::AcceptPlan,
                A::ReportRemediated,
            ],
            S::Verified => &[
                A::Acknowledge,
                A::SubmitPlan,
                A::AcceptPlan,
                A::ReportRemediated,
                A::Verify,
            ],
            S::Disputed => &[A::Acknowledge, A::Dispute],
            S::Closed => &[A::Acknowledge, A::Close],
        };
        let mut case = opened();
        for (i, a) in path.iter().enumerate() {
            case = act(case, *a, t(i as i64 + 1)).unwrap();
        }
        assert_eq!(case.state, state);
        case
    }

    #[test]
    fn every_legal_step_leads_where_the_state_machine_says_and_every_other_is_refused() {
        for state in CaseState::ALL {
            let case = in_state(*state);
            for action in Action::ALL {
                let to = next_state(*state, *action, case.resume);
                let got = apply(
                    Some(case),
                    &Step::transition(*action, *state, to.unwrap_or(S::Open), t(100)),
                );
                match to {
                    Some(to) => assert_eq!(got.unwrap().state, to, "{action} in {state}"),
                    None => assert!(
                        got.unwrap_err().contains("is not possible"),
                        "{action} in {state}"
                    ),
                }
            }
        }
    }

    #[test]
    fn a_step_must_leave_the_state_the_case_is_in_and_go_where_the_machine_leads() {
        let open = opened();
        let from_elsewhere = apply(
            Some(open),
            &Step::transition(A::Verify, S::Remediated, S::Verified, t(1)),
        );
        assert!(from_elsewhere
            .unwrap_err()
            .contains("but the case was open"));
        let wrong_target = apply(
            Some(open),
            &Step::transition(A::Acknowledge, S::Open, S::Verified, t(1)),
        );
        assert!(wrong_target.unwrap_err().contains("leads to acknowledged"));
    }

    #[test]
    fn each_step_sets_the_timestamps_it_meets() {
        let ack = act(opened(), A::Acknowledge, t(1)).unwrap();
        assert_eq!(ack.acknowledged_at, Some(t(1)));
        let sub = act(ack, A::SubmitPlan, t(2)).unwrap();
        assert_eq!(sub.plan_submitted_at, Some(t(2)));
        let rejected = act(sub, A::RejectPlan, t(3)).unwrap();
        assert_eq!(rejected.plan_submitted_at, None);
        assert_eq!(rejected.plan_accepted_at, None);
        let sub = act(rejected, A::SubmitPlan, t(4)).unwrap();
        // The acceptance instant is the acceptance, not the submission.
        let accepted = act(sub, A::AcceptPlan, t(5)).unwrap();
        assert_eq!(accepted.plan_accepted_at, Some(t(5)));
        assert_eq!(accepted.plan_submitted_at, Some(t(4)));
        let done = act(accepted, A::ReportRemediated, t(6)).unwrap();
        assert_eq!(done.remediated_at, Some(t(6)));
        let verified = act(done, A::Verify, t(7)).unwrap();
        let closed = act(verified, A::Close, t(8)).unwrap();
        assert_eq!(closed.closed_at, Some(t(8)));
        assert_eq!(closed.resume, Some(S::Verified));
        let reopened = act(closed, A::Reopen, t(9)).unwrap();
        assert_eq!(reopened.closed_at, None);
        assert_eq!(reopened.resume, None);
        assert_eq!(reopened.state, S::Verified);
        // The first answer counts: a dispute after an acknowledgement does not move it.
        let disputed = act(ack, A::Dispute, t(10)).unwrap();
        assert_eq!(disputed.acknowledged_at, Some(t(1)));
        assert_eq!(disputed.resume, Some(S::Acknowledged));
        let disputed_first = act(opened(), A::Dispute, t(11)).unwrap();
        assert_eq!(disputed_first.acknowledged_at, Some(t(11)));
    }

    #[test]
    fn waiting_on_the_monitor_stops_the_clock_for_the_deadlines_still_running() {
        let ack = act(opened(), A::Acknowledge, t(1)).unwrap();
        let sub = act(ack, A::SubmitPlan, t(2)).unwrap();
        assert_eq!(sub.paused_at, Some(t(2)));
        // Ten hours under review, then accepted: the plan deadline is met, the remediation
        // deadline moves by the ten hours, the met acknowledgement deadline stays.
        let accepted = act(sub, A::AcceptPlan, t(12)).unwrap();
        assert_eq!(accepted.paused_at, None);
        assert_eq!(accepted.paused_seconds, 10 * 3600);
        assert_eq!(accepted.acknowledge_due_at, t(48));
        assert_eq!(accepted.plan_due_at, t(24 * 14));
        assert_eq!(accepted.remediation_due_at, t(24 * 90 + 10));
        // Rejected: the plan deadline runs again, moved by the review time.
        let sub = act(ack, A::SubmitPlan, t(2)).unwrap();
        let rejected = act(sub, A::RejectPlan, t(5)).unwrap();
        assert_eq!(rejected.plan_due_at, t(24 * 14 + 3));
        // Between two waiting states the clock stays stopped where it stopped.
        let disputed = act(ack, A::Dispute, t(3)).unwrap();
        let closed = act(disputed, A::Close, t(4)).unwrap();
        assert_eq!(closed.paused_at, Some(t(3)));
        let reopened = act(closed, A::Reopen, t(7)).unwrap();
        assert_eq!(reopened.state, S::Disputed);
        assert_eq!(reopened.paused_at, Some(t(3)));
    }

    #[test]
    fn other_events_leave_the_case_as_it_is_and_deadline_events_need_an_open_case() {
        let ack = act(opened(), A::Acknowledge, t(1)).unwrap();
        let closed = act(ack, A::Close, t(2)).unwrap();
        for kind in EventKind::ALL {
            if kind.is_transition() || *kind == EventKind::Opened {
                continue;
            }
            assert_eq!(
                apply(Some(ack), &Step::other(*kind, t(3))),
                Ok(ack),
                "{kind}"
            );
            let on_closed = apply(Some(closed), &Step::other(*kind, t(3)));
            if matches!(kind, EventKind::Comment | EventKind::FileAttached) {
                assert_eq!(on_closed, Ok(closed));
            } else {
                assert!(
                    on_closed.unwrap_err().contains("on a closed case"),
                    "{kind}"
                );
            }
        }
    }

    /// The replay `verify-audit` runs, from stored kinds and payloads.
    fn step(
        before: Option<CaseCore>,
        kind: &str,
        payload: &serde_json::Value,
    ) -> Result<CaseCore, String> {
        let kind: EventKind = kind.parse()?;
        apply(before, &Step::from_event(kind, t(0), payload)?)
    }

    #[test]
    fn a_history_replays_only_through_legal_steps() {
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
            (reopened.state, reopened.resume),
            (CaseState::Acknowledged, None)
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
        // A kind the service does not know.
        assert!(step(Some(open), "unknown", &none).is_err());
    }

    #[test]
    fn an_opening_reads_its_deadlines_from_its_payload() {
        let payload = json!({"deadlines": {
            "acknowledge": "2026-03-04T09:00:00Z", "plan": "2026-03-16T09:00:00Z",
            "remediation": "2026-05-31T09:00:00Z",
        }});
        let s = Step::from_event(EventKind::Opened, t(0), &payload).unwrap();
        let case = apply(None, &s).unwrap();
        assert_eq!(case.acknowledge_due_at, t(48));
        assert_eq!(case.plan_due_at, t(24 * 14));
        assert_eq!(case.opened_at, t(0));
    }
}
