//! The case figures of a report, each one aggregate statement over the case events of the
//! report's cases up to the end of the period (the history is append-only, so what happened by
//! then never changes). A case's state at an instant is the `to` of its last transition event
//! by then ("open" after only the opening); its escalation level is the level its last
//! escalation, extension grant or recomputation recorded. The case rows, which hold the
//! present, are read only for what never changes (severity, factory, opening).

use std::collections::BTreeMap;

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer, Nullable, Text, Timestamp};

use super::{Month, ReportOpenCase};
use crate::cases::{CaseState, EventKind};
use crate::clock::utc;
use crate::db::{Backend, DbConnection};
use crate::error::Error;
use crate::values::{CaseId, ContractId, FactoryId, OrganizationId};

/// Who and when, bound to every statement as $1 (buyer), $2 (framework id, '' for none), then
/// the period's first instant and/or its last. SQLite numbers `$n` parameters in order of first
/// appearance, so each statement names them in that order.
pub(super) struct Scope {
    pub buyer: OrganizationId,
    pub framework: Option<ContractId>,
    pub start: NaiveDateTime,
    pub end: NaiveDateTime,
}

/// The report's cases: every case concerning one of the buyer's contracts (or the
/// framework's), whatever the contract's dates, since a case outlives its contract.
const SCOPE: &str = "WITH sc AS (SELECT DISTINCT cc.case_id AS case_id FROM case_contracts cc \
     JOIN contracts k ON k.id = cc.contract_id WHERE k.buyer_id = $1 \
     AND ($2 = '' OR k.id = $2 OR k.framework_id = $2))";

/// The backend's spelling of what plain SQL does not share.
struct Dialect(Backend);

impl Dialect {
    /// A text field of a JSON payload (`path` as dotted names).
    fn text(&self, col: &str, path: &str) -> String {
        match self.0 {
            Backend::Sqlite => format!("json_extract({col}, '$.{path}')"),
            Backend::Postgres => format!(
                "(CAST({col} AS jsonb) #>> '{{{}}}')",
                path.replace('.', ",")
            ),
        }
    }

    fn int(&self, col: &str, path: &str) -> String {
        format!("CAST({} AS INTEGER)", self.text(col, path))
    }

    fn month(&self, col: &str) -> String {
        match self.0 {
            Backend::Sqlite => format!("strftime('%Y-%m', {col})"),
            Backend::Postgres => format!("to_char({col}, 'YYYY-MM')"),
        }
    }

    fn hours(&self, from: &str, to: &str) -> String {
        match self.0 {
            Backend::Sqlite => {
                format!("ROUND((julianday({to}) - julianday({from})) * 86400.0) / 3600.0")
            }
            Backend::Postgres => format!(
                "CAST(ROUND(EXTRACT(EPOCH FROM ({to} - {from}))) / 3600.0 AS DOUBLE PRECISION)"
            ),
        }
    }
}

fn quoted(kinds: impl Iterator<Item = &'static str>) -> String {
    kinds
        .map(|k| format!("'{k}'"))
        .collect::<Vec<_>>()
        .join(", ")
}

const DONE: &str = "'verified', 'closed'";

macro_rules! bind_scope {
    ($q:expr, $s:expr) => {
        $q.bind::<Text, _>($s.buyer.to_string())
            .bind::<Text, _>($s.framework.map(|f| f.to_string()).unwrap_or_default())
    };
}

#[derive(QueryableByName)]
struct KindCount {
    #[diesel(sql_type = Text)]
    kind: String,
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// Distinct cases with an event of each counted kind in the period.
pub(super) fn in_period(
    conn: &mut DbConnection,
    s: &Scope,
) -> Result<BTreeMap<String, i64>, Error> {
    let sql = format!(
        "{SCOPE} SELECT e.kind AS kind, COUNT(DISTINCT e.case_id) AS n FROM case_events e \
         JOIN sc ON sc.case_id = e.case_id WHERE e.at >= $3 AND e.at <= $4 \
         AND e.kind IN ('opened', 'remediation_reported', 'verified', 'closed') GROUP BY e.kind"
    );
    let rows: Vec<KindCount> = bind_scope!(diesel::sql_query(sql), s)
        .bind::<Timestamp, _>(s.start)
        .bind::<Timestamp, _>(s.end)
        .load(conn)?;
    Ok(rows.into_iter().map(|r| (r.kind, r.n)).collect())
}

#[derive(QueryableByName)]
pub(super) struct Grouped {
    #[diesel(sql_type = Text)]
    pub a: String,
    #[diesel(sql_type = Text)]
    pub b: String,
    #[diesel(sql_type = BigInt)]
    pub n: i64,
}

/// Cases opened in the period by (severity, month).
pub(super) fn opened(conn: &mut DbConnection, s: &Scope) -> Result<Vec<Grouped>, Error> {
    let month = Dialect(conn.backend()).month("e.at");
    let sql = format!(
        "{SCOPE} SELECT c.severity AS a, {month} AS b, COUNT(*) AS n FROM case_events e \
         JOIN sc ON sc.case_id = e.case_id JOIN cases c ON c.id = e.case_id \
         WHERE e.kind = 'opened' AND e.at >= $3 AND e.at <= $4 GROUP BY c.severity, {month}"
    );
    Ok(bind_scope!(diesel::sql_query(sql), s)
        .bind::<Timestamp, _>(s.start)
        .bind::<Timestamp, _>(s.end)
        .load(conn)?)
}

/// The findings behind the cases opened in the period, by (category, severity).
pub(super) fn findings(conn: &mut DbConnection, s: &Scope) -> Result<Vec<Grouped>, Error> {
    let sql = format!(
        "{SCOPE} SELECT f.category AS a, f.severity AS b, COUNT(DISTINCT f.id) AS n \
         FROM case_events e JOIN sc ON sc.case_id = e.case_id JOIN cases c ON c.id = e.case_id \
         JOIN findings f ON f.id = c.finding_id \
         WHERE e.kind = 'opened' AND e.at >= $3 AND e.at <= $4 GROUP BY f.category, f.severity"
    );
    Ok(bind_scope!(diesel::sql_query(sql), s)
        .bind::<Timestamp, _>(s.start)
        .bind::<Timestamp, _>(s.end)
        .load(conn)?)
}

#[derive(QueryableByName)]
pub(super) struct LevelCount {
    #[diesel(sql_type = Nullable<Integer>)]
    pub level: Option<i32>,
    #[diesel(sql_type = BigInt)]
    pub n: i64,
    #[diesel(sql_type = BigInt)]
    pub cases: i64,
}

/// Escalations recorded in the period by the level they raised the case to: events, cases.
pub(super) fn escalations(conn: &mut DbConnection, s: &Scope) -> Result<Vec<LevelCount>, Error> {
    let level = Dialect(conn.backend()).int("e.payload", "level");
    let sql = format!(
        "{SCOPE} SELECT {level} AS level, COUNT(*) AS n, COUNT(DISTINCT e.case_id) AS cases \
         FROM case_events e JOIN sc ON sc.case_id = e.case_id \
         WHERE e.kind = 'escalated' AND e.at >= $3 AND e.at <= $4 GROUP BY {level}"
    );
    Ok(bind_scope!(diesel::sql_query(sql), s)
        .bind::<Timestamp, _>(s.start)
        .bind::<Timestamp, _>(s.end)
        .load(conn)?)
}

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
        "WITH sc AS (SELECT cc.case_id AS case_id, MAX(cc.case_updated_at) AS upd, \
           MAX(cc.case_state) AS state, MAX(cc.case_level) AS level FROM case_contracts cc \
           JOIN contracts k ON k.id = cc.contract_id WHERE k.buyer_id = $1 \
           AND ($2 = '' OR k.id = $2 OR k.framework_id = $2) GROUP BY cc.case_id), \
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
    let rows: Vec<OpenRow> = bind_scope!(diesel::sql_query(sql), s)
        .bind::<Timestamp, _>(s.end)
        .load(conn)?;
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

/// Hours from opening to the first answer (acknowledgement or dispute), for the cases first
/// answered in the period.
pub(super) fn ack_hours(conn: &mut DbConnection, s: &Scope) -> Result<Vec<f64>, Error> {
    #[derive(QueryableByName)]
    struct H {
        #[diesel(sql_type = Nullable<diesel::sql_types::Double>)]
        hours: Option<f64>,
    }
    let hours = Dialect(conn.backend()).hours("o.at", "a.answered");
    let sql = format!(
        "{SCOPE}, a AS (SELECT e.case_id AS case_id, MIN(e.at) AS answered FROM case_events e \
           JOIN sc ON sc.case_id = e.case_id WHERE e.kind IN ('acknowledged', 'disputed') \
           GROUP BY e.case_id HAVING MIN(e.at) >= $3 AND MIN(e.at) <= $4) \
         SELECT {hours} AS hours FROM a \
         JOIN case_events o ON o.case_id = a.case_id AND o.kind = 'opened'"
    );
    let rows: Vec<H> = bind_scope!(diesel::sql_query(sql), s)
        .bind::<Timestamp, _>(s.start)
        .bind::<Timestamp, _>(s.end)
        .load(conn)?;
    Ok(rows.into_iter().filter_map(|h| h.hours).collect())
}

/// The months of the period with the cases opened in each and open at each one's end.
/// Open counts come from one sum of changes: +1 for an opening or a move out of verified or
/// closed, -1 for a move into them; the events before the period give the starting count.
pub(super) fn months(
    conn: &mut DbConnection,
    s: &Scope,
    from: NaiveDate,
    to: NaiveDate,
    opened: &[Grouped],
) -> Result<Vec<Month>, Error> {
    let d = Dialect(conn.backend());
    let (month, was, now) = (
        d.month("e.at"),
        d.text("e.payload", "from"),
        d.text("e.payload", "to"),
    );
    let sql = format!(
        "{SCOPE} SELECT CASE WHEN e.at < $3 THEN '' ELSE {month} END AS a, '' AS b, \
         SUM(CASE WHEN e.kind = 'opened' THEN 1 \
           WHEN {was} IN ({DONE}) AND {now} NOT IN ({DONE}) THEN 1 \
           WHEN {was} NOT IN ({DONE}) AND {now} IN ({DONE}) THEN -1 ELSE 0 END) AS n \
         FROM case_events e JOIN sc ON sc.case_id = e.case_id \
         WHERE e.at <= $4 AND e.kind IN ('opened', 'verified', 'closed', 'reopened') \
         GROUP BY CASE WHEN e.at < $3 THEN '' ELSE {month} END"
    );
    let deltas: Vec<Grouped> = bind_scope!(diesel::sql_query(sql), s)
        .bind::<Timestamp, _>(s.start)
        .bind::<Timestamp, _>(s.end)
        .load(conn)?;
    let delta: BTreeMap<&str, i64> = deltas.iter().map(|g| (g.a.as_str(), g.n)).collect();
    let mut opened_in: BTreeMap<&str, i64> = BTreeMap::new();
    for g in opened {
        *opened_in.entry(g.b.as_str()).or_default() += g.n;
    }
    let mut open = delta.get("").copied().unwrap_or(0);
    let mut out = Vec::new();
    let mut day = from;
    while day <= to {
        let key = day.format("%Y-%m").to_string();
        open += delta.get(key.as_str()).copied().unwrap_or(0);
        out.push(Month {
            opened: opened_in.get(key.as_str()).copied().unwrap_or(0),
            open_at_end: open,
            month: key,
        });
        day = first_of_next_month(day);
    }
    Ok(out)
}

fn first_of_next_month(day: NaiveDate) -> NaiveDate {
    use chrono::Datelike;
    let (y, m) = if day.month() == 12 {
        (day.year() + 1, 1)
    } else {
        (day.year(), day.month() + 1)
    };
    NaiveDate::from_ymd_opt(y, m, 1).unwrap_or(NaiveDate::MAX)
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
