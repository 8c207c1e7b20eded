//! Framework agreements: a contract registered as a call-off of another contract of the same
//! buyer, shown grouped in the contract list and the due-diligence portfolio (JSON, CSV and
//! the portfolio page).

mod common;

use common::{id, Backend, TestApp};
use reqwest::StatusCode;
use serde_json::{json, Value};

async fn register(
    app: &TestApp,
    token: &str,
    buyer_id: &str,
    contractor_id: &str,
    reference: &str,
    framework: Option<&str>,
) -> (StatusCode, Value) {
    app.post(
        "/api/v1/contracts",
        token,
        json!({"reference": reference, "title": format!("Contract {reference}"),
            "buyer_id": buyer_id, "contractor_id": contractor_id,
            "starts_on": "2026-01-01", "ends_on": "2027-12-31", "framework_id": framework}),
    )
    .await
}

fn references(page: &Value) -> Vec<(String, Option<String>)> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["reference"].as_str().unwrap().to_string(),
                e["framework_reference"].as_str().map(String::from),
            )
        })
        .collect()
}

async fn call_offs_are_grouped_under_their_framework(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (gent_id, gent) = app.org("buyer", "Stad Gent").await;
    let (brugge_id, brugge) = app.org("buyer", "Stad Brugge").await;
    let (c1_id, c1) = app.org("contractor", "Laptops NV").await;
    let (c2_id, _c2) = app.org("contractor", "Screens BV").await;

    let fw = app
        .contract(
            &gent_id,
            &gent,
            &c1_id,
            "FW-ICT",
            "2026-01-01",
            "2029-12-31",
        )
        .await;
    let (s, one) = register(&app, &gent, &gent_id, &c1_id, "CO-1", Some(&fw)).await;
    assert_eq!(s, StatusCode::CREATED, "{one}");
    assert_eq!(one["framework_id"], fw.as_str());
    let (s, two) = register(&app, &gent, &gent_id, &c2_id, "CO-2", Some(&fw)).await;
    assert_eq!(s, StatusCode::CREATED, "{two}");
    let (s, alone) = register(&app, &gent, &gent_id, &c1_id, "SOLO", None).await;
    assert_eq!(s, StatusCode::CREATED, "{alone}");

    // Not a framework: a call-off (one level only), another buyer's contract, an unknown id.
    let brugge_k = app
        .contract(
            &brugge_id,
            &brugge,
            &c1_id,
            "B-1",
            "2026-01-01",
            "2026-12-31",
        )
        .await;
    for (framework, why) in [
        (id(&one), "a call-off"),
        (brugge_k.clone(), "another buyer's"),
        (
            "01a24599-0000-7000-8000-000000000000".to_string(),
            "unknown",
        ),
    ] {
        let (s, p) = register(&app, &gent, &gent_id, &c1_id, "BAD", Some(&framework)).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{why}: {p}");
        assert_eq!(p["errors"][0]["field"], "framework_id", "{why}");
    }

    // The portfolio: every contract with its framework; filtered, the framework and its
    // call-offs only.
    let (s, all) = app.get("/api/v1/due-diligence?sort=reference", &gent).await;
    assert_eq!(s, StatusCode::OK, "{all}");
    let fw_ref = Some("FW-ICT".to_string());
    assert_eq!(
        references(&all),
        vec![
            ("CO-1".to_string(), fw_ref.clone()),
            ("CO-2".to_string(), fw_ref.clone()),
            ("FW-ICT".to_string(), None),
            ("SOLO".to_string(), None),
        ]
    );
    let (s, grouped) = app
        .get(
            &format!("/api/v1/due-diligence?sort=reference&framework={fw}"),
            &gent,
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        references(&grouped),
        vec![
            ("CO-1".to_string(), fw_ref.clone()),
            ("CO-2".to_string(), fw_ref.clone()),
            ("FW-ICT".to_string(), None),
        ]
    );
    assert_eq!(grouped["items"][0]["framework_id"], fw.as_str());
    let (s, listed) = app
        .get(&format!("/api/v1/contracts?framework={fw}"), &gent)
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(listed["items"].as_array().unwrap().len(), 2);

    // Another buyer's filter on this framework finds nothing of it.
    let (s, none) = app
        .get(&format!("/api/v1/due-diligence?framework={fw}"), &brugge)
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(none["items"], json!([]));
    // The contractor of a call-off sees its own call-off under the framework's reference.
    let (_, mine) = app.get("/api/v1/due-diligence?sort=reference", &c1).await;
    assert_eq!(
        references(&mine),
        vec![
            ("B-1".to_string(), None),
            ("CO-1".to_string(), fw_ref.clone()),
            ("FW-ICT".to_string(), None),
            ("SOLO".to_string(), None),
        ]
    );
    let (s, p) = app.get("/api/v1/due-diligence?framework=nope", &gent).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{p}");
    assert_eq!(p["errors"][0]["field"], "framework");

    // CSV: the framework's columns.
    let res = app
        .client
        .get(format!(
            "{}/api/v1/due-diligence?sort=reference&framework={fw}",
            app.base
        ))
        .bearer_auth(&gent)
        .header("Accept", "text/csv")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let text = res.text().await.unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let col = |name: &str| header.iter().position(|h| *h == name).unwrap();
    let first: Vec<&str> = lines.next().unwrap().split(',').collect();
    assert_eq!(first[col("reference")], "CO-1");
    assert_eq!(first[col("framework_id")], fw);
    assert_eq!(first[col("framework_reference")], "FW-ICT");

    // The portfolio page: the call-off names its framework, and the filter narrows to it.
    let (_, person) = app
        .person(&gent_id, "inkoop@gent.example.org", "Inkoper Gent")
        .await;
    let html = app.page("/contracts", Some(&person)).await.body;
    assert!(html.contains("FW-ICT</small>"), "{html}");
    assert!(html.contains(&format!("<option value=\"{fw}\"")));
    let html = app
        .page(&format!("/contracts?framework={fw}"), Some(&person))
        .await
        .body;
    assert!(html.contains("CO-2") && !html.contains("SOLO"));
}

on_both_backends!(call_offs_are_grouped_under_their_framework);
