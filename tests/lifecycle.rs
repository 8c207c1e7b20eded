//! The case lifecycle over HTTP: every action in every state by every kind of caller,
//! If-Match races, comments, extensions, idempotent filing and the audit chain.

mod common;

use common::{id, Backend, Chain, TestApp};
use reqwest::StatusCode;
use serde_json::{json, Value};

const STATES: [&str; 8] = [
    "open",
    "acknowledged",
    "plan_submitted",
    "plan_accepted",
    "remediated",
    "verified",
    "disputed",
    "closed",
];
const ACTIONS: [&str; 9] = [
    "acknowledge",
    "submit_plan",
    "accept_plan",
    "reject_plan",
    "report_remediated",
    "verify",
    "dispute",
    "close",
    "reopen",
];

/// The specification, written out independently of the implementation.
fn legal(state: &str) -> &'static [&'static str] {
    match state {
        "open" => &["acknowledge", "dispute", "close"],
        "acknowledged" => &["submit_plan", "dispute", "close"],
        "plan_submitted" => &["accept_plan", "reject_plan", "close"],
        "plan_accepted" => &["report_remediated", "close"],
        "remediated" => &["verify", "close"],
        "verified" => &["close"],
        "disputed" => &["close", "reopen"],
        "closed" => &["reopen"],
        _ => unreachable!(),
    }
}

fn contractor_acts(action: &str) -> bool {
    matches!(
        action,
        "acknowledge" | "submit_plan" | "report_remediated" | "dispute"
    )
}

fn leads_to(action: &str) -> &'static str {
    match action {
        "acknowledge" | "reject_plan" => "acknowledged",
        "submit_plan" => "plan_submitted",
        "accept_plan" => "plan_accepted",
        "report_remediated" => "remediated",
        "verify" => "verified",
        "dispute" => "disputed",
        "close" => "closed",
        // Our paths dispute and close straight from open, so reopening returns there.
        "reopen" => "open",
        _ => unreachable!(),
    }
}

fn body(action: &str) -> Value {
    match action {
        "submit_plan" => json!({"action": action, "plan": {"root_cause": "No overtime controls",
            "actions": [{"description": "Cap overtime at 60 hours", "kind": "corrective",
                "owner": "Plant manager", "due_on": "2026-09-01"}]}}),
        "reject_plan" | "dispute" | "close" => json!({"action": action, "reason": "Reason given"}),
        "report_remediated" => json!({"action": action, "note": "Done",
            "evidence": [{"url": "https://evidence.example.org/payroll.pdf", "sha256": "a".repeat(64)}]}),
        _ => json!({"action": action}),
    }
}

/// The path from open to each state, as (action, by contractor?).
fn path_to(state: &str) -> &'static [&'static str] {
    match state {
        "open" => &[],
        "acknowledged" => &["acknowledge"],
        "plan_submitted" => &["acknowledge", "submit_plan"],
        "plan_accepted" => &["acknowledge", "submit_plan", "accept_plan"],
        "remediated" => &[
            "acknowledge",
            "submit_plan",
            "accept_plan",
            "report_remediated",
        ],
        "verified" => &[
            "acknowledge",
            "submit_plan",
            "accept_plan",
            "report_remediated",
            "verify",
        ],
        "disputed" => &["dispute"],
        "closed" => &["close"],
        _ => unreachable!(),
    }
}

async fn new_case(app: &TestApp, chain: &Chain, state: &str) -> String {
    let finding = app
        .finding(&chain.monitor, &chain.factory, "major", "2026-05-01")
        .await;
    let case = finding["cases"][0]["id"].as_str().unwrap().to_string();
    for action in path_to(state) {
        let token = if contractor_acts(action) {
            &chain.contractors[0].1
        } else {
            &chain.monitor
        };
        let (s, c) = app
            .post(
                &format!("/api/v1/cases/{case}/transitions"),
                token,
                body(action),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{action} on the way to {state}: {c}");
    }
    let (_, c) = app
        .get(&format!("/api/v1/cases/{case}"), &chain.monitor)
        .await;
    assert_eq!(c["state"], state);
    case
}

async fn every_action_in_every_state_by_every_caller(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let chain = app.chain(1).await;
    let contractor = chain.contractors[0].1.clone();
    let (_, other_contractor) = app.org("contractor", "Other contractor").await;
    let (_, other_monitor) = app.org("monitor", "Other monitor").await;
    let (_, other_buyer) = app.org("buyer", "Other buyer").await;
    let callers = [
        ("contractor", &contractor),
        ("monitor", &chain.monitor),
        ("buyer", &chain.buyer),
        ("admin", &app.admin_token),
        ("other contractor", &other_contractor),
        ("other monitor", &other_monitor),
        ("other buyer", &other_buyer),
    ];
    let mut failures = Vec::new();
    for state in STATES {
        // Refusals all go to one case, which must come out untouched.
        let refusals = new_case(&app, &chain, state).await;
        let (_, before) = app
            .get(&format!("/api/v1/cases/{refusals}/events"), &chain.monitor)
            .await;
        for action in ACTIONS {
            for (who, token) in &callers {
                let party = match *who {
                    "contractor" => Some(true),
                    "monitor" => Some(false),
                    _ => None,
                };
                let is_legal = legal(state).contains(&action);
                let right_party = party == Some(contractor_acts(action));
                let expected = match *who {
                    "other contractor" | "other monitor" | "other buyer" => StatusCode::NOT_FOUND,
                    "admin" | "buyer" => StatusCode::FORBIDDEN,
                    _ if !right_party => StatusCode::FORBIDDEN,
                    _ if !is_legal => StatusCode::CONFLICT,
                    _ => StatusCode::OK,
                };
                let case = if expected == StatusCode::OK {
                    new_case(&app, &chain, state).await
                } else {
                    refusals.clone()
                };
                let (status, answer) = app
                    .post(
                        &format!("/api/v1/cases/{case}/transitions"),
                        token,
                        body(action),
                    )
                    .await;
                if status != expected {
                    failures.push(format!(
                        "{who} {action} in {state}: {status}, expected {expected}: {answer}"
                    ));
                    continue;
                }
                match status {
                    StatusCode::OK if answer["state"] != leads_to(action) => {
                        failures.push(format!("{action} from {state} led to {}", answer["state"]));
                    }
                    StatusCode::CONFLICT => {
                        // The problem names the state and what this caller may do instead.
                        let allowed: Vec<&str> = legal(state)
                            .iter()
                            .copied()
                            .filter(|a| contractor_acts(a) == (party == Some(true)))
                            .collect();
                        if answer["current_state"] != state
                            || answer["allowed_actions"] != json!(allowed)
                        {
                            failures
                                .push(format!("409 for {who} {action} in {state} says {answer}"));
                        }
                    }
                    _ => {}
                }
            }
        }
        let (_, after) = app
            .get(&format!("/api/v1/cases/{refusals}/events"), &chain.monitor)
            .await;
        assert_eq!(
            before, after,
            "a refused action changed the history in {state}"
        );
        let (_, c) = app
            .get(&format!("/api/v1/cases/{refusals}"), &chain.monitor)
            .await;
        assert_eq!(c["state"], state);
    }
    assert!(
        failures.is_empty(),
        "{} wrong answers:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

async fn actions_check_what_they_need(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let chain = app.chain(1).await;
    let c = &chain.contractors[0].1;
    let case = new_case(&app, &chain, "acknowledged").await;
    let t = format!("/api/v1/cases/{case}/transitions");
    for (who, b, field) in [
        (c, json!({"action": "submit_plan"}), "plan"),
        (
            c,
            json!({"action": "submit_plan", "plan": {"root_cause": "x", "actions": []}}),
            "plan.no_action_justification",
        ),
        (
            c,
            json!({"action": "submit_plan", "plan": {"root_cause": "x", "actions": [{"description": "d", "kind": "curative", "owner": "o", "due_on": "2026-09-01"}]}}),
            "plan.actions[0].kind",
        ),
        (c, json!({"action": "dispute"}), "reason"),
        (&chain.monitor, json!({"action": "close"}), "reason"),
        (c, json!({"action": "fly"}), "action"),
    ] {
        let (s, p) = app.post(&t, who, b.clone()).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}: {p}");
        assert_eq!(p["errors"][0]["field"], field, "{b}");
    }
    // A plan that decides on no action, with a justification, is a plan.
    let (s, case_v) = app
        .post(
            &t,
            c,
            json!({"action": "submit_plan", "plan": {"root_cause": "Misread payroll",
        "actions": [], "no_action_justification": "The overtime was voluntary and paid at 150%"}}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{case_v}");
    assert_eq!(
        case_v["plan"]["no_action_justification"],
        "The overtime was voluntary and paid at 150%"
    );
    // Waiting on the monitor: no contractor clock runs.
    assert!(case_v["next_due_at"].is_null());
    let (_, rejected) = app
        .post(
            &t,
            &chain.monitor,
            json!({"action": "reject_plan", "reason": "Not credible"}),
        )
        .await;
    assert_eq!(rejected["state"], "acknowledged");
    assert_eq!(rejected["next_due_at"], rejected["deadlines"]["plan"]);
    let (_, events) = app.get(&format!("/api/v1/cases/{case}/events"), c).await;
    let kinds: Vec<&str> = events["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        ["opened", "acknowledged", "plan_submitted", "plan_rejected"]
    );
    assert_eq!(events["items"][3]["payload"]["reason"], "Not credible");
    assert_eq!(
        events["items"][3]["actor_organization_id"],
        chain.monitor_id.as_str()
    );
    // Disputed, then the monitor answers by reopening: back where it was.
    let (_, d) = app
        .post(
            &t,
            c,
            json!({"action": "dispute", "reason": "Wrong factory"}),
        )
        .await;
    assert_eq!(d["state"], "disputed");
    assert!(d["next_due_at"].is_null());
    let (_, r) = app
        .post(
            &t,
            &chain.monitor,
            json!({"action": "reopen", "note": "Factory confirmed by photos"}),
        )
        .await;
    assert_eq!(r["state"], "acknowledged");
}

async fn if_match_lets_one_of_two_racing_clients_win(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let chain = app.chain(1).await;
    let c = chain.contractors[0].1.clone();
    for round in 0..4 {
        let case = new_case(&app, &chain, "open").await;
        let res = app
            .client
            .get(format!("{}/api/v1/cases/{case}", app.base))
            .bearer_auth(&c)
            .send()
            .await
            .unwrap();
        let etag = res
            .headers()
            .get("etag")
            .unwrap()
            .to_str()
            .unwrap()
            .to_string();
        let t = format!("{}/api/v1/cases/{case}/transitions", app.base);
        let ack = app
            .client
            .post(&t)
            .bearer_auth(&c)
            .header("If-Match", &etag)
            .json(&json!({"action": "acknowledge"}))
            .send();
        let close = app
            .client
            .post(&t)
            .bearer_auth(&chain.monitor)
            .header("If-Match", &etag)
            .json(&json!({"action": "close", "reason": "Duplicate"}))
            .send();
        let (a, b) = tokio::join!(ack, close);
        let (a, b) = (a.unwrap().status(), b.unwrap().status());
        let mut statuses = [a.as_u16(), b.as_u16()];
        statuses.sort();
        assert_eq!(statuses, [200, 412], "round {round}: exactly one wins");
        let (_, events) = app
            .get(&format!("/api/v1/cases/{case}/events"), &chain.monitor)
            .await;
        let items = events["items"].as_array().unwrap();
        assert_eq!(items.len(), 2, "opened + the winner, nothing of the loser");
        let (_, now) = app
            .get(&format!("/api/v1/cases/{case}"), &chain.monitor)
            .await;
        let winner_state = if a == StatusCode::OK {
            "acknowledged"
        } else {
            "closed"
        };
        assert_eq!(now["state"], winner_state);
        assert_eq!(
            items[1]["kind"],
            if a == StatusCode::OK {
                "acknowledged"
            } else {
                "closed"
            }
        );
    }
    // A stale or meaningless If-Match changes nothing; `*` and none are unconditional.
    let case = new_case(&app, &chain, "open").await;
    let t = format!("{}/api/v1/cases/{case}/transitions", app.base);
    for stale in ["\"99\"", "banana"] {
        let r = app
            .client
            .post(&t)
            .bearer_auth(&c)
            .header("If-Match", stale)
            .json(&json!({"action": "acknowledge"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::PRECONDITION_FAILED);
        assert_eq!(r.headers()["content-type"], "application/problem+json");
    }
    let r = app
        .client
        .post(&t)
        .bearer_auth(&c)
        .header("If-Match", "*")
        .json(&json!({"action": "acknowledge"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["etag"], "\"2\"");
}

async fn comments_and_extensions(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let chain = app.chain(1).await;
    let c = chain.contractors[0].1.clone();
    let case = new_case(&app, &chain, "open").await;
    let comments = format!("/api/v1/cases/{case}/comments");
    for token in [&c, &chain.buyer, &chain.monitor] {
        let (s, e) = app
            .post(&comments, token, json!({"text": "Noted.\nWe follow up."}))
            .await;
        assert_eq!(s, StatusCode::CREATED, "{e}");
        assert_eq!(e["kind"], "comment");
    }
    let (s, _) = app
        .post(&comments, &app.admin_token, json!({"text": "x"}))
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (_, outsider) = app.org("contractor", "Outsider").await;
    let (s, _) = app.post(&comments, &outsider, json!({"text": "x"})).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, p) = app.post(&comments, &c, json!({"text": "   "})).await;
    assert_eq!(
        (s, p["errors"][0]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("text"))
    );

    let ext = format!("/api/v1/cases/{case}/extensions");
    let (_, before) = app.get(&format!("/api/v1/cases/{case}"), &c).await;
    let current = before["deadlines"]["acknowledge"]
        .as_str()
        .unwrap()
        .to_string();
    let (s, _) = app
        .post(
            &ext,
            &c,
            json!({"deadline": "acknowledge", "until": "2026-07-01T00:00:00Z", "reason": "x"}),
        )
        .await;
    assert_eq!(
        s,
        StatusCode::ACCEPTED,
        "contractors ask, buyers and monitors grant"
    );
    let (s, p) = app
        .post(
            &ext,
            &chain.buyer,
            json!({"deadline": "acknowledge", "until": "2026-06-02T00:00:00Z", "reason": "x"}),
        )
        .await;
    assert_eq!(
        (s, p["errors"][0]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("until"))
    );
    let (s, after) = app
        .post(
            &ext,
            &chain.buyer,
            json!({"deadline": "acknowledge", "until": "2026-07-01T00:00:00Z",
        "reason": "Factory closed for the holiday"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{after}");
    assert_eq!(after["deadlines"]["acknowledge"], "2026-07-01T00:00:00Z");
    // Every deadline runs from the opening: the plan deadline now comes first.
    assert_eq!(after["next_due_at"], after["deadlines"]["plan"]);
    assert!(after["deadlines"]["plan"].as_str().unwrap() < "2026-07-01");
    let (_, events) = app.get(&format!("/api/v1/cases/{case}/events"), &c).await;
    let last = events["items"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["kind"], "extension_granted");
    assert_eq!(last["payload"]["reason"], "Factory closed for the holiday");
    assert_eq!(last["payload"]["from"], current.as_str());
    // The grant of that deadline answers the contractor's request.
    let asked = &events["items"][4];
    assert_eq!(asked["kind"], "extension_requested");
    assert_eq!(last["payload"]["request_id"], asked["id"]);
    assert!(after["extension_request"].is_null());
    // The history pages by sequence.
    let (_, p1) = app
        .get(&format!("/api/v1/cases/{case}/events?limit=2"), &c)
        .await;
    let (_, p2) = app
        .get(
            &format!(
                "/api/v1/cases/{case}/events?limit=2&cursor={}",
                p1["next_cursor"].as_str().unwrap()
            ),
            &c,
        )
        .await;
    let (_, p3) = app
        .get(
            &format!(
                "/api/v1/cases/{case}/events?limit=2&cursor={}",
                p2["next_cursor"].as_str().unwrap()
            ),
            &c,
        )
        .await;
    let seqs: Vec<i64> = [&p1, &p2, &p3]
        .iter()
        .flat_map(|p| {
            p["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["seq"].as_i64().unwrap())
        })
        .collect();
    assert_eq!(seqs, [1, 2, 3, 4, 5, 6]);
    assert!(p3["next_cursor"].is_null());
}

async fn idempotent_filing(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let chain = app.chain(2).await;
    let body = json!({"factory_id": chain.factory, "category": "wages", "severity": "major",
        "title": "Unpaid overtime", "description": "d", "observed_on": "2026-04-01"});
    let post = |key: &str, b: &Value| {
        app.client
            .post(format!("{}/api/v1/findings", app.base))
            .bearer_auth(&chain.monitor)
            .header("Idempotency-Key", key)
            .json(b)
            .send()
    };
    let first = post("k-1", &body).await.unwrap();
    assert_eq!(first.status(), StatusCode::CREATED);
    let first: Value = first.json().await.unwrap();
    // The same body, reformatted with keys in another order, is the same request.
    let reordered: Value = serde_json::from_str(&format!(
        "{{\"observed_on\": \"2026-04-01\", \"description\": \"d\", \"title\": \"Unpaid overtime\", \"severity\": \"major\", \"category\": \"wages\", \"factory_id\": \"{}\"}}",
        chain.factory)).unwrap();
    let again = post("k-1", &reordered).await.unwrap();
    assert_eq!(again.status(), StatusCode::CREATED);
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    let again: Value = again.json().await.unwrap();
    assert_eq!(again, first);
    let mut other = body.clone();
    other["title"] = json!("Something else");
    let refused = post("k-1", &other).await.unwrap();
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let p: Value = refused.json().await.unwrap();
    assert_eq!(p["errors"][0]["field"], "Idempotency-Key");

    // Eight concurrent requests with one key: one finding, two cases, one answer.
    let mut b2 = body.clone();
    b2["title"] = json!("Concurrent");
    let answers = futures_util_join_all((0..8).map(|_| post("k-2", &b2))).await;
    let ids: std::collections::BTreeSet<String> = answers
        .iter()
        .map(|(s, v)| {
            assert_eq!(*s, StatusCode::CREATED, "{v}");
            id(v)
        })
        .collect();
    assert_eq!(ids.len(), 1);
    let (_, all) = app.get("/api/v1/findings", &chain.monitor).await;
    assert_eq!(
        all["items"].as_array().unwrap().len(),
        2,
        "k-1 and k-2, once each"
    );
    let (_, cases) = app.get("/api/v1/cases", &chain.monitor).await;
    assert_eq!(cases["items"].as_array().unwrap().len(), 4);
}

/// Issue 7: under many concurrent writers the service queues them (SQLite: one writer at a
/// time behind the in-process queue and BEGIN IMMEDIATE; PostgreSQL: row locks), so load only
/// slows requests down: no 500 "database is locked", no 503, every write lands.
async fn concurrent_writers_queue_and_all_land(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let chain = app.chain(2).await;
    let opened = app
        .finding(&chain.monitor, &chain.factory, "major", "2026-04-01")
        .await;
    let cases: Vec<(String, String)> = opened["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let contractor = c["contractor_id"].as_str().unwrap();
            let token = chain
                .contractors
                .iter()
                .find(|k| k.0 == contractor)
                .map(|k| k.1.clone())
                .unwrap();
            (c["id"].as_str().unwrap().to_string(), token)
        })
        .collect();
    let mut tasks = Vec::new();
    for i in 0..48 {
        let client = app.client.clone();
        let base = app.base.clone();
        let monitor = chain.monitor.clone();
        let factory = chain.factory.clone();
        let ack = if i < 2 { cases.get(i).cloned() } else { None };
        tasks.push(tokio::spawn(async move {
            let response = match ack {
                Some((case, token)) => client
                    .post(format!("{base}/api/v1/cases/{case}/transitions"))
                    .bearer_auth(token)
                    .json(&json!({"action": "acknowledge"})),
                None => client
                    .post(format!("{base}/api/v1/findings"))
                    .bearer_auth(monitor)
                    .json(&json!({"factory_id": factory, "category": "wages", "severity": "minor",
                        "title": format!("Concurrent {i}"), "description": "d", "observed_on": "2026-04-01"})),
            }
            .send()
            .await
            .unwrap();
            let status = response.status();
            (status, response.text().await.unwrap())
        }));
    }
    for t in tasks {
        let (status, body) = t.await.unwrap();
        assert!(status.is_success(), "{status}: {body}");
    }
    // 1 + 46 findings, each with two cases; both first cases acknowledged.
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM findings").await, 47);
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM cases").await, 94);
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM cases WHERE state = 'acknowledged'")
            .await,
        2
    );
}

async fn futures_util_join_all<F>(futs: impl Iterator<Item = F>) -> Vec<(StatusCode, Value)>
where
    F: std::future::Future<Output = reqwest::Result<reqwest::Response>>,
{
    let handles: Vec<_> = futs.collect();
    let mut out = Vec::new();
    // Start all before awaiting any.
    let pinned: Vec<_> = handles.into_iter().map(Box::pin).collect();
    let results = join_all(pinned).await;
    for r in results {
        let r = r.unwrap();
        let s = r.status();
        out.push((s, r.json().await.unwrap()));
    }
    out
}

async fn join_all<F: std::future::Future + Unpin>(mut futs: Vec<F>) -> Vec<F::Output> {
    use std::task::Poll;
    let mut results: Vec<Option<F::Output>> = futs.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (i, f) in futs.iter_mut().enumerate() {
            if results[i].is_none() {
                match std::pin::Pin::new(f).poll(cx) {
                    Poll::Ready(v) => results[i] = Some(v),
                    Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            Poll::Pending
        } else {
            Poll::Ready(())
        }
    })
    .await;
    results.into_iter().map(|r| r.unwrap()).collect()
}

async fn verify_audit_catches_an_altered_event(backend: Backend) {
    use diesel::RunQueryDsl;
    let app = TestApp::spawn(backend).await;
    let chain = app.chain(2).await;
    let case = new_case(&app, &chain, "plan_accepted").await;
    app.post(
        &format!("/api/v1/cases/{case}/comments"),
        &chain.buyer,
        json!({"text": "Thanks"}),
    )
    .await;
    let run = || {
        std::process::Command::new(env!("CARGO_BIN_EXE_ketenzorg"))
            .arg("verify-audit")
            .env("DATABASE_URL", &app.test_db.url)
            .env("LOG_LEVEL", "error")
            .output()
            .unwrap()
    };
    let ok = run();
    let out = String::from_utf8_lossy(&ok.stdout).to_string();
    assert!(ok.status.success(), "{out}");
    assert!(out.contains("ok: 2 cases, 6 events"), "{out}");

    let mut conn = app.db.get().unwrap();
    // The database refuses edits outright...
    let edit = format!("UPDATE case_events SET payload = '{{\"action\":\"accept_plan\",\"forged\":true}}' WHERE case_id = '{case}' AND seq = 3");
    assert!(
        diesel::sql_query(&edit).execute(&mut *conn).is_err(),
        "the append-only trigger must refuse"
    );
    // ...and when someone with the rights removes that guard, the chain still tells.
    let drop = match backend {
        Backend::Sqlite => "DROP TRIGGER case_events_no_update",
        Backend::Postgres => "DROP TRIGGER case_events_no_update ON case_events",
    };
    diesel::sql_query(drop).execute(&mut *conn).unwrap();
    assert_eq!(diesel::sql_query(&edit).execute(&mut *conn).unwrap(), 1);
    let (_, events) = app
        .get(&format!("/api/v1/cases/{case}/events"), &chain.monitor)
        .await;
    let forged = events["items"][2]["id"].as_str().unwrap().to_string();
    let broken = run();
    let out = String::from_utf8_lossy(&broken.stdout).to_string();
    assert!(!broken.status.success());
    assert!(
        out.contains("BROKEN") && out.contains(&forged),
        "names the altered event: {out}"
    );
}

on_both_backends!(
    every_action_in_every_state_by_every_caller,
    actions_check_what_they_need,
    if_match_lets_one_of_two_racing_clients_win,
    comments_and_extensions,
    idempotent_filing,
    concurrent_writers_queue_and_all_land,
    verify_audit_catches_an_altered_event,
);
