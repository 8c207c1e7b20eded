//! Who sees what: every kind of caller against every kind of object. Objects outside a
//! caller's reach answer 404, so their existence does not leak; a revoked token is 401.

mod common;

use common::{id, Backend, TestApp};
use reqwest::StatusCode;
use serde_json::json;

struct World {
    app: TestApp,
    admin: String,
    b1: String,
    b2: String,
    c1: String,
    c2: String,
    m: String,
    revoked: String,
    // objects
    b1_org: String,
    c1_org: String,
    c2_org: String,
    m_org: String,
    k1: String,
    k2: String,
    comp1: String,
    sub1: String,
    comp2: String,
    f1: String,
    f2: String,
}

async fn world(backend: Backend) -> World {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin_token.clone();
    let (b1_org, b1) = app.org("buyer", "Buyer one").await;
    let (b2_org, b2) = app.org("buyer", "Buyer two").await;
    let (c1_org, c1) = app.org("contractor", "Contractor one").await;
    let (c2_org, c2) = app.org("contractor", "Contractor two").await;
    let (m_org, m) = app.org("monitor", "Monitor").await;
    let (_, revoked) = app.org("contractor", "Gone").await;
    let (_, me) = app.get("/api/v1/me", &revoked).await;
    let (status, _) = app
        .delete(
            &format!("/api/v1/tokens/{}", me["token_id"].as_str().unwrap()),
            &admin,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);

    let contract = |buyer: &str, contractor: &str, r: &str| {
        json!({"reference": r, "title": "Lot", "buyer_id": buyer, "contractor_id": contractor,
            "starts_on": "2026-01-01", "ends_on": "2028-12-31"})
    };
    let (_, k1) = app
        .post("/api/v1/contracts", &b1, contract(&b1_org, &c1_org, "K1"))
        .await;
    let (_, k2) = app
        .post("/api/v1/contracts", &b2, contract(&b2_org, &c2_org, "K2"))
        .await;
    let (_, comp1) = app
        .post("/api/v1/components", &c1, json!({"name": "Laptop"}))
        .await;
    let (_, sub1) = app
        .post(
            "/api/v1/components",
            &c1,
            json!({"name": "Battery", "parent_id": id(&comp1)}),
        )
        .await;
    let (_, comp2) = app
        .post("/api/v1/components", &c2, json!({"name": "Monitor"}))
        .await;
    app.post(
        &format!("/api/v1/contracts/{}/items", id(&k1)),
        &b1,
        json!({"component_id": id(&comp1)}),
    )
    .await;
    app.post(
        &format!("/api/v1/contracts/{}/items", id(&k2)),
        &c2,
        json!({"component_id": id(&comp2)}),
    )
    .await;
    let (_, f1) = app
        .post(
            "/api/v1/factories",
            &c1,
            json!({"name": "F1", "address": "a", "country": "CN"}),
        )
        .await;
    let (_, f2) = app
        .post(
            "/api/v1/factories",
            &c2,
            json!({"name": "F2", "address": "b", "country": "VN"}),
        )
        .await;
    let link = |f: &str| json!({"factory_id": f, "tier": 2, "valid_from": "2026-01-01"});
    let (s, _) = app
        .post(
            &format!("/api/v1/components/{}/sources", id(&sub1)),
            &c1,
            link(&id(&f1)),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let (s, _) = app
        .post(
            &format!("/api/v1/components/{}/sources", id(&comp2)),
            &c2,
            link(&id(&f2)),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    World {
        admin,
        b1,
        b2,
        c1,
        c2,
        m,
        revoked,
        b1_org,
        c1_org,
        c2_org,
        m_org,
        k1: id(&k1),
        k2: id(&k2),
        comp1: id(&comp1),
        sub1: id(&sub1),
        comp2: id(&comp2),
        f1: id(&f1),
        f2: id(&f2),
        app,
    }
}

async fn every_caller_against_every_object(backend: Backend) {
    let w = world(backend).await;
    const OK: u16 = 200;
    const NF: u16 = 404;
    // Columns: admin, b1, b2, c1, c2, monitor. A revoked token gets 401 everywhere.
    let matrix: Vec<(String, [u16; 6])> = vec![
        (
            format!("/api/v1/contracts/{}", w.k1),
            [OK, OK, NF, OK, NF, NF],
        ),
        (
            format!("/api/v1/contracts/{}", w.k2),
            [OK, NF, OK, NF, OK, NF],
        ),
        (
            format!("/api/v1/components/{}", w.comp1),
            [OK, OK, NF, OK, NF, OK],
        ),
        (
            format!("/api/v1/components/{}", w.sub1),
            [OK, OK, NF, OK, NF, OK],
        ),
        (
            format!("/api/v1/components/{}", w.comp2),
            [OK, NF, OK, NF, OK, OK],
        ),
        (
            format!("/api/v1/components/{}/sources", w.sub1),
            [OK, OK, NF, OK, NF, OK],
        ),
        // The factory registry: read by everyone (who registered it is not, see
        // tests/isolation.rs).
        (
            format!("/api/v1/factories/{}", w.f1),
            [OK, OK, OK, OK, OK, OK],
        ),
        (
            format!("/api/v1/factories/{}", w.f2),
            [OK, OK, OK, OK, OK, OK],
        ),
        (
            format!("/api/v1/organizations/{}", w.c1_org),
            [OK, OK, OK, OK, NF, NF],
        ),
        (
            format!("/api/v1/organizations/{}", w.b1_org),
            [OK, OK, NF, OK, NF, NF],
        ),
        (
            format!("/api/v1/organizations/{}", w.m_org),
            [OK, NF, NF, NF, NF, OK],
        ),
    ];
    let callers = [&w.admin, &w.b1, &w.b2, &w.c1, &w.c2, &w.m];
    let names = [
        "admin",
        "buyer 1",
        "buyer 2",
        "contractor 1",
        "contractor 2",
        "monitor",
    ];
    let mut failures = Vec::new();
    for (path, expected) in &matrix {
        for (i, token) in callers.iter().enumerate() {
            let (status, body) = w.app.get(path, token).await;
            if status.as_u16() != expected[i] {
                failures.push(format!(
                    "{} GET {path}: {} (expected {})",
                    names[i], status, expected[i]
                ));
            }
            if status == StatusCode::NOT_FOUND {
                assert_eq!(body["status"], 404, "404s are problem documents");
            }
        }
        let (status, _) = w.app.get(path, &w.revoked).await;
        if status != StatusCode::UNAUTHORIZED {
            failures.push(format!("revoked GET {path}: {status}"));
        }
    }
    assert!(
        failures.is_empty(),
        "visibility violations:\n{}",
        failures.join("\n")
    );
}

async fn lists_show_only_what_is_in_reach(backend: Backend) {
    let w = world(backend).await;
    let ids = |v: &serde_json::Value| -> Vec<String> {
        v["items"].as_array().unwrap().iter().map(id).collect()
    };
    let (_, k) = w.app.get("/api/v1/contracts", &w.c2).await;
    assert_eq!(ids(&k), vec![w.k2.clone()]);
    let (_, k) = w.app.get("/api/v1/contracts", &w.b1).await;
    assert_eq!(ids(&k), vec![w.k1.clone()]);
    let (s, _) = w.app.get("/api/v1/contracts", &w.m).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "monitors read no contracts");
    let (_, all) = w.app.get("/api/v1/contracts", &w.admin).await;
    assert_eq!(ids(&all).len(), 2);

    // The factory registry lists every factory to everyone.
    for token in [&w.c2, &w.b1, &w.m] {
        let (_, f) = w.app.get("/api/v1/factories", token).await;
        assert_eq!(ids(&f), vec![w.f1.clone(), w.f2.clone()]);
    }

    let (_, c) = w.app.get("/api/v1/components", &w.b1).await;
    let mut got = ids(&c);
    got.sort();
    let mut want = vec![w.comp1.clone(), w.sub1.clone()];
    want.sort();
    assert_eq!(got, want);
    let (_, c) = w.app.get("/api/v1/components", &w.c2).await;
    assert_eq!(ids(&c), vec![w.comp2.clone()]);

    // Organizations: a contractor sees itself and the buyers of its contracts, nobody else.
    let (_, o) = w.app.get("/api/v1/organizations", &w.c1).await;
    let names: Vec<&str> = o["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["name"].as_str().unwrap())
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");
    assert!(names.contains(&"Buyer one") && names.contains(&"Contractor one"));
    let (_, o) = w.app.get("/api/v1/organizations", &w.m).await;
    assert_eq!(o["items"].as_array().unwrap().len(), 1);
    let body = w.app.get("/api/v1/factories", &w.c1).await.1.to_string()
        + &w.app.get("/api/v1/components", &w.c1).await.1.to_string()
        + &w.app.get("/api/v1/contracts", &w.c1).await.1.to_string();
    assert!(
        !body.contains("Contractor two") && !body.contains(&w.c2_org) && !body.contains(&w.comp2)
    );
}

async fn actions_outside_a_role_are_refused(backend: Backend) {
    let w = world(backend).await;
    let app = &w.app;
    // Out of reach: 404, and nothing changes.
    let (s, _) = app
        .post(
            &format!("/api/v1/contracts/{}/items", w.k1),
            &w.c2,
            json!({"component_id": w.comp2}),
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = app
        .patch(
            &format!("/api/v1/components/{}", w.comp1),
            &w.c2,
            json!({"name": "hijacked"}),
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = app
        .post(
            &format!("/api/v1/components/{}/sources", w.comp1),
            &w.c2,
            json!({"factory_id": w.f2, "tier": 1, "valid_from": "2026-01-01"}),
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = app
        .patch(
            &format!("/api/v1/organizations/{}", w.b1_org),
            &w.b2,
            json!({"name": "x"}),
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    // Within sight but not theirs to change: 403.
    let (s, _) = app
        .patch(
            &format!("/api/v1/factories/{}", w.f1),
            &w.b1,
            json!({"workers": 1}),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = app
        .patch(
            &format!("/api/v1/organizations/{}", w.c1_org),
            &w.b1,
            json!({"name": "x"}),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (_, comp) = app
        .get(&format!("/api/v1/components/{}", w.comp1), &w.c1)
        .await;
    assert_eq!(comp["name"], "Laptop");
    let (s, _) = app
        .patch(
            &format!("/api/v1/factories/{}", w.f1),
            &w.c2,
            json!({"workers": 1}),
        )
        .await;
    assert_eq!(
        s,
        StatusCode::FORBIDDEN,
        "only the registrant changes a factory"
    );
    // Collection actions by role.
    for (token, path, body) in [
        (
            &w.b1,
            "/api/v1/factories",
            json!({"name": "x", "address": "y", "country": "BE"}),
        ),
        (&w.m, "/api/v1/components", json!({"name": "x"})),
        (&w.b1, "/api/v1/components", json!({"name": "x"})),
        (
            &w.m,
            "/api/v1/contracts",
            json!({"reference": "r", "title": "t", "buyer_id": w.b1_org,
            "contractor_id": w.c1_org, "starts_on": "2026-01-01", "ends_on": "2026-12-31"}),
        ),
        (
            &w.c1,
            "/api/v1/organizations",
            json!({"name": "x", "kind": "admin", "country": "BE", "notification_emails": ["a@b.org"]}),
        ),
        (
            &w.b1,
            "/api/v1/tokens",
            json!({"organization_id": w.b1_org, "label": "x"}),
        ),
    ] {
        let (s, problem) = app.post(path, token, body).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{path}: {problem}");
    }
    let (s, _) = app.get("/api/v1/tokens", &w.c1).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    // A buyer registers contracts only in its own name.
    let (s, problem) = app.post("/api/v1/contracts", &w.b2, json!({"reference": "r", "title": "t",
        "buyer_id": w.b1_org, "contractor_id": w.c1_org, "starts_on": "2026-01-01", "ends_on": "2026-12-31"})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(problem["errors"][0]["field"], "buyer_id");
}

on_both_backends!(
    every_caller_against_every_object,
    lists_show_only_what_is_in_reach,
    actions_outside_a_role_are_refused,
);
