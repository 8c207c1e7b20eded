//! Crash safety: findings are filed and cases acknowledged under load, with Idempotency-Keys;
//! the server is killed with SIGKILL mid-way, restarted, and the client retries what was not
//! acknowledged. Then: every acknowledged request is in the database exactly once, every
//! case's history chain is intact, every outbox row is pending or sent, nothing is
//! half-written.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{Backend, TestDb};
use serde_json::{json, Value};

const BIN: &str = env!("CARGO_BIN_EXE_ketenzorg");

fn serve(db: &TestDb, port: u16) -> Child {
    Command::new(BIN)
        .arg("serve")
        .env("DATABASE_URL", &db.url)
        .env("BIND", format!("127.0.0.1:{port}"))
        .env("LOG_LEVEL", "error")
        .env("KETENZORG_SWEEP_INTERVAL", "off")
        .env("KETENZORG_MAIL_INTERVAL", "off")
        .stdout(Stdio::null())
        .spawn()
        .unwrap()
}

async fn ready(base: &str) {
    let started = Instant::now();
    while !reqwest::get(format!("{base}/readyz"))
        .await
        .is_ok_and(|r| r.status().is_success())
    {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "server did not start"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn call(
    c: &reqwest::Client,
    m: reqwest::Method,
    url: String,
    token: &str,
    body: Value,
    key: Option<&str>,
) -> Option<(u16, Value)> {
    let mut r = c
        .request(m, url)
        .bearer_auth(token)
        .json(&body)
        .timeout(Duration::from_secs(20));
    if let Some(k) = key {
        r = r.header("Idempotency-Key", k);
    }
    let res = r.send().await.ok()?;
    let status = res.status().as_u16();
    let v = res.json().await.ok()?;
    Some((status, v))
}

async fn killed_mid_load_nothing_lost_nothing_doubled(backend: Backend) {
    let db = TestDb::new(backend);
    let admin = String::from_utf8(
        Command::new(BIN)
            .arg("admin-token")
            .env("DATABASE_URL", &db.url)
            .env("LOG_LEVEL", "error")
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap()
    .trim()
    .to_string();
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let base = format!("http://127.0.0.1:{port}");
    let mut server = serve(&db, port);
    ready(&base).await;
    let c = reqwest::Client::new();
    let api = |p: &str| format!("{base}/api/v1{p}");
    let post = reqwest::Method::POST;
    // A buyer, two contractors sourcing from one factory, a monitor.
    let org = |kind: &str, n: usize| json!({"name": format!("{kind} {n}"), "kind": kind, "country": "BE", "notification_emails": [format!("{kind}{n}@x.example.org")]});
    let mut tokens = BTreeMap::new();
    let mut ids = BTreeMap::new();
    for (name, kind) in [
        ("buyer", "buyer"),
        ("c1", "contractor"),
        ("c2", "contractor"),
        ("monitor", "monitor"),
    ] {
        let (_, o) = call(
            &c,
            post.clone(),
            api("/organizations"),
            &admin,
            org(kind, tokens.len()),
            None,
        )
        .await
        .unwrap();
        let (_, t) = call(
            &c,
            post.clone(),
            api("/tokens"),
            &admin,
            json!({"organization_id": o["id"], "label": "t"}),
            None,
        )
        .await
        .unwrap();
        tokens.insert(name, t["token"].as_str().unwrap().to_string());
        ids.insert(name, o["id"].as_str().unwrap().to_string());
    }
    let (_, factory) = call(
        &c,
        post.clone(),
        api("/factories"),
        &tokens["c1"],
        json!({"name": "F", "address": "A", "country": "CN"}),
        None,
    )
    .await
    .unwrap();
    for (i, who) in ["c1", "c2"].iter().enumerate() {
        let (_, k) = call(&c, post.clone(), api("/contracts"), &tokens["buyer"], json!({"reference": format!("K{i}"), "title": "T",
            "buyer_id": ids["buyer"], "contractor_id": ids[who], "starts_on": "2026-01-01", "ends_on": "2030-12-31"}), None).await.unwrap();
        let (_, p) = call(
            &c,
            post.clone(),
            api("/components"),
            &tokens[who],
            json!({"name": "P"}),
            None,
        )
        .await
        .unwrap();
        call(
            &c,
            post.clone(),
            api(&format!("/contracts/{}/items", k["id"].as_str().unwrap())),
            &tokens[who],
            json!({"component_id": p["id"]}),
            None,
        )
        .await
        .unwrap();
        call(
            &c,
            post.clone(),
            api(&format!(
                "/components/{}/sources",
                p["id"].as_str().unwrap()
            )),
            &tokens[who],
            json!({"factory_id": factory["id"], "tier": 1, "valid_from": "2026-01-01"}),
            None,
        )
        .await
        .unwrap();
    }
    let factory_id = factory["id"].clone();
    let finding = move |i: usize| {
        json!({"factory_id": factory_id, "category": "wages", "severity": "major",
        "title": format!("Finding {i}"), "description": "d", "observed_on": "2026-05-01"})
    };

    // Load: four workers file findings with keys; each filed finding's first case is acknowledged.
    const N: usize = 120;
    let acked: Arc<Mutex<BTreeMap<usize, String>>> = Arc::default();
    let mut workers = Vec::new();
    for w in 0..4 {
        let (c, acked, monitor, c1, api_base) = (
            c.clone(),
            acked.clone(),
            tokens["monitor"].clone(),
            tokens["c1"].clone(),
            base.clone(),
        );
        let finding = finding.clone();
        workers.push(tokio::spawn(async move {
            for i in (w..N).step_by(4) {
                let key = format!("crash-{i}");
                let Some((201, f)) = call(
                    &c,
                    reqwest::Method::POST,
                    format!("{api_base}/api/v1/findings"),
                    &monitor,
                    finding(i),
                    Some(&key),
                )
                .await
                else {
                    return;
                };
                acked
                    .lock()
                    .unwrap()
                    .insert(i, f["id"].as_str().unwrap().to_string());
                if let Some(case) = f["cases"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|x| x["contractor_id"].is_string())
                {
                    let url = format!(
                        "{api_base}/api/v1/cases/{}/transitions",
                        case["id"].as_str().unwrap()
                    );
                    let _ = call(
                        &c,
                        reqwest::Method::POST,
                        url,
                        &c1,
                        json!({"action": "acknowledge"}),
                        None,
                    )
                    .await;
                }
            }
        }));
    }
    // Kill the server once a third of the findings are acknowledged.
    let started = Instant::now();
    while acked.lock().unwrap().len() < N / 3 {
        assert!(started.elapsed() < Duration::from_secs(120));
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    server.kill().unwrap();
    server.wait().unwrap();
    for w in workers {
        w.await.unwrap();
    }
    let before_crash = acked.lock().unwrap().clone();
    assert!(before_crash.len() < N, "killed before the end");

    // Restart; retry every finding (acknowledged ones must replay, the others file once).
    let mut server = serve(&db, port);
    ready(&base).await;
    let mut finding_ids: BTreeMap<usize, String> = BTreeMap::new();
    for i in 0..N {
        let (status, f) = call(
            &c,
            post.clone(),
            api("/findings"),
            &tokens["monitor"],
            finding(i),
            Some(&format!("crash-{i}")),
        )
        .await
        .unwrap();
        assert_eq!(status, 201, "{f}");
        let id = f["id"].as_str().unwrap().to_string();
        if let Some(first) = before_crash.get(&i) {
            assert_eq!(
                &id, first,
                "an acknowledged filing replays as the same finding"
            );
        }
        finding_ids.insert(i, id);
    }
    assert_eq!(
        finding_ids.values().collect::<BTreeSet<_>>().len(),
        N,
        "one finding per key"
    );
    let (_, list) = call(
        &c,
        reqwest::Method::GET,
        api("/findings?limit=500"),
        &tokens["monitor"],
        json!({}),
        None,
    )
    .await
    .unwrap();
    assert_eq!(
        list["items"].as_array().unwrap().len(),
        N,
        "nothing filed twice"
    );
    server.kill().unwrap();
    server.wait().unwrap();

    // Inspect the database itself.
    let audit = Command::new(BIN)
        .arg("verify-audit")
        .env("DATABASE_URL", &db.url)
        .env("LOG_LEVEL", "error")
        .output()
        .unwrap();
    assert!(
        audit.status.success(),
        "{}",
        String::from_utf8_lossy(&audit.stdout)
    );
    let target = ketenzorg::db::DatabaseTarget::parse(&db.url).unwrap();
    let kdb = ketenzorg::db::Db::connect(&target, 1).unwrap();
    let mut conn = kdb.get().unwrap();
    use diesel::prelude::*;
    use ketenzorg::schema::{case_events, cases, findings, notifications};
    let f: i64 = findings::table.count().get_result(&mut *conn).unwrap();
    let routed: i64 = findings::table
        .filter(findings::routed.eq(true))
        .count()
        .get_result(&mut *conn)
        .unwrap();
    let case_count: i64 = cases::table.count().get_result(&mut *conn).unwrap();
    assert_eq!(
        (f, routed, case_count),
        (N as i64, N as i64, 2 * N as i64),
        "every finding whole: routed, two cases"
    );
    let opened: i64 = case_events::table
        .filter(case_events::kind.eq("opened"))
        .count()
        .get_result(&mut *conn)
        .unwrap();
    assert_eq!(opened, 2 * N as i64, "every case has its first event");
    let rows: Vec<(String, i32)> = cases::table
        .select((cases::id, cases::event_count))
        .load(&mut *conn)
        .unwrap();
    for (case, count) in rows {
        let n: i64 = case_events::table
            .filter(case_events::case_id.eq(&case))
            .count()
            .get_result(&mut *conn)
            .unwrap();
        assert_eq!(
            n, count as i64,
            "case {case}: its event count matches its history"
        );
        let acks: i64 = case_events::table
            .filter(case_events::case_id.eq(&case))
            .filter(case_events::kind.eq("acknowledged"))
            .count()
            .get_result(&mut *conn)
            .unwrap();
        assert!(acks <= 1, "case {case} acknowledged twice");
    }
    let bad: i64 = notifications::table
        .filter(notifications::status.ne_all(["pending", "sent"]))
        .count()
        .get_result(&mut *conn)
        .unwrap();
    assert_eq!(bad, 0);
    let opened_mail: i64 = notifications::table
        .filter(notifications::kind.eq("opened"))
        .count()
        .get_result(&mut *conn)
        .unwrap();
    assert_eq!(
        opened_mail,
        4 * N as i64,
        "each case told its contractor and the buyer"
    );
}

on_both_backends!(killed_mid_load_nothing_lost_nothing_doubled);
