//! The counts of a report's period, each one aggregate statement over the case events of the
//! report's cases (the history is append-only, so what happened by the end of the period never
//! changes): events by kind, openings by severity and month, findings, escalations, first
//! answers, and the open count at each month's end.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer, Nullable, Text, Timestamp};

use super::sql::{scoped, Dialect, Scope, DONE, SCOPE};
use super::Month;
use crate::db::DbConnection;
use crate::error::Error;

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
    let rows: Vec<KindCount> = scoped!(sql, s)
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
    Ok(scoped!(sql, s)
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
    Ok(scoped!(sql, s)
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
    Ok(scoped!(sql, s)
        .bind::<Timestamp, _>(s.start)
        .bind::<Timestamp, _>(s.end)
        .load(conn)?)
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
    let rows: Vec<H> = scoped!(sql, s)
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
    let deltas: Vec<Grouped> = scoped!(sql, s)
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
