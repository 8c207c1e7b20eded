//! Routing findings to responsible contractors through the bill of materials, honouring
//! validity and contract dates, scopes, and late disclosures; and who sees which case.

mod common;

use common::{id, Backend, TestApp};
use reqwest::StatusCode;
use serde_json::{json, Value};

fn case_ids(finding: &Value) -> Vec<String> {
    finding["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(id)
        .collect()
}

async fn three_level_bill_of_materials(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (buyer_id, buyer) = app.org("buyer", "B").await;
    let (_, monitor) = app.org("monitor", "M").await;
    let (c_id, c) = app.org("contractor", "C").await;
    let k1 = app
        .contract(&buyer_id, &buyer, &c_id, "K1", "2026-01-01", "2027-12-31")
        .await;
    let k2 = app
        .contract(&buyer_id, &buyer, &c_id, "K2", "2026-01-01", "2027-12-31")
        .await;
    let laptop = app.component(&c, "Laptop", None).await;
    let battery = app.component(&c, "Battery", Some(&laptop)).await;
    let cell = app.component(&c, "Cell", Some(&battery)).await;
    let anode = app.component(&c, "Anode", Some(&cell)).await;
    let factory = app.factory(&c, "Anode works").await;
    app.source(&c, &anode, &factory, "2026-01-01", None).await;
    app.item(&c, &k1, &laptop).await;
    app.item(&c, &k2, &battery).await;

    let finding = app.finding(&monitor, &factory, "major", "2026-05-01").await;
    assert_eq!(finding["routed"], true);
    let cases = finding["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 1, "one case per contractor");
    assert_eq!(cases[0]["contractor_id"], c_id.as_str());
    let mut contracts: Vec<&str> = cases[0]["contract_ids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    contracts.sort();
    let mut expected = vec![k1.as_str(), k2.as_str()];
    expected.sort();
    assert_eq!(
        contracts, expected,
        "every affected contract of the contractor"
    );
}

async fn shared_factory_two_cases_that_never_meet(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let chain = app.chain(2).await;
    let (c1_id, c1, k1, ..) = chain.contractors[0].clone();
    let (c2_id, _, k2, ..) = chain.contractors[1].clone();
    let finding = app
        .finding(&chain.monitor, &chain.factory, "critical", "2026-05-01")
        .await;
    let cases = case_ids(&finding);
    assert_eq!(cases.len(), 2);
    let case_of = |contractor: &str| {
        finding["cases"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["contractor_id"] == contractor)
            .map(id)
            .unwrap()
    };
    let (case1, case2) = (case_of(&c1_id), case_of(&c2_id));

    // Each contractor sees exactly its own case; the other's is 404.
    let (_, list1) = app.get("/api/v1/cases", &c1).await;
    assert_eq!(
        list1["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(id)
            .collect::<Vec<_>>(),
        vec![case1.clone()]
    );
    let (s, _) = app.get(&format!("/api/v1/cases/{case2}"), &c1).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = app.get(&format!("/api/v1/cases/{case2}/events"), &c1).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = app
        .get(&format!("/api/v1/findings/{}", id(&finding)), &c1)
        .await;
    assert_eq!(
        s,
        StatusCode::NOT_FOUND,
        "the finding itself (with its list of cases) is the monitor's"
    );

    // Nothing c1 can read names c2, its contract, or the confidential notes.
    let (_, own) = app.get(&format!("/api/v1/cases/{case1}"), &c1).await;
    let (_, events) = app.get(&format!("/api/v1/cases/{case1}/events"), &c1).await;
    let seen = format!("{list1}{own}{events}");
    for secret in [
        c2_id.as_str(),
        k2.as_str(),
        case2.as_str(),
        "W-17",
        "confidential_notes",
    ] {
        assert!(!seen.contains(secret), "contractor 1 can read {secret}");
    }
    assert_eq!(own["contract_ids"], json!([k1]));
    assert_eq!(own["your_party"], "contractor");

    // The buyer sees both (both touch its contracts), but never the notes.
    let (_, buyer_list) = app.get("/api/v1/cases", &chain.buyer).await;
    assert_eq!(buyer_list["items"].as_array().unwrap().len(), 2);
    assert!(!buyer_list.to_string().contains("W-17"));
    // The monitor sees both cases and its notes.
    let (_, m) = app
        .get(
            &format!("/api/v1/findings/{}", id(&finding)),
            &chain.monitor,
        )
        .await;
    assert_eq!(
        m["confidential_notes"],
        "Source: worker W-17 (do not disclose)"
    );
    assert_eq!(m["cases"].as_array().unwrap().len(), 2);
    let (_, mlist) = app.get("/api/v1/cases", &chain.monitor).await;
    assert_eq!(mlist["items"].as_array().unwrap().len(), 2);
    // Another monitor sees none of it.
    let (_, other_monitor) = app.org("monitor", "Other monitor").await;
    let (s, _) = app
        .get(
            &format!("/api/v1/findings/{}", id(&finding)),
            &other_monitor,
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (_, none) = app.get("/api/v1/cases", &other_monitor).await;
    assert!(none["items"].as_array().unwrap().is_empty());
    // A buyer of other contracts sees none.
    let (_, other_buyer) = app.org("buyer", "Other buyer").await;
    let (s, _) = app
        .get(&format!("/api/v1/cases/{case1}"), &other_buyer)
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    // Filters: by contract, by contractor, by factory, by state, by severity.
    let (_, by_k) = app
        .get(&format!("/api/v1/cases?contract_id={k2}"), &chain.buyer)
        .await;
    assert_eq!(
        by_k["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(id)
            .collect::<Vec<_>>(),
        vec![case2.clone()]
    );
    let (_, by_c) = app
        .get(
            &format!("/api/v1/cases?contractor_id={c1_id}"),
            &chain.monitor,
        )
        .await;
    assert_eq!(by_c["items"].as_array().unwrap().len(), 1);
    for (q, n) in [
        ("severity=critical", 2),
        ("severity=minor", 0),
        ("state=open", 2),
        ("state=closed", 0),
        ("category=working_hours", 2),
        ("overdue=true", 0),
        (&format!("factory_id={}", chain.factory) as &str, 2),
    ] {
        let (s, r) = app.get(&format!("/api/v1/cases?{q}"), &chain.monitor).await;
        assert_eq!(s, StatusCode::OK, "{q}");
        assert_eq!(r["items"].as_array().unwrap().len(), n, "{q}");
    }
    let (s, p) = app
        .get("/api/v1/cases?state=sleeping", &chain.monitor)
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(p["errors"][0]["field"], "state");
}

async fn expired_links_and_ended_contracts_do_not_route(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (buyer_id, buyer) = app.org("buyer", "B").await;
    let (_, monitor) = app.org("monitor", "M").await;
    let (c_id, c) = app.org("contractor", "C").await;
    let factory = app.factory(&c, "F").await;
    // Link valid only in 2025; contract running all the time.
    let k = app
        .contract(&buyer_id, &buyer, &c_id, "K", "2024-01-01", "2028-12-31")
        .await;
    let p = app.component(&c, "P", None).await;
    app.item(&c, &k, &p).await;
    app.source(&c, &p, &factory, "2025-01-01", Some("2025-12-31"))
        .await;
    let f = app.finding(&monitor, &factory, "major", "2026-03-01").await;
    assert_eq!(f["routed"], false);
    assert!(case_ids(&f).is_empty());
    // The same link does route a finding observed while it was valid.
    let f = app.finding(&monitor, &factory, "major", "2025-06-01").await;
    assert_eq!(case_ids(&f).len(), 1);

    // A contract that ended before the observation: no case.
    let (c2_id, c2) = app.org("contractor", "C2").await;
    let factory2 = app.factory(&c2, "F2").await;
    let k2 = app
        .contract(&buyer_id, &buyer, &c2_id, "K2", "2024-01-01", "2025-06-30")
        .await;
    let p2 = app.component(&c2, "P2", None).await;
    app.item(&c2, &k2, &p2).await;
    app.source(&c2, &p2, &factory2, "2024-01-01", None).await;
    let f = app
        .finding(&monitor, &factory2, "minor", "2025-07-01")
        .await;
    assert!(case_ids(&f).is_empty());
    let f = app
        .finding(&monitor, &factory2, "minor", "2025-06-30")
        .await;
    assert_eq!(
        case_ids(&f).len(),
        1,
        "the last day of a contract still counts"
    );
    let (_, unrouted) = app.get("/api/v1/findings?routed=false", &monitor).await;
    assert_eq!(unrouted["items"].as_array().unwrap().len(), 2);
}

async fn component_scope_limits_the_reach(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let chain = app.chain(2).await;
    let (c1_id, _, _, _, part1) = chain.contractors[0].clone();
    let (s, f) = app
        .post("/api/v1/findings", &chain.monitor, json!({"factory_id": chain.factory, "component_ids": [part1],
            "category": "child_labour", "severity": "critical", "title": "Minors on the line",
            "description": "Two workers aged 15 found on the assembly line.", "observed_on": "2026-04-01"}))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{f}");
    let cases = f["cases"].as_array().unwrap();
    assert_eq!(
        cases.len(),
        1,
        "contractor 2 buys another component from this factory"
    );
    assert_eq!(cases[0]["contractor_id"], c1_id.as_str());
    assert_eq!(f["component_ids"], json!([part1]));
    // A scope naming an unknown component is refused, naming it.
    let (s, p) = app
        .post("/api/v1/findings", &chain.monitor, json!({"factory_id": chain.factory,
            "component_ids": [part1, uuid::Uuid::now_v7()], "category": "other", "severity": "minor",
            "title": "t", "description": "d", "observed_on": "2026-04-01"}))
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(p["errors"][0]["field"], "component_ids[1]");
}

async fn late_disclosure_routes_an_unrouted_finding(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (buyer_id, buyer) = app.org("buyer", "B").await;
    let (_, monitor) = app.org("monitor", "M").await;
    let (c_id, c) = app.org("contractor", "C").await;
    let factory = app.factory(&c, "Undisclosed factory").await;
    let finding = app
        .finding(&monitor, &factory, "critical", "2026-05-01")
        .await;
    assert_eq!(finding["routed"], false);
    let (_, unrouted) = app.get("/api/v1/findings?routed=false", &monitor).await;
    assert_eq!(
        unrouted["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(id)
            .collect::<Vec<_>>(),
        vec![id(&finding)]
    );

    // A contract with a product, then the disclosure that the product's part is made there.
    let k = app
        .contract(&buyer_id, &buyer, &c_id, "K", "2026-01-01", "2027-12-31")
        .await;
    let product = app.component(&c, "Product", None).await;
    let part = app.component(&c, "Part", Some(&product)).await;
    app.item(&c, &k, &product).await;
    let (_, still) = app
        .get(&format!("/api/v1/findings/{}", id(&finding)), &monitor)
        .await;
    assert_eq!(still["routed"], false);
    app.clock.advance(chrono::TimeDelta::hours(5));
    app.source(&c, &part, &factory, "2026-01-01", None).await;

    let (_, routed) = app
        .get(&format!("/api/v1/findings/{}", id(&finding)), &monitor)
        .await;
    assert_eq!(routed["routed"], true);
    let case = routed["cases"][0]["id"].as_str().unwrap().to_string();
    let (_, events) = app.get(&format!("/api/v1/cases/{case}/events"), &c).await;
    let first = &events["items"][0];
    assert_eq!(first["kind"], "opened");
    assert_eq!(first["payload"]["late_routing"], true);
    assert!(
        first["actor_organization_id"].is_null(),
        "the service routes it (a disclosure never names its contractor in a case): {first}"
    );
    // Deadlines run from when the contractor is told, not from the filing.
    let (_, got) = app.get(&format!("/api/v1/cases/{case}"), &c).await;
    assert_eq!(got["opened_at"], first["at"]);
    assert_ne!(got["opened_at"].as_str(), routed["created_at"].as_str());
    let (_, unrouted) = app.get("/api/v1/findings?routed=false", &monitor).await;
    assert!(unrouted["items"].as_array().unwrap().is_empty());

    // A contract item added later routes too (second contractor).
    let (c2_id, c2) = app.org("contractor", "C2").await;
    let product2 = app.component(&c2, "Product 2", None).await;
    app.source(&c2, &product2, &factory, "2026-01-01", None)
        .await;
    let (_, f) = app
        .get(&format!("/api/v1/findings/{}", id(&finding)), &monitor)
        .await;
    assert_eq!(
        f["cases"].as_array().unwrap().len(),
        1,
        "no contract covers product 2 yet"
    );
    let k2 = app
        .contract(&buyer_id, &buyer, &c2_id, "K2", "2026-01-01", "2027-12-31")
        .await;
    app.item(&buyer, &k2, &product2).await;
    let (_, f) = app
        .get(&format!("/api/v1/findings/{}", id(&finding)), &monitor)
        .await;
    assert_eq!(f["cases"].as_array().unwrap().len(), 2);
}

async fn findings_are_filed_by_monitors_only_and_checked(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let chain = app.chain(1).await;
    let body = json!({"factory_id": chain.factory, "category": "wages", "severity": "major", "title": "t",
        "description": "d", "observed_on": "2026-04-01"});
    for token in [&chain.buyer, &chain.contractors[0].1, &app.admin_token] {
        let (s, _) = app.post("/api/v1/findings", token, body.clone()).await;
        assert_eq!(s, StatusCode::FORBIDDEN);
    }
    let mut bad = body.clone();
    bad["observed_on"] = json!("2026-06-02"); // the test clock stands at 2026-06-01
    let (s, p) = app.post("/api/v1/findings", &chain.monitor, bad).await;
    assert_eq!(
        (s, p["errors"][0]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("observed_on"))
    );
    for (field, value) in [
        ("category", json!("bribery")),
        ("severity", json!("huge")),
        ("evidence", json!([{"url": "ftp://x"}])),
        ("factory_id", json!(uuid::Uuid::now_v7())),
    ] {
        let mut bad = body.clone();
        bad[field] = value;
        let (s, p) = app.post("/api/v1/findings", &chain.monitor, bad).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{field}");
        assert!(
            p["errors"][0]["field"].as_str().unwrap().starts_with(field),
            "{p}"
        );
    }
}

on_both_backends!(
    three_level_bill_of_materials,
    shared_factory_two_cases_that_never_meet,
    expired_links_and_ended_contracts_do_not_route,
    component_scope_limits_the_reach,
    late_disclosure_routes_an_unrouted_finding,
    findings_are_filed_by_monitors_only_and_checked,
);
