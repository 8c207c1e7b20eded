//! The hand-built world of the report tests and its history (see `World`).

use crate::common::{at, id, Backend, TestApp};
use reqwest::StatusCode;
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
pub struct World {
    pub app: TestApp,
    pub b: (String, String),
    pub b2: (String, String),
    pub contractor: String,
    pub monitor: String,
    pub k: [String; 5],
    pub cases: [String; 4],
    pub fb: String,
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

pub async fn world(backend: Backend) -> World {
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
pub async fn history_2026(w: &mut World) {
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

pub async fn report(w: &World, query: &str, token: &str) -> Value {
    let (s, v) = w
        .app
        .get(&format!("/api/v1/reports/due-diligence?{query}"), token)
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    v
}

pub fn months(v: &Value) -> Vec<(i64, i64)> {
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
