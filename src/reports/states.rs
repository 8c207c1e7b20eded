//! The cases open at the end of a report's period, as they stood then: from each case's
//! row when it has not changed since, else replayed from its events by then.

use std::collections::HashMap;

use diesel::prelude::*;

use super::history::History;
use super::sql::Scope;
use super::ReportOpenCase;
use crate::cases::{CaseState, EventKind};
use crate::clock::utc;
use crate::db::DbConnection;
use crate::error::Error;
use crate::values::{CaseId, FactoryId};

/// The state each state-setting event leads to, whatever the state before (the lifecycle's
/// table, checked by the test below); `None` for a reopening, which returns to the state the
/// case left (its payload's `to`).
const LEADS_TO: [(EventKind, Option<CaseState>); 10] = [
    (EventKind::Opened, Some(CaseState::Open)),
    (EventKind::Acknowledged, Some(CaseState::Acknowledged)),
    (EventKind::PlanSubmitted, Some(CaseState::PlanSubmitted)),
    (EventKind::PlanAccepted, Some(CaseState::PlanAccepted)),
    (EventKind::PlanRejected, Some(CaseState::Acknowledged)),
    (EventKind::RemediationReported, Some(CaseState::Remediated)),
    (EventKind::Verified, Some(CaseState::Verified)),
    (EventKind::Disputed, Some(CaseState::Disputed)),
    (EventKind::Closed, Some(CaseState::Closed)),
    (EventKind::Reopened, None),
];

/// Each case open at the end of the period, as it stood then. A case not changed since (its
/// `updated_at` by then: every event sets it) is as its row says; the
/// others are replayed from their events by then: the state the last state-setting event led
/// to, the level the last level-setting one left.
pub(super) fn open_at_end(h: &History, s: &Scope) -> Result<Vec<ReportOpenCase>, Error> {
    // Per replayed case: (seq, state) of its last state-setting event, (seq, level) of its
    // last level-setting one.
    let mut last_state: HashMap<usize, (i32, Option<&str>)> = HashMap::new();
    let mut last_level: HashMap<usize, (i32, i32)> = HashMap::new();
    for e in &h.replay {
        if let Some((_, to)) = LEADS_TO.iter().find(|(k, _)| *k == e.kind) {
            let state = match to {
                Some(state) => Some(state.as_str()),
                None => e.now.as_deref(),
            };
            let slot = last_state.entry(e.case).or_insert((e.seq, state));
            if e.seq >= slot.0 {
                *slot = (e.seq, state);
            }
        }
        let level = match e.kind {
            EventKind::Escalated => Some(e.level.unwrap_or(0)),
            EventKind::ExtensionGranted | EventKind::DeadlinesRecomputed => e.level,
            _ => None,
        };
        if let Some(level) = level {
            let slot = last_level.entry(e.case).or_insert((e.seq, level));
            if e.seq >= slot.0 {
                *slot = (e.seq, level);
            }
        }
    }
    let mut out = Vec::new();
    for (i, c) in h.cases.iter().enumerate() {
        let (state, level) = if c.upd.is_some_and(|u| u <= s.end) {
            (c.state.as_str(), c.level)
        } else {
            // Not opened by the end of the period: not in the report's list.
            // Not opened by the end of the period (or reopened to no state): not listed.
            let Some((_, Some(state))) = last_state.get(&i) else {
                continue;
            };
            (*state, last_level.get(&i).map_or(0, |l| l.1))
        };
        if state == CaseState::Verified.as_str() || state == CaseState::Closed.as_str() {
            continue;
        }
        out.push(ReportOpenCase {
            id: CaseId::from_db(&c.case_id)?,
            factory_id: FactoryId::from_db(&c.factory_id)?,
            factory: String::new(),
            severity: c.severity.clone(),
            state: state.to_string(),
            escalation_level: level,
            opened_at: utc(c.opened_at),
        });
    }
    // Most escalated first, then the oldest.
    // (Ids order as their text does: the bytes of a UUID in order.)
    out.sort_by(|a, b| {
        (b.escalation_level, a.opened_at, a.id).cmp(&(a.escalation_level, b.opened_at, b.id))
    });
    Ok(out)
}

/// Names the factories of the listed cases.
pub(super) fn name_factories(
    conn: &mut DbConnection,
    list: &mut [ReportOpenCase],
) -> Result<(), Error> {
    use crate::schema::factories;
    let ids: Vec<String> = list.iter().map(|c| c.factory_id.to_string()).collect();
    let names: std::collections::HashMap<String, String> = factories::table
        .filter(factories::id.eq_any(&ids))
        .select((factories::id, factories::name))
        .load::<(String, String)>(conn)?
        .into_iter()
        .collect();
    for c in list {
        c.factory = names
            .get(&c.factory_id.to_string())
            .cloned()
            .unwrap_or_default();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cases::lifecycle::{next_state, Action};

    #[test]
    fn each_kind_leads_where_the_lifecycle_does() {
        for action in Action::ALL {
            let kind = EventKind::of(*action);
            let (_, to) = LEADS_TO.iter().find(|(k, _)| *k == kind).expect("listed");
            for from in CaseState::ALL {
                for resume in [None, Some(CaseState::Acknowledged)] {
                    if let Some(next) = next_state(*from, *action, resume) {
                        if *action != Action::Reopen {
                            assert_eq!(*to, Some(next), "{kind} from {from}");
                        }
                    }
                }
            }
        }
        let transitions = EventKind::ALL.iter().filter(|k| k.is_transition()).count();
        assert_eq!(
            LEADS_TO.len(),
            transitions + 1,
            "every transition and the opening"
        );
    }
}
