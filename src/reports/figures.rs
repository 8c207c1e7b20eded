//! The counts of a report's period, worked out from its history (history.rs; the history is
//! append-only, so what happened by the end of the period never changes): events by kind,
//! openings by severity and month, findings, escalations, first answers, and the open count
//! at each month's end.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{NaiveDate, NaiveDateTime};

use super::history::{CaseRow, Event, History};
use super::sql::Scope;
use super::Month;
use crate::cases::EventKind;
use crate::due_diligence::DONE;

/// A count by two keys.
pub(super) struct Grouped {
    pub a: String,
    pub b: String,
    pub n: i64,
}

/// Escalations to one level: events, and distinct cases.
pub(super) struct LevelCount {
    pub level: Option<i32>,
    pub n: i64,
    pub cases: i64,
}

fn in_range(s: &Scope, at: NaiveDateTime) -> bool {
    at >= s.start && at <= s.end
}

fn month(at: NaiveDateTime) -> String {
    at.format("%Y-%m").to_string()
}

/// The period's events of one kind (`History::events` holds only the period's).
fn period_events(h: &History, kind: EventKind) -> impl Iterator<Item = &Event> + '_ {
    h.events.iter().filter(move |e| e.kind == kind)
}

/// The cases opened in the period (their `opened_at` is their `opened` event's instant).
fn opened_in<'a>(h: &'a History, s: &'a Scope) -> impl Iterator<Item = &'a CaseRow> + 'a {
    h.cases.iter().filter(move |c| in_range(s, c.opened_at))
}

/// Distinct cases opened in the period, and with an event of each other counted kind in it.
pub(super) fn in_period(h: &History, s: &Scope) -> BTreeMap<String, i64> {
    let mut out = BTreeMap::new();
    let opened = opened_in(h, s).count();
    if opened > 0 {
        out.insert(EventKind::Opened.as_str().to_string(), opened as i64);
    }
    for kind in [
        EventKind::RemediationReported,
        EventKind::Verified,
        EventKind::Closed,
    ] {
        let cases: BTreeSet<usize> = period_events(h, kind).map(|e| e.case).collect();
        if !cases.is_empty() {
            out.insert(kind.as_str().to_string(), cases.len() as i64);
        }
    }
    out
}

fn grouped(counts: BTreeMap<(String, String), i64>) -> Vec<Grouped> {
    counts
        .into_iter()
        .map(|((a, b), n)| Grouped { a, b, n })
        .collect()
}

/// Cases opened in the period by (severity, month).
pub(super) fn opened(h: &History, s: &Scope) -> Vec<Grouped> {
    let mut counts: BTreeMap<(String, String), i64> = BTreeMap::new();
    for c in opened_in(h, s) {
        *counts
            .entry((c.severity.clone(), month(c.opened_at)))
            .or_default() += 1;
    }
    grouped(counts)
}

/// The findings behind the cases opened in the period, by (category, severity).
pub(super) fn findings(h: &History, s: &Scope) -> Vec<Grouped> {
    let mut seen: BTreeMap<(String, String), BTreeSet<&str>> = BTreeMap::new();
    for c in opened_in(h, s) {
        seen.entry((c.category.clone(), c.finding_severity.clone()))
            .or_default()
            .insert(c.finding_id.as_str());
    }
    grouped(
        seen.into_iter()
            .map(|(k, ids)| (k, ids.len() as i64))
            .collect(),
    )
}

/// Escalations recorded in the period by the level they raised the case to: events, cases.
pub(super) fn escalations(h: &History) -> Vec<LevelCount> {
    let mut by_level: BTreeMap<Option<i32>, (i64, BTreeSet<usize>)> = BTreeMap::new();
    for e in period_events(h, EventKind::Escalated) {
        let entry = by_level.entry(e.level).or_default();
        entry.0 += 1;
        entry.1.insert(e.case);
    }
    by_level
        .into_iter()
        .map(|(level, (n, cases))| LevelCount {
            level,
            n,
            cases: cases.len() as i64,
        })
        .collect()
}

/// Hours from opening to the first answer (acknowledgement or dispute), for the cases first
/// answered in the period; whole seconds, as the case figures count them. The first answer is
/// the case's `acknowledged_at`, set once, at the time of its event.
pub(super) fn ack_hours(h: &History, s: &Scope) -> Vec<f64> {
    h.cases
        .iter()
        .filter_map(|c| {
            let at = c.acknowledged_at.filter(|at| in_range(s, *at))?;
            let ms = (at - c.opened_at).num_milliseconds() as f64;
            Some((ms / 1000.0).round() / 3600.0)
        })
        .collect()
}

fn done(state: Option<&str>) -> Option<bool> {
    state.map(|s| DONE.contains(&s))
}

/// The months of the period with the cases opened in each and open at each one's end.
/// Open counts come from one sum of changes: +1 for an opening or a move out of verified or
/// closed, -1 for a move into them; the same sum over the events before the period
/// (`open_at_start`, summed by the database) gives the starting count.
pub(super) fn months(
    h: &History,
    from: NaiveDate,
    to: NaiveDate,
    opened: &[Grouped],
) -> Vec<Month> {
    let mut delta: BTreeMap<String, i64> = BTreeMap::new();
    for g in opened {
        *delta.entry(g.b.clone()).or_default() += g.n;
    }
    for e in &h.events {
        let change = match e.kind {
            EventKind::Verified | EventKind::Closed | EventKind::Reopened => {
                match (done(e.was.as_deref()), done(e.now.as_deref())) {
                    (Some(true), Some(false)) => 1,
                    (Some(false), Some(true)) => -1,
                    _ => 0,
                }
            }
            _ => continue,
        };
        *delta.entry(month(e.at)).or_default() += change;
    }
    let mut opened_in: BTreeMap<&str, i64> = BTreeMap::new();
    for g in opened {
        *opened_in.entry(g.b.as_str()).or_default() += g.n;
    }
    let mut open = h.open_at_start;
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
    out
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
