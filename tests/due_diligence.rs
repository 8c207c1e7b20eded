//! The due-diligence status of a contract and of a portfolio, on a hand-built contract whose
//! figures are worked out below; the status rules; the view of the past; CSV against JSON;
//! who may see it.

mod common;

use chrono::TimeDelta;
use common::{at, id, Backend, TestApp};
use reqwest::StatusCode;
use serde_json::{json, Value};

const T0: &str = "2026-06-01T09:00:00Z";

fn t(days: i64, hours: i64) -> chrono::DateTime<chrono::Utc> {
    at(T0) + TimeDelta::days(days) + TimeDelta::hours(hours)
}

struct Setup {
    app: TestApp,
    buyer: String,
    buyer_id: String,
    contractor: String,
    contractor_id: String,
    monitor: String,
    k: String,
    /// cases at F1 (critical) and F4 (major); the third, at F3 (minor), is left alone
    a: String,
    b: String,
}

/// Contract K covers three items:
/// * laptop — tier-1 at F1 (CN), its battery tier-2 at F4 (CN): covered;
/// * dock — tier-1 at F2 (VN) only until 2026-03-31: expired, not covered;
/// * monitor — no tier-1 factory; its panel tier-2 at F3 (MY): not covered.
///
/// So coverage is 1 of 3, and the supply chain on 2026-06 is F1 (tier 1), F4 and F3 (tier 2):
/// by tier {1: 1, 2: 2}, by country {CN: 2, MY: 1}.
async fn setup(backend: Backend) -> Setup {
    let app = TestApp::spawn(backend).await;
    let (buyer_id, buyer) = app.org("buyer", "Buyer").await;
    let (contractor_id, contractor) = app.org("contractor", "Contractor").await;
    let (_, monitor) = app.org("monitor", "Monitor").await;
    let k = app
        .contract(
            &buyer_id,
            &buyer,
            &contractor_id,
            "K",
            "2026-01-01",
            "2027-12-31",
        )
        .await;
    let laptop = app.component(&contractor, "Laptop", None).await;
    let battery = app.component(&contractor, "Battery", Some(&laptop)).await;
    let dock = app.component(&contractor, "Dock", None).await;
    let screen = app.component(&contractor, "Monitor", None).await;
    let panel = app.component(&contractor, "Panel", Some(&screen)).await;
    let factory = |name: &'static str, country: &'static str| {
        let app = &app;
        let contractor = contractor.clone();
        async move {
            let (_, f) = app
                .post(
                    "/api/v1/factories",
                    &contractor,
                    json!({"name": name, "address": "1 Road", "country": country}),
                )
                .await;
            id(&f)
        }
    };
    let (f1, f2, f3, f4) = (
        factory("F1", "CN").await,
        factory("F2", "VN").await,
        factory("F3", "MY").await,
        factory("F4", "CN").await,
    );
    let link = |component: String, f: String, tier: i32, to: Option<&'static str>| {
        let app = &app;
        let contractor = contractor.clone();
        async move {
            let (s, l) = app.post(&format!("/api/v1/components/{component}/sources"), &contractor,
                json!({"factory_id": f, "tier": tier, "valid_from": "2026-01-01", "valid_to": to})).await;
            assert!(s.is_success(), "{l}");
        }
    };
    link(laptop.clone(), f1.clone(), 1, None).await;
    link(battery, f4.clone(), 2, None).await;
    link(dock.clone(), f2, 1, Some("2026-03-31")).await;
    link(panel, f3.clone(), 2, None).await;
    for item in [&laptop, &dock, &screen] {
        app.item(&contractor, &k, item).await;
    }
    let case_at = |f: String, severity: &'static str| {
        let app = &app;
        let monitor = monitor.clone();
        async move {
            let finding = app.finding(&monitor, &f, severity, "2026-05-20").await;
            finding["cases"][0]["id"].as_str().unwrap().to_string()
        }
    };
    let a = case_at(f1, "critical").await;
    let b = case_at(f4, "major").await;
    let c = case_at(f3, "minor").await;
    assert_ne!(c, a);
    Setup {
        app,
        buyer,
        buyer_id,
        contractor,
        contractor_id,
        monitor,
        k,
        a,
        b,
    }
}

async fn act(s: &Setup, when: chrono::DateTime<chrono::Utc>, case: &str, token: &str, body: Value) {
    s.app.clock.set(when);
    let (st, r) = s
        .app
        .post(&format!("/api/v1/cases/{case}/transitions"), token, body)
        .await;
    assert_eq!(st, StatusCode::OK, "{r}");
}

async fn dd(s: &Setup, query: &str, token: &str) -> Value {
    let (st, v) = s
        .app
        .get(
            &format!("/api/v1/contracts/{}/due-diligence{query}", s.k),
            token,
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    v
}

fn rules(v: &Value) -> Vec<String> {
    v["status_reasons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["rule"].as_str().unwrap().to_string())
        .collect()
}

async fn every_figure_of_a_hand_built_contract(backend: Backend) {
    let s = setup(backend).await;
    let plan = json!({"action": "submit_plan", "plan": {"root_cause": "r", "actions": [
        {"description": "d", "kind": "corrective", "owner": "o", "due_on": "2026-08-01"}]}});
    // A (critical): acknowledged after 10 h; plan submitted after 1 day, accepted after 2 days
    // (48 h to an accepted plan; the day under review is added to its remediation deadline,
    // now day 31).
    act(
        &s,
        t(0, 10),
        &s.a,
        &s.contractor,
        json!({"action": "acknowledge"}),
    )
    .await;
    act(&s, t(1, 0), &s.a, &s.contractor, plan.clone()).await;
    act(
        &s,
        t(2, 0),
        &s.a,
        &s.monitor,
        json!({"action": "accept_plan"}),
    )
    .await;
    // B (major): acknowledged after 30 h, never plans (plan deadline day 14).
    act(
        &s,
        t(1, 6),
        &s.b,
        &s.contractor,
        json!({"action": "acknowledge"}),
    )
    .await;
    // C (minor): silent (acknowledge deadline day 14).
    s.app.sweep_at(t(15, 0), None).await;
    s.app.clock.set(t(15, 1));

    let v = dd(&s, "", &s.buyer).await;
    assert_eq!(v["coverage"]["items"], 3);
    assert_eq!(v["coverage"]["covered"], 1);
    assert!((v["coverage"]["share"].as_f64().unwrap() - 1.0 / 3.0).abs() < 1e-9);
    let uncovered: Vec<&str> = v["coverage"]["uncovered"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["component_name"].as_str().unwrap())
        .collect();
    assert_eq!(uncovered, ["Dock", "Monitor"]);
    assert_eq!(v["factories"]["total"], 3);
    assert_eq!(v["factories"]["by_tier"], json!({"1": 1, "2": 2}));
    assert_eq!(v["factories"]["by_country"], json!({"CN": 2, "MY": 1}));
    assert_eq!(v["cases"]["total"], 3);
    assert_eq!(v["cases"]["open"], 3);
    assert_eq!(v["cases"]["overdue"], 0);
    assert_eq!(v["cases"]["by_state"]["plan_accepted"], 1);
    assert_eq!(v["cases"]["by_state"]["acknowledged"], 1);
    assert_eq!(v["cases"]["by_state"]["open"], 1);
    assert_eq!(
        v["cases"]["by_severity"],
        json!({"critical": 1, "major": 1, "minor": 1})
    );
    // Acknowledged after 10 h and 30 h: median (nearest rank) 10, p90 30.
    assert_eq!(
        v["time_to_acknowledge"],
        json!({"count": 2, "median_hours": 10.0, "p90_hours": 30.0})
    );
    assert_eq!(
        v["time_to_accepted_plan"],
        json!({"count": 1, "median_hours": 48.0, "p90_hours": 48.0})
    );
    // B missed its plan deadline, C its acknowledgement: level 1 each.
    assert_eq!(v["max_escalation_level"], 1);
    assert_eq!(v["status"], "amber");
    assert_eq!(rules(&v), ["case_escalated", "coverage_incomplete"]);
    let open: Vec<&str> = v["cases"]["open_cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(open.len(), 3);
    // Most escalated first, each with the next deadline still ahead (a missed one is reported
    // as missed, not as next): C's plan (day 30) after its missed acknowledgement, B's
    // remediation (day 90) after its missed plan; then A's remediation (day 31).
    let dues: Vec<&str> = v["cases"]["open_cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["next_due_at"].as_str().unwrap())
        .collect();
    assert_eq!(
        dues,
        [
            "2026-07-01T09:00:00Z",
            "2026-08-30T09:00:00Z",
            "2026-07-02T09:00:00Z"
        ]
    );
    assert!(!v["history"].as_array().unwrap().is_empty());

    // Day 31: A misses remediation (level 1), C its plan (level 2: a minor case overdue).
    s.app.sweep_at(t(31, 0), None).await;
    s.app.clock.set(t(31, 1));
    let v = dd(&s, "", &s.buyer).await;
    assert_eq!(v["cases"]["overdue"], 1);
    assert_eq!(v["status"], "amber", "a minor overdue case is amber");
    assert_eq!(
        rules(&v),
        ["case_overdue", "case_escalated", "coverage_incomplete"]
    );
    // Day 180: C at level 3, non-cooperation: red.
    s.app.sweep_at(t(180, 0), None).await;
    s.app.clock.set(t(180, 1));
    let v = dd(&s, "", &s.monitor).await;
    assert_eq!(v["status"], "red");
    assert_eq!(rules(&v)[0], "non_cooperation");
    assert_eq!(v["max_escalation_level"], 3);
    // The figures read copies of the case columns on each contract link (migration 6, kept
    // by triggers): after transitions and sweeps, not one copy differs from its case.
    assert!(
        s.app
            .count("SELECT COUNT(*) AS n FROM case_contracts")
            .await
            >= 3
    );
    let stale = s
        .app
        .count(
            "SELECT COUNT(*) AS n FROM case_contracts cc JOIN cases c ON c.id = cc.case_id \
             WHERE cc.case_state <> c.state OR cc.case_severity <> c.severity \
             OR cc.case_level <> c.escalation_level OR cc.case_max_level <> c.max_escalation_level \
             OR cc.case_next_due_at IS DISTINCT FROM c.next_due_at \
             OR cc.case_opened_at IS DISTINCT FROM c.opened_at \
             OR cc.case_acknowledged_at IS DISTINCT FROM c.acknowledged_at \
             OR cc.case_plan_accepted_at IS DISTINCT FROM c.plan_accepted_at \
             OR cc.case_updated_at IS DISTINCT FROM c.updated_at",
        )
        .await;
    assert_eq!(stale, 0, "contract links whose case copies are out of step");
}

async fn a_critical_overdue_case_is_red_and_a_clean_contract_green(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let chain = app.chain(1).await;
    let k = chain.contractors[0].2.clone();
    let product = chain.contractors[0].3.clone();
    let f1 = app.factory(&chain.contractors[0].1, "Assembly").await;
    // Cover the only item with a tier-1 factory: green.
    app.post(
        &format!("/api/v1/components/{product}/sources"),
        &chain.contractors[0].1,
        json!({"factory_id": f1, "tier": 1, "valid_from": "2026-01-01"}),
    )
    .await;
    let (_, v) = app
        .get(
            &format!("/api/v1/contracts/{k}/due-diligence"),
            &chain.buyer,
        )
        .await;
    assert_eq!(
        (v["status"].as_str(), v["coverage"]["share"].as_f64()),
        (Some("green"), Some(1.0)),
        "{v}"
    );
    assert!(v["status_reasons"].as_array().unwrap().is_empty());
    // A critical case nobody answers: level 2 after 7 days: red.
    app.finding(&chain.monitor, &chain.factory, "critical", "2026-05-20")
        .await;
    app.sweep_at(t(7, 0), None).await;
    let (_, v) = app
        .get(
            &format!("/api/v1/contracts/{k}/due-diligence"),
            &chain.buyer,
        )
        .await;
    assert_eq!(v["status"], "red");
    assert_eq!(rules(&v), ["critical_overdue", "case_overdue"]);
    // The portfolio lists it, red first, and filters by status.
    let (_, p) = app
        .get("/api/v1/due-diligence?status=red", &chain.buyer)
        .await;
    assert_eq!(p["items"].as_array().unwrap().len(), 1);
    assert_eq!(p["items"][0]["contract_id"], k.as_str());
    assert_eq!(p["items"][0]["overdue_cases"], 1);
    let (_, p) = app
        .get("/api/v1/due-diligence?status=green", &chain.buyer)
        .await;
    assert!(p["items"].as_array().unwrap().is_empty());
}

async fn the_view_of_the_past_before_and_after_a_case_closes(backend: Backend) {
    let s = setup(backend).await;
    act(
        &s,
        t(0, 10),
        &s.a,
        &s.contractor,
        json!({"action": "acknowledge"}),
    )
    .await;
    s.app.sweep_at(t(15, 0), None).await; // B and C reach level 1
    act(
        &s,
        t(20, 0),
        &s.a,
        &s.monitor,
        json!({"action": "close", "reason": "Resolved with the factory"}),
    )
    .await;
    s.app.clock.set(t(25, 0));
    // Before the findings existed: nothing.
    let v = dd(&s, "?at=2026-05-31", &s.buyer).await;
    assert_eq!(v["cases"]["total"], 0);
    assert_eq!(v["as_of"], "2026-05-31T23:59:59.999999Z");
    // Day 10 (2026-06-11): three cases, A acknowledged, no escalation yet.
    let v = dd(&s, "?at=2026-06-11", &s.buyer).await;
    assert_eq!(v["cases"]["open"], 3);
    assert_eq!(v["cases"]["by_state"]["acknowledged"], 1);
    assert_eq!(v["max_escalation_level"], 0);
    assert_eq!(rules(&v), ["coverage_incomplete"]);
    // Day 18 (2026-06-19), after the sweep of day 15: B (never acknowledged, no plan) at level
    // 2, C (minor, silent) at level 1; A still open.
    let v = dd(&s, "?at=2026-06-19", &s.buyer).await;
    assert_eq!(v["cases"]["open"], 3);
    assert_eq!(v["cases"]["overdue"], 1);
    assert_eq!(v["max_escalation_level"], 2);
    assert_eq!(
        rules(&v),
        ["case_overdue", "case_escalated", "coverage_incomplete"]
    );
    // Day 22 (2026-06-23): A closed.
    let v = dd(&s, "?at=2026-06-23", &s.buyer).await;
    assert_eq!(v["cases"]["open"], 2);
    assert_eq!(v["cases"]["by_state"]["closed"], 1);
    // The past agrees with the present on what has not changed since.
    let now = dd(&s, "", &s.buyer).await;
    assert_eq!(now["cases"]["by_state"], v["cases"]["by_state"]);
    assert_eq!(now["time_to_acknowledge"], v["time_to_acknowledge"]);
    let (st, p) = s
        .app
        .get(
            &format!("/api/v1/contracts/{}/due-diligence?at=2027-01-01", s.k),
            &s.buyer,
        )
        .await;
    assert_eq!(
        (st, p["errors"][0]["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("at"))
    );
    let (st, _) = s
        .app
        .get(
            &format!("/api/v1/contracts/{}/due-diligence?at=yesterday", s.k),
            &s.buyer,
        )
        .await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
}

fn parse_csv(text: &str) -> Vec<std::collections::BTreeMap<String, String>> {
    let mut r = csv::Reader::from_reader(text.as_bytes());
    let headers = r.headers().unwrap().clone();
    r.records()
        .map(|rec| {
            headers
                .iter()
                .zip(rec.unwrap().iter())
                .map(|(h, v)| (h.to_string(), v.to_string()))
                .collect()
        })
        .collect()
}

async fn csv_and_json_agree(backend: Backend) {
    let s = setup(backend).await;
    act(
        &s,
        t(0, 10),
        &s.a,
        &s.contractor,
        json!({"action": "acknowledge"}),
    )
    .await;
    s.app.sweep_at(t(15, 0), None).await;
    s.app.clock.set(t(15, 1));
    let json_v = dd(&s, "", &s.buyer).await;
    let res = s
        .app
        .client
        .get(format!(
            "{}/api/v1/contracts/{}/due-diligence",
            s.app.base, s.k
        ))
        .bearer_auth(&s.buyer)
        .header("Accept", "text/csv")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["content-type"], "text/csv; charset=utf-8");
    let text = res.text().await.unwrap();
    assert!(text.contains("\r\n") || text.contains('\n'));
    let rows = parse_csv(&text);
    assert_eq!(rows.len(), 1);
    let row = &rows[0];
    assert_eq!(row["contract_id"], s.k);
    assert_eq!(row["status"], json_v["status"].as_str().unwrap());
    for (col, path) in [
        ("items", ["coverage", "items"]),
        ("covered", ["coverage", "covered"]),
        ("cases_open", ["cases", "open"]),
        ("cases_overdue", ["cases", "overdue"]),
        ("cases_total", ["cases", "total"]),
        ("factories_total", ["factories", "total"]),
    ] {
        assert_eq!(row[col], json_v[path[0]][path[1]].to_string(), "{col}");
    }
    assert_eq!(
        row["state_open"],
        json_v["cases"]["by_state"]["open"].to_string()
    );
    assert_eq!(
        row["severity_minor"],
        json_v["cases"]["by_severity"]["minor"].to_string()
    );
    assert_eq!(
        row["time_to_acknowledge_median_hours"]
            .parse::<f64>()
            .unwrap(),
        json_v["time_to_acknowledge"]["median_hours"]
            .as_f64()
            .unwrap()
    );
    assert_eq!(
        row["max_escalation_level"],
        json_v["max_escalation_level"].to_string()
    );
    assert_eq!(row["uncovered_components"], "Dock; Monitor");
    assert_eq!(row["factories_by_country"], "CN:2;MY:1");
    // The portfolio, both ways.
    let (_, p) = s.app.get("/api/v1/due-diligence", &s.buyer).await;
    let res = s
        .app
        .client
        .get(format!("{}/api/v1/due-diligence", s.app.base))
        .bearer_auth(&s.buyer)
        .header("Accept", "text/csv")
        .send()
        .await
        .unwrap();
    let rows = parse_csv(&res.text().await.unwrap());
    let items = p["items"].as_array().unwrap();
    assert_eq!(rows.len(), items.len());
    for (row, item) in rows.iter().zip(items) {
        assert_eq!(row["contract_id"], item["contract_id"].as_str().unwrap());
        assert_eq!(row["status"], item["status"].as_str().unwrap());
        assert_eq!(row["open_cases"], item["open_cases"].to_string());
        assert_eq!(row["covered"], item["covered"].to_string());
    }
}

async fn only_the_parties_and_monitors_see_a_contract_s_status(backend: Backend) {
    let s = setup(backend).await;
    let (other_c_id, other_contractor) = s.app.org("contractor", "Other contractor").await;
    let (_, other_buyer) = s.app.org("buyer", "Other buyer").await;
    let path = format!("/api/v1/contracts/{}/due-diligence", s.k);
    for token in [&other_contractor, &other_buyer] {
        let (st, _) = s.app.get(&path, token).await;
        assert_eq!(st, StatusCode::NOT_FOUND);
        let (st, _) = s.app.get(&format!("{path}?at=2026-06-01"), token).await;
        assert_eq!(st, StatusCode::NOT_FOUND);
    }
    for token in [&s.buyer, &s.contractor, &s.monitor, &s.app.admin_token] {
        let (st, _) = s.app.get(&path, token).await;
        assert_eq!(st, StatusCode::OK);
    }
    // Portfolios hold only the caller's own contracts.
    let k2 = s
        .app
        .contract(
            &s.buyer_id,
            &s.buyer,
            &other_c_id,
            "K-OTHER",
            "2026-01-01",
            "2026-12-31",
        )
        .await;
    let ids = |v: &Value| -> Vec<String> {
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["contract_id"].as_str().unwrap().to_string())
            .collect()
    };
    let (_, mine) = s
        .app
        .get("/api/v1/due-diligence?sort=reference", &s.buyer)
        .await;
    assert_eq!(ids(&mine), vec![s.k.clone(), k2.clone()]);
    let (_, theirs) = s.app.get("/api/v1/due-diligence", &other_contractor).await;
    assert_eq!(ids(&theirs), vec![k2]);
    let (_, c) = s.app.get("/api/v1/due-diligence", &s.contractor).await;
    assert_eq!(ids(&c), vec![s.k.clone()]);
    let _ = &s.contractor_id;
    let (st, p) = s
        .app
        .get("/api/v1/due-diligence?sort=colour", &s.buyer)
        .await;
    assert_eq!(
        (st, p["errors"][0]["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("sort"))
    );
}

/// A title or component name one party typed reaches another party's spreadsheet: no cell of
/// any CSV may start as a formula (`=`, `+`, `-`, `@`, tab, CR), and the text is kept behind `'`.
async fn csv_cells_never_start_a_formula(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (buyer_id, buyer) = app.org("buyer", "Buyer").await;
    let (contractor_id, contractor) = app.org("contractor", "Contractor").await;
    let title = "=cmd|' /C calc'!A0";
    let (st, k) = app
        .post(
            "/api/v1/contracts",
            &buyer,
            json!({"reference": "K-CSV", "title": title, "buyer_id": buyer_id,
                "contractor_id": contractor_id, "starts_on": "2026-01-01", "ends_on": "2027-12-31"}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{k}");
    let k = id(&k);
    for name in ["@SUM(1+1)*cmd|' /C calc'!A0", "+1+1", "-1+1"] {
        let c = app.component(&contractor, name, None).await;
        app.item(&contractor, &k, &c).await;
    }
    let fetch = |path: String| {
        let app = &app;
        let buyer = buyer.clone();
        async move {
            let res = app
                .client
                .get(format!("{}{path}", app.base))
                .bearer_auth(&buyer)
                .header("Accept", "text/csv")
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), StatusCode::OK);
            res.text().await.unwrap()
        }
    };
    for text in [
        fetch(format!("/api/v1/contracts/{k}/due-diligence")).await,
        fetch("/api/v1/due-diligence".to_string()).await,
    ] {
        let rows = parse_csv(&text);
        assert_eq!(rows.len(), 1, "{text}");
        for (field, cell) in &rows[0] {
            assert!(
                !cell.starts_with(['=', '+', '-', '@', '\t', '\r']),
                "{field} starts a formula: {cell:?}"
            );
        }
        assert_eq!(rows[0]["title"], format!("'{title}"));
    }
    let rows = parse_csv(&fetch(format!("/api/v1/contracts/{k}/due-diligence")).await);
    let uncovered = &rows[0]["uncovered_components"];
    assert!(uncovered.starts_with("'"), "{uncovered}");
    for name in ["@SUM(1+1)*cmd|' /C calc'!A0", "+1+1", "-1+1"] {
        assert!(uncovered.contains(name), "{uncovered}");
    }
}

/// (open cases, overdue cases, highest level) of each of `contracts` in the buyer's portfolio,
/// after checking them, and the tables they are read from, against a fresh count of the
/// contract links.
async fn portfolio_figures(app: &TestApp, buyer: &str, contracts: &[&str]) -> Vec<[i64; 3]> {
    let (st, p) = app.get("/api/v1/due-diligence?limit=500", buyer).await;
    assert_eq!(st, StatusCode::OK, "{p}");
    let mut out = Vec::new();
    for k in contracts {
        let item = p["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["contract_id"] == *k)
            .unwrap_or_else(|| panic!("{k} is not in the portfolio: {p}"));
        let listed = [
            item["open_cases"].as_i64().unwrap(),
            item["overdue_cases"].as_i64().unwrap(),
            item["max_escalation_level"].as_i64().unwrap(),
        ];
        let open = "case_state NOT IN ('verified', 'closed')";
        let counted = [
            app.count(&format!(
                "SELECT COUNT(*) AS n FROM case_contracts WHERE contract_id = '{k}' AND {open}"
            ))
            .await,
            app.count(&format!(
                "SELECT COUNT(*) AS n FROM case_contracts WHERE contract_id = '{k}' AND {open} \
                 AND case_level >= 2"
            ))
            .await,
            app.count(&format!(
                "SELECT CAST(COALESCE(MAX(case_max_level), 0) AS BIGINT) AS n FROM case_contracts \
                 WHERE contract_id = '{k}'"
            ))
            .await,
        ];
        assert_eq!(listed, counted, "{k}: the portfolio against the links");
        out.push(listed);
    }
    // The kept rows themselves: exactly the groups a fresh aggregate finds, no row at 0.
    let open = "SELECT contract_id, case_severity, case_level, COUNT(*) AS c FROM case_contracts \
                WHERE case_state NOT IN ('verified', 'closed') \
                GROUP BY contract_id, case_severity, case_level";
    let kept =
        "SELECT contract_id, case_severity, case_level, open_cases FROM contract_open_figures";
    let max = "SELECT contract_id, case_max_level, COUNT(*) AS c FROM case_contracts \
               WHERE case_max_level > 0 GROUP BY contract_id, case_max_level";
    let kept_max = "SELECT contract_id, case_max_level, cases FROM contract_max_levels";
    for (fresh, kept, table) in [
        (open, kept, "contract_open_figures"),
        (max, kept_max, "contract_max_levels"),
    ] {
        let differ = app
            .count(&format!(
                "SELECT (SELECT COUNT(*) FROM ({fresh} EXCEPT {kept}) a) \
                 + (SELECT COUNT(*) FROM ({kept} EXCEPT {fresh}) b) AS n"
            ))
            .await;
        assert_eq!(differ, 0, "{table} against the links");
        let rows = app
            .count(&format!("SELECT COUNT(*) AS n FROM ({kept}) k"))
            .await;
        let fresh_rows = app
            .count(&format!("SELECT COUNT(*) AS n FROM ({fresh}) f"))
            .await;
        assert_eq!(rows, fresh_rows, "{table}: rows at 0 or twice");
    }
    if app.test_db.backend == Backend::Postgres {
        // Each transaction's noted changes are applied, and removed, when it commits.
        let pending = app
            .count("SELECT COUNT(*) AS n FROM contract_figure_changes")
            .await;
        assert_eq!(pending, 0, "changes left in contract_figure_changes");
    }
    out
}

/// The portfolio's open cases and levels are counted by triggers as cases open, move, close,
/// reopen and escalate (migration 2026-12-06-000010); after each step they equal a fresh count.
async fn portfolio_figures_follow_every_change(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let chain = app.chain(2).await;
    let (c0_id, c0, k0, product0, _) = chain.contractors[0].clone();
    let k1 = chain.contractors[1].2.clone();
    // A second contract of contractor 0 with the same product: its cases link to both.
    let k0b = app
        .contract(
            &chain.buyer_id,
            &chain.buyer,
            &c0_id,
            "K0b",
            "2026-01-01",
            "2027-12-31",
        )
        .await;
    app.item(&c0, &k0b, &product0).await;
    let ks = [k0.as_str(), k0b.as_str(), k1.as_str()];
    assert_eq!(
        portfolio_figures(&app, &chain.buyer, &ks).await,
        [[0; 3]; 3]
    );

    // Three findings, each opening a case for contractor 0 (on K0 and K0b) and contractor 1.
    let (mut mine, mut theirs) = (Vec::new(), Vec::new());
    for severity in ["critical", "major", "minor"] {
        let f = app
            .finding(&chain.monitor, &chain.factory, severity, "2026-05-20")
            .await;
        let cases = f["cases"].as_array().unwrap();
        assert_eq!(cases.len(), 2, "{f}");
        for c in cases {
            if c["contractor_id"] == c0_id.as_str() {
                mine.push(id(c));
            } else {
                theirs.push(id(c));
            }
        }
    }
    assert_eq!((mine.len(), theirs.len()), (3, 3));
    let (crit, major, minor) = (&mine[0], &mine[1], &mine[2]);
    assert_eq!(
        portfolio_figures(&app, &chain.buyer, &ks).await,
        [[3, 0, 0], [3, 0, 0], [3, 0, 0]]
    );
    let step = |case: String, token: String, body: Value| {
        let app = &app;
        async move {
            let (st, r) = app
                .post(&format!("/api/v1/cases/{case}/transitions"), &token, body)
                .await;
            assert_eq!(st, StatusCode::OK, "{r}");
        }
    };
    let (mon, con) = (chain.monitor.clone(), c0.clone());
    // The critical case all the way to verified: no longer open.
    let plan = json!({"action": "submit_plan", "plan": {"root_cause": "r", "actions": [
        {"description": "d", "kind": "corrective", "owner": "o", "due_on": "2026-08-01"}]}});
    step(crit.clone(), con.clone(), json!({"action": "acknowledge"})).await;
    step(crit.clone(), con.clone(), plan).await;
    step(crit.clone(), mon.clone(), json!({"action": "accept_plan"})).await;
    step(
        crit.clone(),
        con.clone(),
        json!({"action": "report_remediated", "note": "Done",
        "evidence": [{"url": "https://evidence.example.org/p.pdf", "sha256": "a".repeat(64)}]}),
    )
    .await;
    step(crit.clone(), mon.clone(), json!({"action": "verify"})).await;
    // The major case disputed (still open), the minor one closed.
    step(
        major.clone(),
        con.clone(),
        json!({"action": "dispute", "reason": "Not ours"}),
    )
    .await;
    step(
        minor.clone(),
        mon.clone(),
        json!({"action": "close", "reason": "Resolved"}),
    )
    .await;
    assert_eq!(
        portfolio_figures(&app, &chain.buyer, &ks).await,
        [[1, 0, 0], [1, 0, 0], [3, 0, 0]]
    );
    // Reopened: open again.
    step(minor.clone(), mon.clone(), json!({"action": "reopen"})).await;
    assert_eq!(
        portfolio_figures(&app, &chain.buyer, &ks).await,
        [[2, 0, 0], [2, 0, 0], [3, 0, 0]]
    );
    // The sweeps move levels: contractor 1's silent critical case is overdue (level 2) after
    // a week; by day 180 its silent minor one reaches level 3.
    app.sweep_at(t(7, 1), None).await;
    app.clock.set(t(7, 2));
    let after_a_week = portfolio_figures(&app, &chain.buyer, &ks).await;
    assert!(after_a_week[2][1] >= 1, "{after_a_week:?}");
    app.sweep_at(t(31, 0), None).await;
    app.clock.set(t(31, 1));
    portfolio_figures(&app, &chain.buyer, &ks).await;
    // An extension of a missed deadline takes a level back (the highest level reached stays):
    // a change of level alone.
    let levels = |case: String| {
        let app = &app;
        async move {
            let of = |column: &str| {
                format!("SELECT CAST({column} AS BIGINT) AS n FROM cases WHERE id = '{case}'")
            };
            [
                app.count(&of("escalation_level")).await,
                app.count(&of("max_escalation_level")).await,
            ]
        }
    };
    let before = levels(theirs[0].clone()).await;
    let (st, r) = app
        .post(
            &format!("/api/v1/cases/{}/extensions", theirs[0]),
            &mon,
            json!({"deadline": "acknowledge", "until": "2026-12-01T00:00:00Z",
                "reason": "Audit planned"}),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{r}");
    let after = levels(theirs[0].clone()).await;
    assert!(
        after[0] < before[0] && after[1] == before[1],
        "levels (current, highest) {before:?} then {after:?}"
    );
    portfolio_figures(&app, &chain.buyer, &ks).await;
    app.sweep_at(t(180, 0), None).await;
    app.clock.set(t(180, 1));
    let late = portfolio_figures(&app, &chain.buyer, &ks).await;
    assert_eq!(late[2][2], 3, "{late:?}");
    assert!(
        late[0][2] > 0,
        "contractor 0's minor case escalated: {late:?}"
    );
    // Closing every case of K1 empties its open counts; its highest level stays.
    let (_, k1_cases) = app
        .get(
            &format!("/api/v1/cases?contract_id={k1}&limit=100"),
            &chain.buyer,
        )
        .await;
    let k1_cases: Vec<String> = k1_cases["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(id)
        .collect();
    assert_eq!(k1_cases.len(), 3);
    for c in k1_cases {
        step(
            c,
            mon.clone(),
            json!({"action": "close", "reason": "Resolved"}),
        )
        .await;
    }
    let closed = portfolio_figures(&app, &chain.buyer, &ks).await;
    assert_eq!(closed[2], [0, 0, 3], "{closed:?}");
    // `verify-audit` checks the kept figures too: they pass now, and a drift made on purpose
    // (one count off, one row gone) is named with its contract.
    let (ok, out) = app.verify_audit().await;
    assert!(ok, "{out}");
    assert!(out.contains("kept portfolio figures"), "{out}");
    let off = app
        .execute(&format!(
            "UPDATE contract_open_figures SET open_cases = open_cases + 1 \
             WHERE contract_id = '{k0}'"
        ))
        .await;
    assert!(off > 0, "K0 has open cases to miscount");
    let gone = app
        .execute(&format!(
            "DELETE FROM contract_max_levels WHERE contract_id = '{k1}' AND case_max_level = 3"
        ))
        .await;
    assert_eq!(gone, 1);
    let (ok, out) = app.verify_audit().await;
    assert!(!ok, "{out}");
    assert!(
        out.contains(&format!("contract {k0}: open cases")) && out.contains("(kept, not counted)"),
        "{out}"
    );
    assert!(
        out.contains(&format!(
            "contract {k1}: cases at highest level 3 (counted, not kept)"
        )),
        "{out}"
    );
}

on_both_backends!(
    csv_cells_never_start_a_formula,
    portfolio_figures_follow_every_change,
    every_figure_of_a_hand_built_contract,
    a_critical_overdue_case_is_red_and_a_clean_contract_green,
    the_view_of_the_past_before_and_after_a_case_closes,
    csv_and_json_agree,
    only_the_parties_and_monitors_see_a_contract_s_status,
);
