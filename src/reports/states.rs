//! The cases open at the end of a report's period, as they stood then: from each case's
//! contract-link copy when it has not changed since, else replayed from its events by then.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{Integer, Text, Timestamp};

use super::sql::{quoted, scoped, Dialect, Scope, DONE, SCOPE};
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

/// Each case's state and level at the end of the period ($3), as the table `st`. A case not
/// changed since (its `case_contracts` copy updated by then: every event updates it) is as its
/// copy says; the others are replayed from their events by then. The last state-setting event
/// is found from the index alone: its sequence number and its kind's position in `LEADS_TO`
/// are packed into one number (seq * 16 + position) whose maximum names both.
fn states_at_end(d: &Dialect) -> String {
    let kinds = quoted(LEADS_TO.iter().map(|(k, _)| k.as_str()));
    let mut code = String::from("CASE e.kind");
    let mut state = String::from("CASE lt.m % 16");
    for (i, (kind, to)) in LEADS_TO.iter().enumerate() {
        code.push_str(&format!(" WHEN '{}' THEN {i}", kind.as_str()));
        if let Some(to) = to {
            state.push_str(&format!(" WHEN {i} THEN '{}'", to.as_str()));
        }
    }
    code.push_str(" END");
    state.push_str(&format!(
        " ELSE (SELECT {} FROM case_events t WHERE t.case_id = lt.case_id AND t.seq = lt.m / 16) END",
        d.text("t.payload", "to")
    ));
    let level = format!(
        "(SELECT CASE WHEN l.kind = 'escalated' THEN {} ELSE {} END FROM case_events l \
         WHERE l.case_id = ll.case_id AND l.seq = ll.seq)",
        d.int("l.payload", "level"),
        d.int("l.payload", "escalation_level.after")
    );
    let has_after = d.text("e.payload", "escalation_level.after");
    format!(
        "{SCOPE}, \
         lt AS (SELECT e.case_id AS case_id, MAX(e.seq * 16 + {code}) AS m FROM case_events e \
           JOIN sc ON sc.case_id = e.case_id WHERE (sc.upd IS NULL OR sc.upd > $3) \
           AND e.at <= $3 AND e.kind IN ({kinds}) GROUP BY e.case_id), \
         ll AS (SELECT e.case_id AS case_id, MAX(e.seq) AS seq FROM case_events e \
           JOIN sc ON sc.case_id = e.case_id WHERE (sc.upd IS NULL OR sc.upd > $3) \
           AND e.at <= $3 AND e.kind IN ('escalated', 'extension_granted', 'deadlines_recomputed') \
           AND (e.kind = 'escalated' OR {has_after} IS NOT NULL) GROUP BY e.case_id), \
         st AS (SELECT sc.case_id AS case_id, sc.state AS state, sc.level AS level FROM sc \
           WHERE sc.upd <= $3 \
           UNION ALL SELECT lt.case_id, {state}, COALESCE({level}, 0) \
           FROM lt LEFT JOIN ll ON ll.case_id = lt.case_id)"
    )
}

#[derive(QueryableByName)]
struct OpenRow {
    #[diesel(sql_type = Text)]
    case_id: String,
    #[diesel(sql_type = Text)]
    factory_id: String,
    #[diesel(sql_type = Text)]
    severity: String,
    #[diesel(sql_type = Text)]
    state: String,
    #[diesel(sql_type = Integer)]
    level: i32,
    #[diesel(sql_type = Timestamp)]
    opened_at: NaiveDateTime,
}

/// Every case open at the end of the period, most escalated first, then the oldest. One pass
/// over the history gives both the counts and the list (the list's factories are named by the
/// caller for the listed ones only); a row is a few short columns per open case.
pub(super) fn open_at_end(
    conn: &mut DbConnection,
    s: &Scope,
) -> Result<Vec<ReportOpenCase>, Error> {
    let st = states_at_end(&Dialect(conn.backend()));
    let sql = format!(
        "{st} SELECT st.case_id AS case_id, c.factory_id AS factory_id, c.severity AS severity, \
         st.state AS state, st.level AS level, c.opened_at AS opened_at \
         FROM st JOIN cases c ON c.id = st.case_id WHERE st.state NOT IN ({DONE}) \
         ORDER BY st.level DESC, c.opened_at ASC, st.case_id ASC"
    );
    let rows: Vec<OpenRow> = scoped!(sql, s).bind::<Timestamp, _>(s.end).load(conn)?;
    rows.into_iter()
        .map(|r| {
            Ok(ReportOpenCase {
                id: CaseId::from_db(&r.case_id)?,
                factory_id: FactoryId::from_db(&r.factory_id)?,
                factory: String::new(),
                severity: r.severity,
                state: r.state,
                escalation_level: r.level,
                opened_at: utc(r.opened_at),
            })
        })
        .collect()
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
