//! The yearly due-diligence report on a hand-built world across a year boundary; its figures
//! are worked out below. Also: later events leave a past report as it was, the framework
//! filter, the three formats, and who may ask.

mod common;

use common::{at, id, Backend, Credential, TestApp};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

/// Buyer B (language nl) and contractor C:
/// * F1 framework 2025-01-01..2027-12-31, EUR 100.10, item P3 (no tier-1; its part P3a is
///   made at FA, tier 2); K2, call-off of F1, 2025-06-01..2026-06-30, EUR 0.20, item P1
///   (tier 1 at FA, valid through 2025-12-31);
/// * F2 framework 2025-01-01..2027-12-31, no value, item P2 (tier 1 at FB from 2026-01-01);
///   K3, call-off of F2, 2026-01-01..2026-12-31, USD 50, item P2;
/// * K4 2024 only (no report covers it).
///
/// Buyer B2: K9 2025-01-01..2026-12-31 with C, item P9 (tier 1 at FC); case Z at FC.
/// Cases of B: A (FA, critical, working_hours) and A2 (FA, minor, wages) concern F1 and K2;
/// B (FB, major, health_and_safety) concerns F2 and K3. Their history is in `world`.
struct World {
    app: TestApp,
    b: (String, String),
    b2: (String, String),
    contractor: String,
    monitor: String,
    k: [String; 5],
    cases: [String; 4],
    fb: String,
}

async fn link(
    app: &TestApp,
    token: &str,
    component: &str,
    factory: &str,
    tier: i32,
    from: &str,
    to: Option<&str>,
) {
    let (s, l) = app
        .post(
            &format!("/api/v1/components/{component}/sources"),
            token,
            json!({"factory_id": factory, "tier": tier, "valid_from": from, "valid_to": to}),
        )
        .await;
    assert!(s.is_success(), "{l}");
}

async fn contract(
    app: &TestApp,
    buyer: &(String, String),
    c: &str,
    r: &str,
    span: (&str, &str),
    value: Option<(&str, &str)>,
) -> String {
    let mut body = json!({"reference": r, "title": format!("Lot {r}"), "buyer_id": buyer.0,
        "contractor_id": c, "starts_on": span.0, "ends_on": span.1});
    if let Some((amount, currency)) = value {
        body["value"] = json!({"amount": amount, "currency": currency});
    }
    let (s, k) = app.post("/api/v1/contracts", &buyer.1, body).await;
    assert_eq!(s, StatusCode::CREATED, "{k}");
    id(&k)
}

async fn finding(w: &World, when: &str, factory: &str, severity: &str, category: &str) -> String {
    w.app.clock.set(at(when));
    let (s, f) = w
        .app
        .post(
            "/api/v1/findings",
            &w.monitor,
            json!({"factory_id": factory,
        "category": category, "severity": severity, "title": "T", "description": "D",
        "observed_on": &when[..10]}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{f}");
    assert_eq!(f["cases"].as_array().unwrap().len(), 1, "{f}");
    f["cases"][0]["id"].as_str().unwrap().to_string()
}

async fn act(w: &World, when: &str, case: &str, token: &str, body: Value) {
    w.app.clock.set(at(when));
    let (s, r) = w
        .app
        .post(&format!("/api/v1/cases/{case}/transitions"), token, body)
        .await;
    assert_eq!(s, StatusCode::OK, "{r}");
}

async fn world(backend: Backend) -> World {
    let app = TestApp::spawn(backend).await;
    app.clock.set(at("2024-12-01T09:00:00Z"));
    let b = app.org("buyer", "Buyer").await;
    let b2 = app.org("buyer", "Other Buyer").await;
    let (cid, contractor) = app.org("contractor", "Contractor").await;
    let (_, monitor) = app.org("monitor", "Monitor").await;
    app.execute(&format!(
        "UPDATE organizations SET language = 'nl' WHERE id = '{}'",
        b.0
    ))
    .await;
    let f1 = contract(
        &app,
        &b,
        &cid,
        "F1",
        ("2025-01-01", "2027-12-31"),
        Some(("100.10", "EUR")),
    )
    .await;
    let k2 = contract(
        &app,
        &b,
        &cid,
        "K2",
        ("2025-06-01", "2026-06-30"),
        Some(("0.20", "EUR")),
    )
    .await;
    let f2 = contract(&app, &b, &cid, "F2", ("2025-01-01", "2027-12-31"), None).await;
    let k3 = contract(
        &app,
        &b,
        &cid,
        "K3",
        ("2026-01-01", "2026-12-31"),
        Some(("50", "USD")),
    )
    .await;
    let k4 = contract(
        &app,
        &b,
        &cid,
        "K4",
        ("2024-01-01", "2024-12-31"),
        Some(("7", "EUR")),
    )
    .await;
    let k9 = contract(&app, &b2, &cid, "K9", ("2025-01-01", "2026-12-31"), None).await;
    for (calloff, framework) in [(&k2, &f1), (&k3, &f2)] {
        app.execute(&format!(
            "UPDATE contracts SET framework_id = '{framework}' WHERE id = '{calloff}'"
        ))
        .await;
    }
    let (fa, fb, fc) = (
        app.factory(&contractor, "FA").await,
        app.factory(&contractor, "FB").await,
        app.factory(&contractor, "FC").await,
    );
    let p1 = app.component(&contractor, "P1", None).await;
    let p2 = app.component(&contractor, "P2", None).await;
    let p3 = app.component(&contractor, "P3", None).await;
    let p3a = app.component(&contractor, "P3a", Some(&p3)).await;
    let p9 = app.component(&contractor, "P9", None).await;
    link(
        &app,
        &contractor,
        &p1,
        &fa,
        1,
        "2025-01-01",
        Some("2025-12-31"),
    )
    .await;
    link(&app, &contractor, &p3a, &fa, 2, "2025-01-01", None).await;
    link(&app, &contractor, &p2, &fb, 1, "2026-01-01", None).await;
    link(&app, &contractor, &p9, &fc, 1, "2025-01-01", None).await;
    for (k, p) in [
        (&f1, &p3),
        (&k2, &p1),
        (&f2, &p2),
        (&k3, &p2),
        (&k4, &p1),
        (&k9, &p9),
    ] {
        app.item(&contractor, k, p).await;
    }
    let mut w = World {
        app,
        b,
        b2,
        contractor,
        monitor,
        k: [f1, k2, f2, k3, k9],
        cases: Default::default(),
        fb: fb.clone(),
    };
    w.cases[3] = finding(&w, "2025-12-05T10:00:00Z", &fc, "minor", "wages").await;
    w.cases[0] = finding(&w, "2025-12-10T10:00:00Z", &fa, "critical", "working_hours").await;
    // A: its acknowledgement deadline (2 days) passes: level 1; acknowledged after 96 h; its
    // plan deadline (7 days) passes: level 2.
    w.app.sweep_at(at("2025-12-13T00:00:00Z"), None).await;
    act(
        &w,
        "2025-12-14T10:00:00Z",
        &w.cases[0],
        &w.contractor,
        json!({"action": "acknowledge"}),
    )
    .await;
    w.app.sweep_at(at("2025-12-18T00:00:00Z"), None).await;
    w.cases[1] = finding(&w, "2025-12-20T10:00:00Z", &fa, "minor", "wages").await;
    w
}

/// The 2026 history: A reaches level 3 (its remediation deadline, 30 days, passes) and A2
/// level 1 (14 days to acknowledge); B opens, is acknowledged after 24 h and misses its plan
/// deadline (14 days): level 1; A2 is closed; A is remediated and verified.
async fn history_2026(w: &mut World) {
    w.app.sweep_at(at("2026-01-10T00:00:00Z"), None).await;
    let fb = w.fb.clone();
    w.cases[2] = finding(w, "2026-01-10T10:00:00Z", &fb, "major", "health_and_safety").await;
    act(
        w,
        "2026-01-11T10:00:00Z",
        &w.cases[2],
        &w.contractor,
        json!({"action": "acknowledge"}),
    )
    .await;
    act(
        w,
        "2026-01-15T10:00:00Z",
        &w.cases[1],
        &w.monitor,
        json!({"action": "close", "reason": "Duplicate"}),
    )
    .await;
    let plan = json!({"action": "submit_plan", "plan": {"root_cause": "r", "actions": [
        {"description": "d", "kind": "corrective", "owner": "o", "due_on": "2026-03-01"}]}});
    act(w, "2026-01-20T10:00:00Z", &w.cases[0], &w.contractor, plan).await;
    act(
        w,
        "2026-01-21T10:00:00Z",
        &w.cases[0],
        &w.monitor,
        json!({"action": "accept_plan"}),
    )
    .await;
    w.app.sweep_at(at("2026-01-25T00:00:00Z"), None).await;
    act(w, "2026-02-01T10:00:00Z", &w.cases[0], &w.contractor, json!({"action": "report_remediated",
        "note": "Done", "evidence": [{"url": "https://e.example.org/p.pdf", "sha256": "a".repeat(64)}]})).await;
    act(
        w,
        "2026-02-05T10:00:00Z",
        &w.cases[0],
        &w.monitor,
        json!({"action": "verify"}),
    )
    .await;
}

async fn report(w: &World, query: &str, token: &str) -> Value {
    let (s, v) = w
        .app
        .get(&format!("/api/v1/reports/due-diligence?{query}"), token)
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    v
}

fn months(v: &Value) -> Vec<(i64, i64)> {
    v["months"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["opened"].as_i64().unwrap(),
                m["open_at_end"].as_i64().unwrap(),
            )
        })
        .collect()
}

async fn two_years_by_hand(backend: Backend) {
    let mut w = world(backend).await;
    w.app.clock.set(at("2026-01-01T12:00:00Z"));
    let y2025 = report(&w, "from=2025-01-01&to=2025-12-31", &w.b.1).await;
    // Running in 2025: F1, K2, F2 (K3 starts in 2026, K4 ended in 2024; K9 is B2's).
    assert_eq!(y2025["contracts"]["count"], 3);
    assert_eq!(
        y2025["contracts"]["spend"],
        json!([{"currency": "EUR", "amount": "100.30", "contracts": 2}])
    );
    assert_eq!(y2025["contracts"]["without_value"], 1);
    // 2025-01-01: F1 (P3: no tier 1) and F2 (P2: FB only from 2026) run: 0 of 2.
    // 2025-12-31: also K2 (P1 at FA, valid through that day): 1 of 3.
    assert_eq!(
        (
            y2025["coverage_at_from"]["items"].as_i64(),
            y2025["coverage_at_from"]["covered"].as_i64()
        ),
        (Some(2), Some(0))
    );
    assert_eq!(
        (
            y2025["coverage_at_to"]["items"].as_i64(),
            y2025["coverage_at_to"]["covered"].as_i64()
        ),
        (Some(3), Some(1))
    );
    // Opened in 2025: A (critical) and A2 (minor); Z is B2's.
    let c = &y2025["cases"];
    assert_eq!(
        (
            c["opened"].as_i64(),
            c["remediated"].as_i64(),
            c["verified"].as_i64(),
            c["closed"].as_i64()
        ),
        (Some(2), Some(0), Some(0), Some(0))
    );
    assert_eq!(c["opened_by_severity"], json!({"critical": 1, "minor": 1}));
    assert_eq!(
        y2025["findings"]["by_category"],
        json!({"wages": 1, "working_hours": 1})
    );
    assert_eq!(y2025["findings"]["total"], 2);
    // At the end of 2025: A acknowledged at level 2 (overdue), A2 open at level 0.
    assert_eq!(
        (c["still_open"].as_i64(), c["overdue"].as_i64()),
        (Some(2), Some(1))
    );
    assert_eq!(c["open_by_state"], json!({"acknowledged": 1, "open": 1}));
    assert_eq!(
        y2025["escalations"],
        json!({"total": 2, "by_level": {"1": 1, "2": 1},
        "non_cooperation_reached": 0, "non_cooperation_open": 0})
    );
    assert_eq!(
        y2025["time_to_acknowledge"],
        json!({"count": 1, "median_hours": 96.0, "p90_hours": 96.0})
    );
    let mut expected = vec![(0, 0); 11];
    expected.push((2, 2));
    assert_eq!(months(&y2025), expected);
    let open: Vec<&str> = y2025["open_cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        open,
        [w.cases[0].as_str(), w.cases[1].as_str()],
        "most escalated first"
    );
    assert_eq!(y2025["open_cases"][0]["factory"], "FA");

    history_2026(&mut w).await;
    w.app.clock.set(at("2027-01-05T12:00:00Z"));
    // Everything since the end of 2025 leaves the 2025 report as it was.
    assert_eq!(
        report(&w, "from=2025-01-01&to=2025-12-31", &w.b.1).await,
        y2025
    );
    let y2026 = report(&w, "from=2026-01-01&to=2026-12-31", &w.b.1).await;
    assert_eq!(y2026["contracts"]["count"], 4);
    assert_eq!(
        y2026["contracts"]["spend"],
        json!([
        {"currency": "EUR", "amount": "100.30", "contracts": 2},
        {"currency": "USD", "amount": "50.00", "contracts": 1}])
    );
    // 2026-01-01: P3 no, P1 no (its link ended), P2 twice yes: 2 of 4; 2026-12-31 (K2 ended):
    // P3 no, P2 twice yes: 2 of 3.
    assert_eq!(
        (
            y2026["coverage_at_from"]["items"].as_i64(),
            y2026["coverage_at_from"]["covered"].as_i64()
        ),
        (Some(4), Some(2))
    );
    assert_eq!(y2026["coverage_at_from"]["share"], 0.5);
    assert_eq!(
        (
            y2026["coverage_at_to"]["items"].as_i64(),
            y2026["coverage_at_to"]["covered"].as_i64()
        ),
        (Some(3), Some(2))
    );
    let c = &y2026["cases"];
    assert_eq!(
        (
            c["opened"].as_i64(),
            c["remediated"].as_i64(),
            c["verified"].as_i64(),
            c["closed"].as_i64()
        ),
        (Some(1), Some(1), Some(1), Some(1))
    );
    assert_eq!(
        y2026["findings"]["by_category_and_severity"],
        json!([{"category": "health_and_safety", "severity": "major", "findings": 1}])
    );
    assert_eq!(
        (c["still_open"].as_i64(), c["overdue"].as_i64()),
        (Some(1), Some(0))
    );
    assert_eq!(c["open_by_state"], json!({"acknowledged": 1}));
    // A to 3 and A2 to 1 on 10 January; on 25 January B to 1, and A again to 3: the day its
    // plan waited on the monitor moved its missed remediation deadline, missed once more.
    // Events count each escalation, non-cooperation counts cases.
    assert_eq!(
        y2026["escalations"],
        json!({"total": 4, "by_level": {"1": 2, "3": 2},
        "non_cooperation_reached": 1, "non_cooperation_open": 0})
    );
    // Only B was first answered in 2026 (A in 2025).
    assert_eq!(
        y2026["time_to_acknowledge"],
        json!({"count": 1, "median_hours": 24.0, "p90_hours": 24.0})
    );
    // Open from 2025: A, A2. January: +B, -A2 = 2; February: -A (verified) = 1.
    let mut expected = vec![(1, 2), (0, 1)];
    expected.extend(vec![(0, 1); 10]);
    assert_eq!(months(&y2026), expected);
    assert_eq!(y2026["open_cases"][0]["id"], w.cases[2].as_str());

    // The framework filter: F1 and K2 carry A and A2; F2 and K3 carry B.
    let f1 = report(
        &w,
        &format!("from=2026-01-01&to=2026-12-31&framework={}", w.k[0]),
        &w.b.1,
    )
    .await;
    assert_eq!(f1["framework"]["reference"], "F1");
    assert_eq!(f1["contracts"]["count"], 2);
    assert_eq!(
        (
            f1["cases"]["opened"].as_i64(),
            f1["cases"]["verified"].as_i64(),
            f1["cases"]["closed"].as_i64(),
            f1["cases"]["still_open"].as_i64()
        ),
        (Some(0), Some(1), Some(1), Some(0))
    );
    assert_eq!(f1["escalations"]["by_level"], json!({"1": 1, "3": 2}));
    let f2 = report(
        &w,
        &format!("from=2026-01-01&to=2026-12-31&framework={}", w.k[2]),
        &w.b.1,
    )
    .await;
    assert_eq!(
        f2["contracts"]["spend"],
        json!([{"currency": "USD", "amount": "50.00", "contracts": 1}])
    );
    assert_eq!(f2["coverage_at_from"]["share"], 1.0);
    assert_eq!(
        (
            f2["cases"]["opened"].as_i64(),
            f2["cases"]["still_open"].as_i64()
        ),
        (Some(1), Some(1))
    );
    assert_eq!(f2["escalations"]["by_level"], json!({"1": 1}));
    // The admin asks for B by name and gets the same.
    let admin = report(
        &w,
        &format!("from=2026-01-01&to=2026-12-31&buyer={}", w.b.0),
        &w.app.admin_token,
    )
    .await;
    assert_eq!(admin, y2026);
    formats(&w).await;
    who_may_ask(&w, &y2026).await;
}

async fn formats(w: &World) {
    let path = format!(
        "{}/api/v1/reports/due-diligence?from=2026-01-01&to=2026-12-31",
        w.app.base
    );
    let get = |accept: &'static str| {
        w.app
            .client
            .get(&path)
            .bearer_auth(&w.b.1)
            .header("Accept", accept)
            .send()
    };
    let res = get("text/csv").await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let text = res.text().await.unwrap();
    let rows: Vec<csv::StringRecord> = csv::Reader::from_reader(text.as_bytes())
        .records()
        .map(|r| r.unwrap())
        .collect();
    let cell = |section: &str, key: &str| {
        rows.iter()
            .find(|r| &r[0] == section && &r[1] == key)
            .map(|r| r[2].to_string())
    };
    assert_eq!(cell("cases", "opened").as_deref(), Some("1"));
    assert_eq!(cell("spend", "USD").as_deref(), Some("50.00"));
    assert_eq!(rows.iter().filter(|r| &r[0] == "open_case").count(), 1);
    let res = get("text/html").await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["cache-control"], "no-store");
    let html = res.text().await.unwrap();
    // B's language is Dutch.
    assert!(
        html.contains("<html lang=\"nl\"") && html.contains("Due-diligencerapport"),
        "{html}"
    );
    assert!(html.contains("<svg") && html.contains("Geopende en open dossiers per maand"));
    // The page, for a person of B (who takes B's language), with its form and links.
    let (_, session) = w.app.person(&w.b.0, "anna@buyer.example.org", "Anna").await;
    let who = Credential::Session(session);
    let (s, page) = w
        .app
        .request_as(
            Method::GET,
            "/reports/due-diligence?from=2026-01-01&to=2026-12-31",
            &who,
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let page = page.as_str().unwrap().to_string();
    assert!(
        page.contains("<svg")
            && page.contains("Due-diligencerapport")
            && page.contains("name=\"framework\""),
        "{page}"
    );
    assert!(
        page.contains("due-diligence.csv?from=2026-01-01&amp;to=2026-12-31"),
        "{page}"
    );
    let (s, csv) = w
        .app
        .request_as(
            Method::GET,
            "/reports/due-diligence.csv?from=2026-01-01&to=2026-12-31",
            &who,
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(csv.as_str().unwrap().starts_with("section,key,value"));
    let (s, print) = w
        .app
        .request_as(
            Method::GET,
            "/reports/due-diligence/print?from=2026-01-01&to=2026-12-31",
            &who,
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(print.as_str().unwrap().contains("<svg"));
}

async fn who_may_ask(w: &World, y2026: &Value) {
    let q = "from=2026-01-01&to=2026-12-31";
    // B2 sees its own contract and case only.
    let other = report(w, "from=2025-01-01&to=2026-12-31", &w.b2.1).await;
    let text = other.to_string();
    assert_eq!(other["contracts"]["count"], 1);
    assert_eq!(other["open_cases"].as_array().unwrap().len(), 1);
    assert_eq!(other["open_cases"][0]["id"], w.cases[3].as_str());
    for name in w.k[..4].iter().chain(&w.cases[..3]) {
        assert!(!text.contains(name.as_str()), "B2's report names {name}");
    }
    assert!(!y2026.to_string().contains(&w.cases[3]) && !y2026.to_string().contains(&w.k[4]));
    let status = |token: String, query: String| async move {
        let (s, p) = w
            .app
            .get(&format!("/api/v1/reports/due-diligence?{query}"), &token)
            .await;
        (
            s,
            p["errors"][0]["field"].as_str().unwrap_or("").to_string(),
        )
    };
    let framework_of_b = format!("{q}&framework={}", w.k[0]);
    assert_eq!(
        status(w.b2.1.clone(), framework_of_b.clone()).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        status(w.b2.1.clone(), format!("{q}&buyer={}", w.b.0))
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        status(w.b.1.clone(), format!("{q}&framework={}", uuid_nil()))
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        status(w.contractor.clone(), q.to_string()).await.0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        status(w.monitor.clone(), q.to_string()).await.0,
        StatusCode::FORBIDDEN
    );
    let unprocessable = StatusCode::UNPROCESSABLE_ENTITY;
    for (query, field) in [
        ("from=2026-13-01&to=2026-12-31", "from"),
        ("from=2026-01-01", "to"),
        ("to=2026-12-31", "from"),
        ("from=2026-02-01&to=2026-01-31", "to"),
        ("from=2026-01-01&to=2027-12-31", "to"),
        ("from=2026-01-01&to=yesterday", "to"),
        ("from=2026-01-01&to=2026-12-31&framework=F1", "framework"),
    ] {
        assert_eq!(
            status(w.b.1.clone(), query.to_string()).await,
            (unprocessable, field.to_string()),
            "{query}"
        );
    }
    assert_eq!(
        status(w.app.admin_token.clone(), q.to_string()).await,
        (unprocessable, "buyer".to_string())
    );
}

fn uuid_nil() -> &'static str {
    "00000000-0000-0000-0000-000000000000"
}

on_both_backends!(two_years_by_hand);
