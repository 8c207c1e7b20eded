//! Abuse and failure: failed authentication is slowed, answers carry security headers and no
//! CORS, forged tokens fail, a backup taken under load restores with an intact audit chain, and
//! a database outage answers 503 and heals by itself.

mod common;

use std::time::Duration;

use common::proxy::Proxy;
use common::{Backend, TestApp};
use reqwest::StatusCode;
use serde_json::json;

async fn failed_authentication_is_slowed(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let mut statuses = Vec::new();
    for i in 0..31 {
        let forged = format!(
            "kz_{}_{}",
            uuid::Uuid::new_v4().simple(),
            "A".repeat(42) + &i.to_string().chars().last().unwrap().to_string()
        );
        let r = app
            .client
            .get(format!("{}/api/v1/me", app.base))
            .bearer_auth(&forged)
            .send()
            .await
            .unwrap();
        statuses.push(r.status().as_u16());
        if r.status() == StatusCode::TOO_MANY_REQUESTS {
            let retry: u64 = r.headers()["retry-after"]
                .to_str()
                .unwrap()
                .parse()
                .unwrap();
            assert!((1..=60).contains(&retry));
            assert_eq!(r.headers()["content-type"], "application/problem+json");
        }
    }
    assert!(statuses[..30].iter().all(|s| *s == 401), "{statuses:?}");
    assert_eq!(statuses[30], 429);
    // A valid token from the same address still works: an office behind one address is not
    // locked out by one client's mistakes.
    let (s, _) = app.get("/api/v1/me", &app.admin_token).await;
    assert_eq!(s, StatusCode::OK);
    let (s, _) = app.get("/api/v1/me", "kz_still_guessing").await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS);
}

async fn tokens_are_checked_whole(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let good = app.admin_token.clone();
    // Right id, wrong secret; a truncated token; another shape.
    let mut wrong = good.clone();
    let last = wrong.pop().unwrap();
    wrong.push(if last == 'A' { 'B' } else { 'A' });
    for bad in [
        wrong,
        good[..good.len() - 1].to_string(),
        format!("{good}x"),
        "kz_".to_string(),
    ] {
        let (s, _) = app.get("/api/v1/me", &bad).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED, "{bad}");
    }
    let (s, _) = app.get("/api/v1/me", &good).await;
    assert_eq!(s, StatusCode::OK);
}

async fn security_headers_and_no_cors(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    for path in ["/api/v1/me", "/api/v1/nothing", "/healthz"] {
        let r = app
            .client
            .get(format!("{}{path}", app.base))
            .bearer_auth(&app.admin_token)
            .header("Origin", "https://evil.example")
            .send()
            .await
            .unwrap();
        let h = r.headers();
        assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(h["x-frame-options"], "DENY");
        assert!(h["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("frame-ancestors 'none'"));
        assert!(h.get("access-control-allow-origin").is_none(), "no CORS");
    }
    let r = app
        .client
        .request(reqwest::Method::OPTIONS, format!("{}/api/v1/me", app.base))
        .header("Origin", "https://evil.example")
        .header("Access-Control-Request-Method", "GET")
        .send()
        .await
        .unwrap();
    assert!(r.headers().get("access-control-allow-origin").is_none());
    // Oversized headers are refused without a 5xx.
    let r = app
        .client
        .get(format!("{}/api/v1/me", app.base))
        .header("X-Big", "x".repeat(100_000))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_client_error(), "{}", r.status());
}

async fn a_backup_taken_under_load_restores_intact(backend: Backend) {
    if backend == Backend::Postgres {
        // PostgreSQL backups are pg_dump's job (docs/security.md); the command says so.
        let db = common::TestDb::new(backend);
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_ketenzorg"))
            .args(["backup", "/tmp/never.db"])
            .env("DATABASE_URL", &db.url)
            .env("LOG_LEVEL", "error")
            .output()
            .unwrap();
        assert!(!out.status.success());
        assert!(String::from_utf8_lossy(&out.stderr).contains("pg_dump"));
        return;
    }
    let app = TestApp::spawn(backend).await;
    let chain = app.chain(2).await;
    let f = app
        .finding(&chain.monitor, &chain.factory, "major", "2026-05-01")
        .await;
    let case = f["cases"][0]["id"].as_str().unwrap().to_string();
    // Writers keep going while the backup runs.
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writer = {
        let (client, base, token, stop) = (
            app.client.clone(),
            app.base.clone(),
            chain.buyer.clone(),
            stop.clone(),
        );
        let case = case.clone();
        tokio::spawn(async move {
            let mut n = 0;
            while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                let r = client
                    .post(format!("{base}/api/v1/cases/{case}/comments"))
                    .bearer_auth(&token)
                    .json(&json!({"text": format!("comment {n}")}))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(r.status(), StatusCode::CREATED);
                n += 1;
            }
            n
        })
    };
    tokio::time::sleep(Duration::from_millis(200)).await;
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("backup.db");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_ketenzorg"))
        .args(["backup", target.to_str().unwrap()])
        .env("DATABASE_URL", &app.test_db.url)
        .env("LOG_LEVEL", "error")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    tokio::time::sleep(Duration::from_millis(200)).await;
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    let written = writer.await.unwrap();
    assert!(
        written > 5,
        "load ran during the backup ({written} comments)"
    );
    // Restore: serve nothing, just check the copy.
    let url = format!("sqlite://{}", target.display());
    let audit = std::process::Command::new(env!("CARGO_BIN_EXE_ketenzorg"))
        .arg("verify-audit")
        .env("DATABASE_URL", &url)
        .env("LOG_LEVEL", "error")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&audit.stdout);
    assert!(
        audit.status.success() && text.contains("every chain intact"),
        "{text}"
    );
    // Refuses to overwrite.
    let again = std::process::Command::new(env!("CARGO_BIN_EXE_ketenzorg"))
        .args(["backup", target.to_str().unwrap()])
        .env("DATABASE_URL", &app.test_db.url)
        .env("LOG_LEVEL", "error")
        .output()
        .unwrap();
    assert!(!again.status.success());
}

/// PostgreSQL behind a proxy the test cuts: requests in flight and new ones answer 503 (never
/// 500), /readyz says not ready, and once the database is back everything works, no restart.
async fn a_database_outage_is_503_and_heals(backend: Backend) {
    if backend == Backend::Sqlite {
        return; // an embedded database cannot go away on its own
    }
    let test_db = common::TestDb::new(backend);
    let proxy = Proxy::start("127.0.0.1:5432").await;
    let url = test_db
        .url
        .replace("127.0.0.1:5432", &format!("127.0.0.1:{}", proxy.port));
    assert_ne!(
        url, test_db.url,
        "TEST_DATABASE_URL must name 127.0.0.1:5432 for this test"
    );
    let config = common::config_for(&url);
    let target = config.database.clone();
    let db = tokio::task::spawn_blocking(move || {
        ketenzorg::db::Db::connect_with(&target, 4, Duration::from_secs(1))
    })
    .await
    .unwrap()
    .unwrap();
    let clock = ketenzorg::clock::Clock::System;
    let admin = {
        let db = db.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = db.get().unwrap();
            ketenzorg::db::write_tx(&mut conn, |c| {
                let now = chrono::Utc::now().naive_utc();
                let org = ketenzorg::organizations::service::insert(c, serde_json::from_value(json!({"name": "Op",
                    "kind": "admin", "country": "BE", "notification_emails": ["op@op.example.org"]})).unwrap(), now)?;
                ketenzorg::auth::tokens::issue_unchecked(c, org.id, "t", now)
            }).unwrap().token
        }).await.unwrap()
    };
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let server = ketenzorg::server::build_with_db(config, clock, db, listener).unwrap();
    let base = format!("http://127.0.0.1:{}", server.port);
    tokio::spawn(server.server);
    let client = reqwest::Client::new();
    let post = |n: usize| {
        client.post(format!("{base}/api/v1/organizations")).bearer_auth(&admin)
            .json(&json!({"name": format!("Org {n}"), "kind": "buyer", "country": "BE", "notification_emails": ["x@y.example.org"]})).send()
    };
    assert_eq!(post(0).await.unwrap().status(), StatusCode::CREATED);
    // Load, and the outage in the middle of it.
    let mut statuses = Vec::new();
    let mut n = 1;
    for round in 0..3 {
        if round == 1 {
            proxy.cut().await;
        }
        let batch: Vec<_> = (0..8)
            .map(|_| {
                n += 1;
                post(n)
            })
            .collect();
        for r in futures_util::future::join_all(batch).await {
            let r = r.unwrap();
            statuses.push(r.status().as_u16());
            if r.status() == StatusCode::SERVICE_UNAVAILABLE {
                assert_eq!(r.headers()["content-type"], "application/problem+json");
                assert!(r.headers().get("retry-after").is_some());
            }
        }
        if round == 1 {
            let r = client.get(format!("{base}/readyz")).send().await.unwrap();
            assert_eq!(
                r.status(),
                StatusCode::SERVICE_UNAVAILABLE,
                "not ready while the database is away"
            );
        }
    }
    assert!(
        statuses.iter().all(|s| *s == 201 || *s == 503),
        "{statuses:?}"
    );
    assert!(statuses.contains(&503));
    proxy.restore();
    // Heals by itself: the pool reconnects.
    let started = std::time::Instant::now();
    loop {
        let r = client.get(format!("{base}/readyz")).send().await.unwrap();
        if r.status() == StatusCode::OK {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "did not recover"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(post(999).await.unwrap().status(), StatusCode::CREATED);
}

on_both_backends!(
    failed_authentication_is_slowed,
    tokens_are_checked_whole,
    security_headers_and_no_cors,
    a_backup_taken_under_load_restores_intact,
    a_database_outage_is_503_and_heals,
);
