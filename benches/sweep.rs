//! Sweep cost against the number of open cases: fills a fresh database with N open cases of
//! which the same 1,000 are due, and times one sweep, at N = 10,000 and N = 1,000,000, on
//! SQLite and on PostgreSQL. The sweep reads only what is due (an index on next_action_at),
//! so the two times should be close: the ratio is the figure of merit (goal: under 2).
//!
//!     cargo bench --bench sweep                  # both sizes, both backends
//!     BENCH_SIZES=10000,100000 cargo bench --bench sweep
//!     BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test  (default; a fresh schema is used)

use std::time::Instant;

use diesel::connection::SimpleConnection;
use diesel::Connection;
use ketenzorg::clock::Clock;
use ketenzorg::db::{write_tx, Db, DbConnection};
use ketenzorg::escalation::sweep;
use ketenzorg::escalation::Policy;
use serde_json::json;

const DUE: i64 = 1000;

fn main() {
    let sizes: Vec<i64> = std::env::var("BENCH_SIZES")
        .unwrap_or_else(|_| "10000,1000000".into())
        .split(',')
        .map(|s| s.trim().parse().expect("BENCH_SIZES: numbers"))
        .collect();
    let pg = std::env::var("BENCH_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
    let backends = std::env::var("BENCH_BACKENDS").unwrap_or_else(|_| "sqlite,postgres".into());
    println!("| backend | open cases | due | sweep (ms) | reminders |");
    println!("|---|---:|---:|---:|---:|");
    for backend in backends.split(',') {
        let mut times = Vec::new();
        for &n in &sizes {
            let (url, cleanup): (String, Box<dyn FnOnce()>) = match backend {
                "sqlite" => {
                    let dir = tempfile::tempdir().unwrap();
                    let url = format!("sqlite://{}", dir.path().join("bench.db").display());
                    (url, Box::new(move || drop(dir)))
                }
                _ => {
                    let schema =
                        format!("bench_{}", &uuid::Uuid::new_v4().simple().to_string()[..8]);
                    let mut c = diesel::PgConnection::establish(&pg).expect("BENCH_DATABASE_URL");
                    c.batch_execute(&format!("CREATE SCHEMA {schema}")).unwrap();
                    let sep = if pg.contains('?') { '&' } else { '?' };
                    let url = format!("{pg}{sep}options=-csearch_path%3D{schema}");
                    let base = pg.clone();
                    (
                        url,
                        Box::new(move || {
                            if let Ok(mut c) = diesel::PgConnection::establish(&base) {
                                let _ = c.batch_execute(&format!("DROP SCHEMA {schema} CASCADE"));
                            }
                        }),
                    )
                }
            };
            let target = ketenzorg::db::DatabaseTarget::parse(&url).unwrap();
            let db = Db::connect(&target, 2).unwrap();
            let mut conn = db.get().unwrap();
            let now = fill(&mut conn, n);
            if std::env::var("BENCH_DEBUG").is_ok() {
                use diesel::prelude::*;
                use ketenzorg::schema::cases;
                let all: i64 = cases::table.count().get_result(&mut *conn).unwrap();
                let due: i64 = cases::table
                    .filter(cases::next_action_at.le(now))
                    .count()
                    .get_result(&mut *conn)
                    .unwrap();
                let sample: Vec<Option<chrono::NaiveDateTime>> = cases::table
                    .select(cases::next_action_at)
                    .limit(3)
                    .load(&mut *conn)
                    .unwrap();
                eprintln!("cases {all}, due {due} at {now}, sample {sample:?}");
            }
            let started = Instant::now();
            let report =
                sweep::run(&mut conn, now, &Policy::default(), sweep::DEFAULT_BATCH).unwrap();
            let ms = started.elapsed().as_secs_f64() * 1000.0;
            assert_eq!(report.reminders as i64, DUE, "{report:?}");
            println!(
                "| {backend} | {n} | {DUE} | {ms:.1} | {} |",
                report.reminders
            );
            times.push(ms);
            drop(conn);
            drop(db);
            cleanup();
        }
        if times.len() >= 2 {
            println!(
                "| {backend} | ratio largest / smallest | | {:.2} | |",
                times[times.len() - 1] / times[0]
            );
        }
    }
}

/// One real finding and case (through the services), then `n` cases in bulk SQL, of which
/// `DUE` have a reminder due now. Returns "now".
fn fill(conn: &mut DbConnection, n: i64) -> chrono::NaiveDateTime {
    let clock = Clock::manual("2026-06-01T09:00:00Z".parse().unwrap());
    let t0 = clock.now_naive();
    let policy = Policy::default();
    write_tx(conn, |c| {
        let mut org = |kind: &str| {
            let o = ketenzorg::organizations::service::insert(c, serde_json::from_value(json!({
                "name": kind, "kind": kind, "country": "BE", "notification_emails": [format!("{kind}@bench.example.org")]})).unwrap(), t0)?;
            let t = ketenzorg::auth::tokens::issue_unchecked(c, o.id, "bench", t0)?;
            Ok::<_, ketenzorg::error::Error>(ketenzorg::auth::Caller { organization_id: o.id, kind: o.kind, token_id: Some(t.id), user: None })
        };
        let contractor = org("contractor")?;
        let monitor = org("monitor")?;
        let buyer = org("buyer")?;
        let factory = ketenzorg::factories::service::create(c, &contractor,
            serde_json::from_value(json!({"name": "F", "address": "A", "country": "CN"})).unwrap(), t0)?;
        let product = ketenzorg::components::service::create(c, &contractor,
            serde_json::from_value(json!({"name": "P"})).unwrap(), t0)?;
        let contract = ketenzorg::contracts::service::create(c, &buyer, serde_json::from_value(json!({
            "reference": "K", "title": "K", "buyer_id": buyer.organization_id, "contractor_id": contractor.organization_id,
            "starts_on": "2026-01-01", "ends_on": "2027-12-31"})).unwrap(), t0)?;
        ketenzorg::contracts::service::add_item(c, &contractor, contract.id,
            serde_json::from_value(json!({"component_id": product.id})).unwrap(), t0, &policy)?;
        ketenzorg::components::service::add_source(c, &contractor, product.id, serde_json::from_value(json!({
            "factory_id": factory.id, "tier": 1, "valid_from": "2026-01-01"})).unwrap(), t0, &policy)?;
        ketenzorg::findings::service::file(c, &monitor, serde_json::from_value(json!({
            "factory_id": factory.id, "category": "wages", "severity": "major", "title": "t",
            "description": "d", "observed_on": "2026-05-01"})).unwrap(), None, t0, &policy)?;
        Ok(())
    })
    .unwrap();
    let pg = matches!(conn, DbConnection::Pg(_));
    let series = if pg {
        format!("FROM generate_series(1, {n}) AS s(i)")
    } else {
        format!("FROM (WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < {n}) SELECT i FROM s)")
    };
    let id = |prefix: &str| {
        if pg {
            format!("'{prefix}-0000-7000-8000-' || lpad(i::text, 12, '0')")
        } else {
            format!("printf('{prefix}-0000-7000-8000-%012d', i)")
        }
    };
    let ts = |s: &str| {
        if pg {
            format!("TIMESTAMP '{s}'")
        } else {
            format!("'{s}'")
        }
    };
    let due_at = if pg {
        format!(
            "CASE WHEN i <= {DUE} THEN {} ELSE {} END",
            ts("2026-06-01 08:00:00"),
            ts("2030-01-01 00:00:00")
        )
    } else {
        format!("CASE WHEN i <= {DUE} THEN '2026-06-01 08:00:00' ELSE '2030-01-01 00:00:00' END")
    };
    let ack_due = if pg {
        format!(
            "CASE WHEN i <= {DUE} THEN {} ELSE {} END",
            ts("2026-06-01 20:00:00"),
            ts("2030-01-02 00:00:00")
        )
    } else {
        format!("CASE WHEN i <= {DUE} THEN '2026-06-01 20:00:00' ELSE '2030-01-02 00:00:00' END")
    };
    let sql = format!(
        "INSERT INTO findings (id, monitor_id, factory_id, category, severity, title, description, observed_on, evidence, confidential_notes, worker_protection, routed, created_at, updated_at)
         SELECT {fid}, f.monitor_id, f.factory_id, f.category, f.severity, f.title, f.description, f.observed_on, '[]', NULL, f.worker_protection, f.routed, f.created_at, f.updated_at
         {series} CROSS JOIN (SELECT * FROM findings LIMIT 1) AS f;
         INSERT INTO cases (id, finding_id, contractor_id, monitor_id, factory_id, category, severity, state, resume_state, escalation_level, overdue, opened_at,
             acknowledge_due_at, plan_due_at, remediation_due_at, next_due_at, due_order, plan, version, event_count, last_event_hash, created_at, updated_at,
             policy_version, paused_seconds, next_action_at)
         SELECT {cid}, {fid}, c.contractor_id, c.monitor_id, c.factory_id, c.category, c.severity, 'open', NULL, 0, {f}, c.opened_at,
             {ack_due}, {plan_due}, {plan_due}, {ack_due}, {ack_due}, NULL, 1, 0, c.last_event_hash, c.created_at, c.updated_at,
             c.policy_version, 0, {due_at}
         {series} CROSS JOIN (SELECT * FROM cases LIMIT 1) AS c;",
        fid = id("99999999"),
        cid = id("88888888"),
        f = if pg { "false" } else { "0" },
        plan_due = ts("2030-02-01 00:00:00"),
    );
    conn.batch_execute(&sql).expect("bulk insert");
    conn.batch_execute("ANALYZE").unwrap();
    t0
}
