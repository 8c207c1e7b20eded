//! The isolation matrix, generated from the served OpenAPI document so that a new endpoint
//! cannot escape it: every documented operation is called by every kind of outsider (another
//! contractor, a monitor that did not file the finding, a buyer of another contract, a revoked
//! token) against the objects of one contractor's world. Out of reach is 404; what DESIGN.md
//! lets an outsider see (monitors read all factories and components and every contract's
//! status; buyers the contractor directory) is listed as an exception; nothing ever leaks
//! confidential notes or the contractor's name to another contractor or monitor.

mod common;

use std::collections::BTreeMap;

use common::{id, Backend, TestApp};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

struct World {
    ids: BTreeMap<&'static str, String>,
    outsiders: Vec<(&'static str, String)>,
}

async fn world(app: &TestApp) -> World {
    let chain = app.chain(1).await;
    let (c1_id, c1, k1, product, part) = chain.contractors[0].clone();
    app.patch(
        &format!("/api/v1/organizations/{c1_id}"),
        &app.admin_token,
        json!({"name": "Contractor one"}),
    )
    .await;
    let finding = app
        .finding(&chain.monitor, &chain.factory, "critical", "2026-05-01")
        .await;
    let case = finding["cases"][0]["id"].as_str().unwrap().to_string();
    let (_, tok) = app
        .post(
            "/api/v1/tokens",
            &app.admin_token,
            json!({"organization_id": c1_id, "label": "second"}),
        )
        .await;
    let (_, outbox) = app.get("/api/v1/notifications", &app.admin_token).await;
    let notification = outbox["items"][0]["id"].as_str().unwrap().to_string();
    let (_, c2) = app.org("contractor", "Contractor two").await;
    let (_, m2) = app.org("monitor", "Monitor two").await;
    let (b2_id, b2) = app.org("buyer", "Buyer two").await;
    let (c3_id, _) = app.org("contractor", "Contractor three").await;
    app.contract(&b2_id, &b2, &c3_id, "OTHER", "2026-01-01", "2026-12-31")
        .await;
    // A revoked token of the contractor itself.
    let (_, gone) = app
        .post(
            "/api/v1/tokens",
            &app.admin_token,
            json!({"organization_id": c1_id, "label": "gone"}),
        )
        .await;
    app.delete(&format!("/api/v1/tokens/{}", id(&gone)), &app.admin_token)
        .await;
    let _ = (&c1, &part);
    World {
        ids: BTreeMap::from([
            ("organizations", c1_id),
            ("tokens", id(&tok)),
            ("factories", chain.factory.clone()),
            ("components", product),
            ("contracts", k1),
            ("findings", id(&finding)),
            ("cases", case),
            ("notifications", notification),
            ("suppressions", "someone@contractor.example.org".to_string()),
        ]),
        outsiders: vec![
            ("other contractor", c2),
            ("other monitor", m2),
            ("other buyer", b2),
            ("revoked token", gone["token"].as_str().unwrap().to_string()),
        ],
    }
}

/// A valid body for each operation that takes one; an operation missing here fails the test.
fn body(method: &Method, path: &str, w: &World) -> Option<Value> {
    let f = &w.ids["factories"];
    let c = &w.ids["components"];
    let org = &w.ids["organizations"];
    Some(match (method.as_str(), path) {
        ("POST", "/api/v1/organizations") => {
            json!({"name": "New", "kind": "buyer", "country": "BE", "notification_emails": ["n@new.example.org"]})
        }
        ("PATCH", "/api/v1/organizations/{id}") => json!({"name": "Renamed"}),
        ("POST", "/api/v1/tokens") => json!({"organization_id": org, "label": "x"}),
        ("POST", "/api/v1/factories") => {
            json!({"name": "Elsewhere", "address": "2 Road", "country": "TH"})
        }
        ("PATCH", "/api/v1/factories/{id}") => json!({"workers": 5}),
        ("POST", "/api/v1/components") => json!({"name": "Thing"}),
        ("PATCH", "/api/v1/components/{id}") => json!({"name": "Renamed"}),
        ("POST", "/api/v1/components/{id}/sources") => {
            json!({"factory_id": f, "tier": 2, "valid_from": "2026-01-01"})
        }
        ("POST", "/api/v1/contracts") => {
            json!({"reference": "R", "title": "T", "buyer_id": org, "contractor_id": org, "starts_on": "2026-01-01", "ends_on": "2026-12-31"})
        }
        ("POST", "/api/v1/contracts/{id}/items") => json!({"component_id": c}),
        ("POST", "/api/v1/findings") => {
            json!({"factory_id": f, "category": "wages", "severity": "minor", "title": "t", "description": "d", "observed_on": "2026-05-01"})
        }
        ("POST", "/api/v1/cases/{id}/transitions") => json!({"action": "close", "reason": "x"}),
        ("POST", "/api/v1/cases/{id}/comments") => json!({"text": "x"}),
        ("POST", "/api/v1/cases/{id}/extensions") => {
            json!({"deadline": "acknowledge", "until": "2030-01-01T00:00:00Z", "reason": "x"})
        }
        ("POST", "/api/v1/cases/{id}/extensions/refusal") => json!({"reason": "x"}),
        ("POST", "/api/v1/notifications/{id}/requeue") => json!({}),
        _ => return None,
    })
}

/// What DESIGN.md lets an outsider get, where it is not 404.
fn allowed(who: &str, method: &Method, path: &str) -> Option<u16> {
    let get = *method == Method::GET;
    match (who, path) {
        ("revoked token", _) => Some(401),
        (
            "other monitor",
            "/api/v1/factories/{id}"
            | "/api/v1/components/{id}"
            | "/api/v1/components/{id}/sources",
        ) if get => Some(200),
        ("other monitor", "/api/v1/contracts/{id}/due-diligence") => Some(200),
        ("other monitor", "/api/v1/factories/{id}") => Some(403), // visible to monitors, not theirs to change
        ("other buyer", "/api/v1/organizations/{id}") => Some(if get { 200 } else { 403 }), // the contractor directory
        // Operations of a role the caller does not have: refused before any lookup.
        (
            "other monitor" | "other buyer",
            "/api/v1/components/{id}" | "/api/v1/components/{id}/sources",
        ) if !get => Some(403),
        (
            _,
            "/api/v1/tokens/{id}"
            | "/api/v1/notifications/{id}/requeue"
            | "/api/v1/suppressions/{email}",
        ) => Some(403),
        _ => None,
    }
}

async fn every_documented_operation_against_every_outsider(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let w = world(&app).await;
    let (s, doc) = app
        .request(Method::GET, "/api/v1/openapi.json", None, None)
        .await;
    assert_eq!(s, StatusCode::OK);
    let paths = doc["paths"].as_object().unwrap();
    let mut failures = Vec::new();
    let mut calls = 0;
    for (template, ops) in paths {
        if !template.starts_with("/api/v1/") || template == "/api/v1/openapi.json" {
            continue;
        }
        for (m, _) in ops.as_object().unwrap() {
            let method = Method::from_bytes(m.to_ascii_uppercase().as_bytes()).unwrap();
            if !matches!(
                method,
                Method::GET | Method::POST | Method::PATCH | Method::DELETE | Method::PUT
            ) {
                continue;
            }
            let with_body = matches!(method, Method::POST | Method::PATCH | Method::PUT);
            let payload = body(&method, template, &w);
            if with_body && payload.is_none() {
                failures.push(format!(
                    "{method} {template}: no body in the matrix; add one"
                ));
                continue;
            }
            let prefix = template
                .trim_start_matches("/api/v1/")
                .split('/')
                .next()
                .unwrap();
            let path = template
                .replace("{id}", w.ids.get(prefix).map(String::as_str).unwrap_or("-"))
                .replace("{email}", &w.ids["suppressions"]);
            let has_target = template.contains('{');
            for (who, token) in &w.outsiders {
                let (status, answer) = app
                    .request(method.clone(), &path, Some(token), payload.as_ref())
                    .await;
                calls += 1;
                let text = answer.to_string();
                if status.is_server_error() {
                    failures.push(format!("{who} {method} {template}: {status}"));
                }
                if text.contains("W-17") {
                    failures.push(format!(
                        "{who} {method} {template}: confidential notes leaked"
                    ));
                }
                if *who != "other buyer" && text.contains("Contractor one") {
                    failures.push(format!(
                        "{who} {method} {template}: the contractor's name leaked"
                    ));
                }
                // Past its allowance of failures, a revoked token is slowed (429) rather than refused.
                let slowed = *who == "revoked token" && status == StatusCode::TOO_MANY_REQUESTS;
                if has_target && !slowed {
                    let expected = allowed(who, &method, template).unwrap_or(404);
                    if status.as_u16() != expected {
                        failures.push(format!(
                            "{who} {method} {template}: {status}, expected {expected}: {text}"
                        ));
                    }
                } else if *who == "revoked token" && status != StatusCode::UNAUTHORIZED && !slowed {
                    failures.push(format!("{who} {method} {template}: {status}, expected 401"));
                } else if get_list(&method) {
                    // Lists in reach of an outsider hold none of the world's objects
                    // (monitors see all factories and components by design).
                    for (kind, object) in &w.ids {
                        // Monitors read all factories and components (with their owner) and
                        // every contract's status; buyers the contractor directory.
                        let monitor_may = *who == "other monitor"
                            && (matches!(*kind, "factories" | "components")
                                || (*kind == "organizations" && template == "/api/v1/components")
                                || (*kind == "contracts" && template == "/api/v1/due-diligence"));
                        let buyer_may = *who == "other buyer" && *kind == "organizations";
                        if !monitor_may && !buyer_may && text.contains(object.as_str()) {
                            failures.push(format!("{who} GET {template}: lists {kind} {object}"));
                        }
                    }
                }
            }
        }
    }
    assert!(
        calls > 100,
        "the document describes the API ({calls} calls)"
    );
    assert!(
        failures.is_empty(),
        "{} isolation failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

fn get_list(m: &Method) -> bool {
    *m == Method::GET
}

on_both_backends!(every_documented_operation_against_every_outsider);
