//! The timed reference loops (`inprocess`, `raw`) and the helpers the load scripts call
//! (`pool`, `counts`).

use std::collections::HashMap;
use std::path::Path;
use std::time::Instant;

use chrono::TimeDelta;
use diesel::prelude::*;
use ketenzorg::auth::Caller;
use ketenzorg::cases::events::EventRow;
use ketenzorg::cases::CaseRow;
use ketenzorg::db::{write_tx, DbConnection, PooledDb};
use ketenzorg::escalation::Policy;
use ketenzorg::findings::service::Filed;
use ketenzorg::findings::{FindingRow, NewFinding};
use ketenzorg::notifications::outbox::NotificationRow;
use ketenzorg::schema::{
    case_contracts, case_events, cases, components, contract_items, factories, findings,
    notifications, sourcing_links,
};
use ketenzorg::values::{CaseId, EventId};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::json;

use crate::report::*;
use crate::{connect, duration, now, read_env, read_lines, v7, write_lines};

/// The finding the in-process loop files (and the raw reference copies): working hours at
/// `factory`, observed yesterday, like the HTTP load's (bench/lua/findings.lua).
pub fn overtime_finding(factory: &str, severity: &str, label: &str) -> NewFinding {
    serde_json::from_value(json!({
        "factory_id": factory, "category": "working_hours", "severity": severity,
        "title": format!("Excessive overtime ({label})"),
        "description": "Workers report 72-hour weeks during the peak season; overtime is not voluntary.",
        "observed_on": (now() - TimeDelta::days(1)).date().format("%Y-%m-%d").to_string(),
    }))
    .unwrap()
}

/// What both reference loops start from: the hot factories, one connection, and the monitor
/// who files the findings.
struct Session {
    hot: Vec<String>,
    conn: PooledDb,
    caller: Caller,
}

impl Session {
    fn open(url: &str, out: &Path) -> Session {
        let env = read_env(out);
        let mut conn = connect(url);
        let caller = ketenzorg::auth::authenticate(&mut conn, &env["BENCH_MONITOR_TOKEN"])
            .expect("monitor token");
        Session {
            hot: read_lines(&out.join("factories.txt")),
            conn,
            caller,
        }
    }
}

/// Runs `step` (given its index) again and again for BENCH_DURATION, timing each.
fn timed(mut step: impl FnMut(usize)) -> Timed {
    let limit = duration();
    let mut lat = Vec::new();
    let started = Instant::now();
    while started.elapsed() < limit {
        let t = Instant::now();
        step(lat.len());
        lat.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    Timed {
        seconds: started.elapsed().as_secs_f64(),
        lat,
    }
}

/// A timed loop's latencies (ms) and its whole duration.
struct Timed {
    seconds: f64,
    lat: Vec<f64>,
}

impl Timed {
    /// Prints the result line, with `extra` (given the count).
    fn report(self, kind: &str, extra: impl FnOnce(usize) -> String) {
        let n = self.lat.len();
        report(kind, n, self.seconds, self.lat, &extra(n));
    }
}

/// What one HTTP POST /findings does to the database, without HTTP: `findings::service::file`
/// in one `write_tx` per finding, one connection, for BENCH_DURATION.
pub fn inprocess(url: &str, out: &Path) {
    let mut session = Session::open(url, out);
    let (hot, caller) = (&session.hot, &session.caller);
    let conn: &mut DbConnection = &mut session.conn;
    // Statements sent to the database (diesel's instrumentation), to put round trips per
    // finding next to the time per finding.
    let statements = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    {
        let statements = statements.clone();
        // BENCH_TRACE_MS=N: print each statement slower than N ms.
        let slow: Option<f64> = std::env::var("BENCH_TRACE_MS")
            .ok()
            .and_then(|v| v.parse().ok());
        let mut began = Instant::now();
        conn.set_instrumentation(move |event: diesel::connection::InstrumentationEvent<'_>| {
            use diesel::connection::InstrumentationEvent as E;
            match event {
                E::StartQuery { .. } => {
                    statements.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    began = Instant::now();
                }
                E::FinishQuery { query, .. } => {
                    let ms = began.elapsed().as_secs_f64() * 1000.0;
                    if slow.is_some_and(|limit| ms > limit) {
                        eprintln!("slow statement: {ms:.2} ms: {query}");
                    }
                }
                _ => {}
            }
        });
    }
    let policy = Policy::default();
    let mut cases = 0usize;
    let severities = ["major", "minor", "critical", "major"];
    timed(|i| {
        let input = overtime_finding(
            &hot[i % hot.len()],
            severities[i % 4],
            &format!("in-process {i}"),
        );
        let filed = write_tx(conn, |c| {
            ketenzorg::findings::service::file(c, caller, input, None, now(), &policy)
        })
        .expect("file a finding");
        if let Filed::Created(f) = filed {
            cases += f.cases.len();
        }
    })
    .report("inprocess", |n| {
        format!(
            "cases_per_finding={:.2} statements_per_finding={:.1}",
            cases as f64 / n.max(1) as f64,
            statements.load(std::sync::atomic::Ordering::Relaxed) as f64 / n.max(1) as f64
        )
    });
}

/// The database's commit rate for the same rows one filing writes: a finding filed here
/// through the service (routed to two contractors) is the template, and each transaction
/// inserts a copy of every row it wrote (the finding, its cases with their contract links,
/// their events and their notifications) with new ids, one single-row INSERT per row, one
/// connection, for BENCH_DURATION. On SQLite with the service's connection settings (WAL,
/// synchronous=NORMAL, BEGIN IMMEDIATE).
pub fn raw(url: &str, out: &Path) {
    let mut session = Session::open(url, out);
    let (hot, caller) = (&session.hot, &session.caller);
    let conn: &mut DbConnection = &mut session.conn;
    let input = overtime_finding(&hot[0], "major", "raw template");
    let filed = write_tx(conn, |c| {
        ketenzorg::findings::service::file(c, caller, input, None, now(), &Policy::default())
    })
    .expect("file the template finding");
    let Filed::Created(filed) = filed else {
        panic!("the template finding was not created")
    };
    let finding: FindingRow = findings::table
        .filter(findings::id.eq(filed.id))
        .select(FindingRow::as_select())
        .first(conn)
        .expect("the template finding");
    let case_rows: Vec<CaseRow> = cases::table
        .filter(cases::finding_id.eq(finding.id))
        .order(cases::id.asc())
        .select(CaseRow::as_select())
        .load(conn)
        .expect("its cases");
    let case_ids: Vec<CaseId> = case_rows.iter().map(|k| k.id).collect();
    let links: Vec<(CaseId, String)> = case_contracts::table
        .filter(case_contracts::case_id.eq_any(&case_ids))
        .order((case_contracts::case_id, case_contracts::contract_id))
        .select((case_contracts::case_id, case_contracts::contract_id))
        .load(conn)
        .expect("their contracts");
    let events: Vec<EventRow> = case_events::table
        .filter(case_events::case_id.eq_any(&case_ids))
        .order(case_events::id.asc())
        .select(EventRow::as_select())
        .load(conn)
        .expect("their events");
    let event_ids: Vec<EventId> = events.iter().map(|e| e.id).collect();
    let notes: Vec<NotificationRow> = notifications::table
        .filter(notifications::case_id.eq_any(&case_ids))
        .order(notifications::id.asc())
        .select(NotificationRow::as_select())
        .load(conn)
        .expect("their notifications");
    assert!(
        case_rows.len() >= 2 && !events.is_empty() && !notes.is_empty(),
        "the template finding should open two cases with events and notifications"
    );
    let rows = 1 + case_rows.len() + links.len() + events.len() + notes.len();
    // For pgbench (bench/run.sh): each template row as `table|WHERE|RETURNING variable|the
    // columns to replace` (CASE arms over the column name, pgbench variables of earlier rows).
    fn at<T: PartialEq>(ids: &[T], id: &T) -> usize {
        ids.iter().position(|x| x == id).unwrap()
    }
    let mut plan = vec![format!("findings|id = '{}'|fid|", finding.id)];
    for (i, k) in case_rows.iter().enumerate() {
        plan.push(format!(
            "cases|id = '{}'|c{i}|WHEN 'finding_id' THEN ''':fid'''",
            k.id
        ));
    }
    for (case, contract) in &links {
        plan.push(format!(
            "case_contracts|case_id = '{case}' AND contract_id = '{contract}'||WHEN 'case_id' THEN ''':c{}'''",
            at(&case_ids, case)
        ));
    }
    for (i, e) in events.iter().enumerate() {
        plan.push(format!(
            "case_events|id = '{}'|e{i}|WHEN 'case_id' THEN ''':c{}''' WHEN 'dedup_key' THEN 'NULL'",
            e.id,
            at(&case_ids, &e.case_id)
        ));
    }
    for n in &notes {
        plan.push(format!(
            "notifications|id = '{}'||WHEN 'case_id' THEN ''':c{}''' WHEN 'event_id' THEN ''':e{}'''",
            n.id,
            at(&case_ids, &n.case_id.expect("a case mail")),
            at(&event_ids, &n.event_id.expect("a case mail"))
        ));
    }
    write_lines(&out.join("raw-template.plan"), plan);
    timed(|_| {
        let when = now();
        let mut f = finding.clone();
        f.id = v7(when);
        f.created_at = when;
        let new_cases: Vec<CaseId> = case_rows.iter().map(|_| v7(when)).collect();
        let new_events: Vec<EventId> = events.iter().map(|_| v7(when)).collect();
        let ks: Vec<CaseRow> = case_rows
            .iter()
            .zip(&new_cases)
            .map(|(k, id)| {
                let mut k = k.clone();
                k.id = *id;
                k.finding_id = f.id;
                k
            })
            .collect();
        let es: Vec<EventRow> = events
            .iter()
            .zip(&new_events)
            .map(|(e, id)| {
                let mut e = e.clone();
                e.id = *id;
                e.case_id = new_cases[at(&case_ids, &e.case_id)];
                e.dedup_key = None;
                e
            })
            .collect();
        let ns: Vec<NotificationRow> = notes
            .iter()
            .map(|n| {
                let mut n = n.clone();
                n.id = v7(when);
                let (case, event) = (n.case_id, n.event_id);
                n.case_id = case.map(|c| new_cases[at(&case_ids, &c)]);
                n.event_id = event.map(|e| new_events[at(&event_ids, &e)]);
                n
            })
            .collect();
        write_tx(conn, |c| {
            diesel::insert_into(findings::table).values(&f).execute(c)?;
            for k in &ks {
                diesel::insert_into(cases::table).values(k).execute(c)?;
            }
            for (case, contract) in &links {
                diesel::insert_into(case_contracts::table)
                    .values((
                        case_contracts::case_id.eq(&new_cases[at(&case_ids, case)]),
                        case_contracts::contract_id.eq(contract),
                    ))
                    .execute(c)?;
            }
            for e in &es {
                diesel::insert_into(case_events::table)
                    .values(e)
                    .execute(c)?;
            }
            for n in &ns {
                diesel::insert_into(notifications::table)
                    .values(n)
                    .execute(c)?;
            }
            Ok(())
        })
        .expect("raw insert");
    })
    .report("raw", |_| format!("rows_per_transaction={rows}"));
}

/// Every open case with its contractor's token, shuffled: `case_id token` per line, for the
/// acknowledge load (each case can be acknowledged once).
pub fn pool(url: &str, out: &Path) {
    let tokens: HashMap<String, String> = read_lines(&out.join("contractor-tokens.txt"))
        .into_iter()
        .filter_map(|l| {
            l.split_once(' ')
                .map(|(a, b)| (a.to_string(), b.to_string()))
        })
        .collect();
    let mut conn = connect(url);
    let rows: Vec<(String, String)> = cases::table
        .filter(cases::state.eq("open"))
        .order(cases::id.asc())
        .select((cases::id, cases::contractor_id))
        .load(&mut *conn)
        .expect("open cases");
    let mut lines: Vec<String> = rows
        .into_iter()
        .filter_map(|(case, contractor)| tokens.get(&contractor).map(|t| format!("{case} {t}")))
        .collect();
    let mut rng = StdRng::seed_from_u64(7);
    for i in (1..lines.len()).rev() {
        lines.swap(i, rng.gen_range(0..=i));
    }
    eprintln!("pool: {} open cases", lines.len());
    write_lines(&out.join("pool.txt"), lines);
}

pub fn counts(url: &str) {
    let mut conn = connect(url);
    let c: &mut DbConnection = &mut conn;
    let n = [
        (
            "contracts",
            ketenzorg::schema::contracts::table
                .count()
                .get_result::<i64>(c),
        ),
        (
            "contract_items",
            contract_items::table.count().get_result::<i64>(c),
        ),
        ("factories", factories::table.count().get_result::<i64>(c)),
        ("components", components::table.count().get_result::<i64>(c)),
        (
            "sourcing_links",
            sourcing_links::table.count().get_result::<i64>(c),
        ),
        ("findings", findings::table.count().get_result::<i64>(c)),
        ("cases", cases::table.count().get_result::<i64>(c)),
        (
            "open_cases",
            cases::table
                .filter(cases::state.eq("open"))
                .count()
                .get_result::<i64>(c),
        ),
        (
            "case_events",
            case_events::table.count().get_result::<i64>(c),
        ),
        (
            "notifications",
            notifications::table.count().get_result::<i64>(c),
        ),
    ];
    for (name, v) in n {
        println!("{name}={}", v.expect("count"));
    }
}
