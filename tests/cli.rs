//! The binary itself: `admin-token`, `demo`, `serve`, a restart on the same database, and
//! refusal of bad configuration.

mod common;

use std::process::Command;

use common::{serve_binary, Backend, TestDb};
use serde_json::{json, Value};

const BIN: &str = env!("CARGO_BIN_EXE_ketenzorg");

fn run(db: &TestDb, args: &[&str]) -> String {
    run_with(db, args, &std::env::temp_dir().join("ketenzorg-test-mail"))
}

fn run_with(db: &TestDb, args: &[&str], mail_dir: &std::path::Path) -> String {
    let out = Command::new(BIN)
        .args(args)
        .env("DATABASE_URL", &db.url)
        .env("LOG_LEVEL", "warn")
        .env("KETENZORG_MAIL_DIR", mail_dir)
        .output()
        .expect("run ketenzorg");
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

async fn get(base: &str, path: &str, token: &str) -> (u16, Value) {
    let r = reqwest::Client::new()
        .get(format!("{base}{path}"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

async fn post(base: &str, path: &str, token: &str, body: Value) -> (u16, Value) {
    let r = reqwest::Client::new()
        .post(format!("{base}{path}"))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

async fn admin_token_and_restart_keep_everything(backend: Backend) {
    let db = TestDb::new(backend);
    let token = run(&db, &["admin-token"]);
    let token = token.trim();
    assert!(
        token.starts_with("kz_") && !token.contains('\n'),
        "stdout is the token alone"
    );
    let second = run(&db, &["admin-token"]);
    assert_ne!(second.trim(), token, "each call issues a new token");

    let served = serve_binary(&db, &[]).await;
    let (status, me) = get(&served.base, "/api/v1/me", token).await;
    assert_eq!(status, 200);
    assert_eq!(me["organization"]["kind"], "admin");
    let (status, org) = post(
        &served.base,
        "/api/v1/organizations",
        token,
        json!({"name": "Kept",
        "kind": "contractor", "country": "NL", "notification_emails": ["k@kept.example.org"]}),
    )
    .await;
    assert_eq!(status, 201);
    let (_, orgs_before) = get(&served.base, "/api/v1/organizations", token).await;
    drop(served); // SIGKILL: no graceful shutdown

    let served = serve_binary(&db, &[]).await;
    let (status, again) = get(
        &served.base,
        &format!("/api/v1/organizations/{}", org["id"].as_str().unwrap()),
        token,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(again, org);
    let (_, orgs_after) = get(&served.base, "/api/v1/organizations", token).await;
    assert_eq!(orgs_after, orgs_before);
    // Both admin tokens work; one admin organization only.
    let (status, me2) = get(&served.base, "/api/v1/me", second.trim()).await;
    assert_eq!(status, 200);
    assert_eq!(me2["organization"]["id"], me["organization"]["id"]);
}

async fn demo_prints_a_working_token_per_role(backend: Backend) {
    let db = TestDb::new(backend);
    let out = run(&db, &["demo"]);
    let tokens: Vec<(String, String)> = out
        .lines()
        .map(|l| {
            let mut parts = l.split_whitespace();
            (
                parts.next().unwrap().to_string(),
                parts.next().unwrap().to_string(),
            )
        })
        .collect();
    let roles: Vec<&str> = tokens.iter().map(|(r, _)| r.as_str()).collect();
    assert_eq!(
        roles,
        ["admin", "buyer", "contractor", "contractor", "monitor"]
    );
    let served = serve_binary(&db, &[]).await;
    for (role, token) in &tokens {
        let (status, me) = get(&served.base, "/api/v1/me", token).await;
        assert_eq!(status, 200);
        assert_eq!(me["organization"]["kind"], role.as_str());
    }
    let token = |i: usize| tokens[i].1.as_str();
    // The buyer's framework has two lots; each contractor sees its own lot only.
    let (_, contracts) = get(&served.base, "/api/v1/contracts", token(1)).await;
    assert_eq!(contracts["items"].as_array().unwrap().len(), 2);
    let (_, own) = get(&served.base, "/api/v1/contracts", token(2)).await;
    assert_eq!(own["items"].as_array().unwrap().len(), 1);
    // Factories in several countries: five in the supply chains (the shared panel maker, registered
    // by both contractors, deduplicated) and the adapter factory nobody disclosed.
    let (_, factories) = get(&served.base, "/api/v1/factories", token(4)).await;
    let countries: std::collections::BTreeSet<&str> = factories["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["country"].as_str().unwrap())
        .collect();
    assert_eq!(factories["items"].as_array().unwrap().len(), 6);
    assert!(countries.len() >= 4);
    // The bill of materials is two levels deep below each product.
    let (_, components) = get(&served.base, "/api/v1/components", token(2)).await;
    let items = components["items"].as_array().unwrap();
    let depth = |c: &Value| {
        let mut d = 0;
        let mut cur = c.clone();
        while let Some(p) = cur["parent_id"].as_str() {
            cur = items.iter().find(|x| x["id"] == p).unwrap().clone();
            d += 1;
        }
        d
    };
    assert_eq!(items.iter().map(depth).max(), Some(2));

    // Findings of each severity: one reaching both contractors through the shared panel maker,
    // one unrouted; the history of the critical case tells its story.
    let (_, findings) = get(&served.base, "/api/v1/findings", token(4)).await;
    let findings = findings["items"].as_array().unwrap();
    let severities: std::collections::BTreeSet<&str> = findings
        .iter()
        .map(|f| f["severity"].as_str().unwrap())
        .collect();
    assert_eq!(severities.len(), 3);
    assert!(findings
        .iter()
        .any(|f| f["cases"].as_array().unwrap().len() == 2));
    assert_eq!(findings.iter().filter(|f| f["routed"] == false).count(), 1);
    for t in [token(2), token(3)] {
        let (_, cases) = get(&served.base, "/api/v1/cases", t).await;
        assert!(!cases["items"].as_array().unwrap().is_empty());
    }
    let (_, critical) = get(&served.base, "/api/v1/cases?severity=critical", token(2)).await;
    let case = critical["items"][0]["id"].as_str().unwrap();
    let (_, events) = get(
        &served.base,
        &format!("/api/v1/cases/{case}/events"),
        token(1),
    )
    .await;
    let kinds: Vec<&str> = events["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["opened", "acknowledged", "plan_submitted"]);
}

async fn demo_then_sweep_leaves_readable_mails_in_several_languages(backend: Backend) {
    let db = TestDb::new(backend);
    let dir = tempfile::tempdir().unwrap();
    run_with(&db, &["demo"], dir.path());
    let out = run_with(&db, &["sweep"], dir.path());
    assert!(out.contains("sent"), "{out}");
    let files: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert!(files.len() >= 8, "{} mails: {out}", files.len());
    assert!(files
        .iter()
        .all(|f| f.extension().is_some_and(|e| e == "eml")));
    let texts: Vec<String> = files
        .iter()
        .map(|f| common::smtp::decode(&std::fs::read_to_string(f).unwrap()))
        .collect();
    for lang in ["nl", "fr", "en"] {
        let strings: toml::Table = toml::from_str(
            &std::fs::read_to_string(format!(
                "{}/templates/email/strings.{lang}.toml",
                env!("CARGO_MANIFEST_DIR")
            ))
            .unwrap(),
        )
        .unwrap();
        let label = strings["next_label"].as_str().unwrap();
        assert!(
            texts.iter().any(|t| t.contains(label)),
            "no {lang} mail (looking for {label:?})"
        );
    }
    assert!(texts
        .iter()
        .all(|t| t.contains("Message-ID: <") && t.contains("text/html")));
    // A second sweep sends nothing again.
    let again = run_with(&db, &["sweep"], dir.path());
    assert!(again.contains("mail: 0 sent"), "{again}");
}

/// Uses a sign-in link on a served instance; returns the `/api/v1/me` its session reads.
async fn sign_in_with(base: &str, link: &str) -> Value {
    let client = reqwest::Client::new();
    let r = client
        .post(format!("{base}/auth/link"))
        .json(&json!({ "token": common::token_of_link(link) }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let cookie = r
        .headers()
        .get("set-cookie")
        .unwrap()
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    let r = client
        .get(format!("{base}/api/v1/me"))
        .header("Cookie", cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    r.json().await.unwrap()
}

async fn invite_mails_a_link_that_signs_in_and_demo_prints_ready_links(backend: Backend) {
    let db = TestDb::new(backend);
    let dir = tempfile::tempdir().unwrap();
    let admin = run(&db, &["admin-token"]);
    let served = serve_binary(&db, &[]).await;
    let (status, org) = post(
        &served.base,
        "/api/v1/organizations",
        admin.trim(),
        json!({"name": "Stad Gent", "kind": "buyer", "country": "BE",
            "notification_emails": ["aankoop@gent.example.be"], "language": "nl"}),
    )
    .await;
    assert_eq!(status, 201, "{org}");
    let org = org["id"].as_str().unwrap();
    let out = run_with(
        &db,
        &[
            "invite",
            "Eva.Claes@gent.example.be",
            "--organization",
            org,
            "--manager",
            "--name",
            "Eva Claes",
        ],
        dir.path(),
    );
    assert!(
        out.contains("invited Eva Claes") && out.contains("sent"),
        "{out}"
    );
    // With the default file mailer the link is in the .eml file, in the organization's language.
    let mails: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| common::smtp::decode(&std::fs::read_to_string(e.unwrap().path()).unwrap()))
        .collect();
    assert_eq!(mails.len(), 1);
    assert!(mails[0].contains("aanmeldlink"), "in Dutch: {}", mails[0]);
    let link = mails[0]
        .split_whitespace()
        .find(|w| w.contains("/auth/link?token="))
        .unwrap()
        .trim_end_matches(['"', '>'])
        .to_string();
    let me = sign_in_with(&served.base, &link).await;
    assert_eq!(me["user"]["display_name"], "Eva Claes");
    assert_eq!(me["user"]["role"], "manager");
    assert_eq!(me["user"]["email"], "eva.claes@gent.example.be");
    assert_eq!(me["organization"]["id"], org);
    // The same address again is refused, saying why.
    let (ok, _, err) = try_run(
        &db,
        &["invite", "eva.claes@gent.example.be", "--organization", org],
    );
    assert!(!ok && err.contains("already"), "{err}");
    let (ok, _, err) = try_run(&db, &["invite", "not-an-address", "--organization", org]);
    assert!(!ok && err.contains("not a valid email"), "{err}");
    // demo prints one ready link per person of the sample; each signs in as that person.
    let (ok, _, err) = try_run(&db, &["demo"]);
    assert!(ok, "{err}");
    let links: Vec<&str> = err
        .split_whitespace()
        .filter(|w| w.contains("/auth/link?token="))
        .collect();
    assert_eq!(links.len(), 5, "{err}");
    let me = sign_in_with(&served.base, links[1]).await;
    assert_eq!(me["user"]["display_name"], "An Peeters");
    assert_eq!(me["organization"]["kind"], "buyer");
}

/// Runs the binary; returns (success, stdout, stderr).
fn try_run(db: &TestDb, args: &[&str]) -> (bool, String, String) {
    let out = Command::new(BIN)
        .args(args)
        .env("DATABASE_URL", &db.url)
        .env("LOG_LEVEL", "warn")
        .env(
            "KETENZORG_MAIL_DIR",
            std::env::temp_dir().join("ketenzorg-test-mail"),
        )
        .output()
        .expect("run ketenzorg");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

async fn demo_twice_loads_once_and_hands_out_new_tokens(backend: Backend) {
    let db = TestDb::new(backend);
    run(&db, &["demo"]);
    let served = serve_binary(&db, &[]).await;
    let admin = run(&db, &["admin-token"]);
    let admin = admin.split_whitespace().last().unwrap().to_string();
    let counts = || async {
        let mut n = Vec::new();
        for path in ["organizations", "contracts", "findings", "cases"] {
            let (status, page) =
                get(&served.base, &format!("/api/v1/{path}?limit=500"), &admin).await;
            assert_eq!(status, 200, "{path}: {page}");
            n.push(page["items"].as_array().unwrap().len());
        }
        n
    };
    let before = counts().await;
    let (ok, out, err) = try_run(&db, &["demo"]);
    assert!(ok, "{err}");
    assert!(err.contains("already loaded"), "{err}");
    assert_eq!(counts().await, before, "the second demo added data");
    let roles: Vec<&str> = out
        .lines()
        .map(|l| l.split_whitespace().next().unwrap())
        .collect();
    assert_eq!(
        roles,
        ["admin", "buyer", "contractor", "contractor", "monitor"]
    );
    for line in out.lines() {
        let mut parts = line.split_whitespace();
        let (role, token) = (parts.next().unwrap(), parts.next().unwrap());
        let (status, me) = get(&served.base, "/api/v1/me", token).await;
        assert_eq!(
            (status, me["organization"]["kind"].as_str()),
            (200, Some(role))
        );
    }
}

async fn sweep_refuses_a_future_instant_without_the_test_clock_flag(backend: Backend) {
    let db = TestDb::new(backend);
    run(&db, &["demo"]);
    let future = (chrono::Utc::now() + chrono::TimeDelta::days(30)).to_rfc3339();
    let (ok, _, err) = try_run(&db, &["sweep", "--no-mail", "--at", &future]);
    assert!(!ok);
    assert!(
        err.contains("future") && err.contains("--test-clock"),
        "{err}"
    );
    let served = serve_binary(&db, &[]).await;
    let admin = run(&db, &["admin-token"]);
    let admin = admin.split_whitespace().last().unwrap().to_string();
    let escalated = || async {
        let (_, cases) = get(&served.base, "/api/v1/cases?limit=500", &admin).await;
        cases["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["escalation_level"].as_i64().unwrap_or(0) > 0)
            .count()
    };
    let before = escalated().await;
    // A past instant is a catch-up, and a test clock may run ahead on purpose.
    let past = (chrono::Utc::now() - chrono::TimeDelta::hours(1)).to_rfc3339();
    assert!(try_run(&db, &["sweep", "--no-mail", "--at", &past]).0);
    let (ok, out, err) = try_run(
        &db,
        &["sweep", "--no-mail", "--test-clock", "--at", &future],
    );
    assert!(ok, "{err}");
    assert!(out.contains("sweep at"), "{out}");
    assert!(
        escalated().await > before,
        "a month ahead escalates the demo's cases"
    );
    // Dates outside years 1-9999 say the format expected.
    let (ok, _, err) = try_run(&db, &["sweep", "--at", "+10000-01-01T00:00:00Z"]);
    assert!(!ok);
    assert!(err.contains("2026-12-01T09:00:00Z"), "{err}");
}

#[test]
fn bad_configuration_is_refused_at_start() {
    let out = Command::new(BIN)
        .arg("serve")
        .env("BIND", "everywhere")
        .env("DATABASE_URL", "mysql://db/x")
        .env("KETENZORG_WORKERZ", "4")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    for needle in ["BIND", "DATABASE_URL", "KETENZORG_WORKERZ"] {
        assert!(stderr.contains(needle), "{needle} not named in: {stderr}");
    }
}

/// `import disclosure`: a dry run prints the report and changes nothing; `--commit` applies
/// the list (ending the demo contractor's links it no longer holds); a file with an error
/// exits non-zero and changes nothing.
async fn import_disclosure_dry_runs_then_commits(backend: Backend) {
    let db = TestDb::new(backend);
    run(&db, &["demo"]);
    let served = serve_binary(&db, &[]).await;
    let admin = run(&db, &["admin-token"]);
    let admin = admin.split_whitespace().last().unwrap().to_string();
    let (_, orgs) = get(&served.base, "/api/v1/organizations?limit=500", &admin).await;
    let contractor = orgs["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["kind"] == "contractor")
        .expect("a demo contractor")["id"]
        .as_str()
        .unwrap()
        .to_string();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("list.csv");
    std::fs::write(
        &file,
        "product model;component path;factory name;address;country;OS ID;tier;valid from;valid to;contract references\n\
         CLI Model;Keyboard;Keyboard Works;4 Factory Lane;TH;;2;2026-01-01;;\n",
    )
    .unwrap();
    let path = file.to_str().unwrap();
    let dry: Value = serde_json::from_str(&run(
        &db,
        &["import", "disclosure", path, "--contractor", &contractor],
    ))
    .unwrap();
    assert_eq!(
        (dry["dry_run"].as_bool(), dry["created"].as_u64()),
        (Some(true), Some(1)),
        "{dry}"
    );
    assert!(
        dry["ended"].as_u64().unwrap() > 0,
        "the demo's links are not in this list: {dry}"
    );
    let components = || async {
        let (_, page) = get(&served.base, "/api/v1/components?limit=500", &admin).await;
        page["items"].as_array().unwrap().len()
    };
    let before = components().await;
    let done: Value = serde_json::from_str(&run(
        &db,
        &[
            "import",
            "disclosure",
            path,
            "--contractor",
            &contractor,
            "--commit",
        ],
    ))
    .unwrap();
    assert_eq!(
        (done["committed"].as_bool(), done["ended"].clone()),
        (Some(true), dry["ended"].clone())
    );
    assert_eq!(components().await, before + 2, "CLI Model and its keyboard");

    std::fs::write(
        &file,
        "product model;component path;factory name;address;country;OS ID;tier;valid from;valid to;contract references\n\
         CLI Model;Keyboard;Keyboard Works;4 Factory Lane;ZZ;;2;2026-01-01;;\n",
    )
    .unwrap();
    let (ok, out, err) = try_run(
        &db,
        &[
            "import",
            "disclosure",
            path,
            "--contractor",
            &contractor,
            "--commit",
        ],
    );
    assert!(!ok, "{out}");
    assert!(err.contains("1 of 1 rows have errors"), "{err}");
    assert!(out.contains("unknown country"), "{out}");
    let (ok, _, err) = try_run(
        &db,
        &[
            "import",
            "disclosure",
            path,
            "--contractor",
            &a_buyer(&orgs),
        ],
    );
    assert!(!ok);
    assert!(err.contains("no contractor organization"), "{err}");
}

fn a_buyer(orgs: &Value) -> String {
    orgs["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["kind"] == "buyer")
        .expect("a demo buyer")["id"]
        .as_str()
        .unwrap()
        .to_string()
}

on_both_backends!(
    import_disclosure_dry_runs_then_commits,
    admin_token_and_restart_keep_everything,
    demo_prints_a_working_token_per_role,
    demo_then_sweep_leaves_readable_mails_in_several_languages,
    demo_twice_loads_once_and_hands_out_new_tokens,
    invite_mails_a_link_that_signs_in_and_demo_prints_ready_links,
    sweep_refuses_a_future_instant_without_the_test_clock_flag,
);
