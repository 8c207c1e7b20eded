//! A finding filed before anyone disclosed its factory is routed when a disclosure makes it
//! reachable. The service, not the disclosing contractor, opens those cases (a contractor is
//! never named in a competitor's case), the contractor gets its "new case" mail, and the
//! monitor is told that its finding now reaches someone.

mod common;

use std::collections::BTreeMap;

use common::smtp::{decode, SmtpServer};
use common::{id, Backend, TestApp};
use ketenzorg::notifications::mailer::MailConfig;
use ketenzorg::notifications::sender::Sender;
use reqwest::StatusCode;
use serde_json::{json, Value};

async fn opened_event(app: &TestApp, case: &str) -> Value {
    let (s, events) = app
        .get(&format!("/api/v1/cases/{case}/events"), &app.admin_token)
        .await;
    assert_eq!(s, StatusCode::OK);
    events["items"][0].clone()
}

async fn a_disclosure_routes_a_finding_in_the_service_s_name(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let smtp = SmtpServer::start().await;
    let (buyer_id, buyer) = app.org("buyer", "Buyer").await;
    let (_, monitor) = app.org("monitor", "Monitor").await;
    let (a_id, a) = app.org("contractor", "Alpha NV").await;
    let (b_id, b) = app.org("contractor", "Beta BV").await;
    let factory = app.factory(&a, "Penang Cells").await;
    // Both contractors have a contracted product; B's battery is made at the factory but not
    // yet placed under its product, A has disclosed nothing yet.
    let ka = app
        .contract(&buyer_id, &buyer, &a_id, "KA", "2026-01-01", "2027-12-31")
        .await;
    let kb = app
        .contract(&buyer_id, &buyer, &b_id, "KB", "2026-01-01", "2027-12-31")
        .await;
    let pa = app.component(&a, "Laptop A", None).await;
    let pb = app.component(&b, "Laptop B", None).await;
    let battery = app.component(&b, "Battery B", None).await;
    app.item(&a, &ka, &pa).await;
    app.item(&b, &kb, &pb).await;
    app.source(&b, &battery, &factory, "2026-01-01", None).await;
    let finding = app
        .finding(&monitor, &factory, "critical", "2026-05-01")
        .await;
    assert_eq!(finding["routed"], false, "{finding}");
    let fid = id(&finding);

    // B places its battery under its laptop: the finding may now reach B.
    let (s, body) = app
        .patch(
            &format!("/api/v1/components/{battery}"),
            &b,
            json!({"parent_id": pb}),
        )
        .await;
    assert!(s.is_success(), "{body}");
    // A discloses its laptop at the factory: the finding reaches A (and B, if not yet).
    app.source(&a, &pa, &factory, "2026-01-01", None).await;
    let (_, f) = app.get(&format!("/api/v1/findings/{fid}"), &monitor).await;
    assert_eq!(f["routed"], true, "{f}");
    let cases = f["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 2, "{f}");
    for c in cases {
        let case = id(c);
        let opened = opened_event(&app, &case).await;
        assert_eq!(opened["kind"], "opened");
        assert_eq!(opened["payload"]["late_routing"], true);
        assert!(
            opened["actor_organization_id"].is_null(),
            "the service opens a late-routed case, never a contractor: {opened}"
        );
        // Neither contractor is named anywhere in the other's case.
        let other = if c["contractor_id"] == a_id.as_str() {
            &b_id
        } else {
            &a_id
        };
        let (_, history) = app
            .get(&format!("/api/v1/cases/{case}/events"), &app.admin_token)
            .await;
        assert!(!history.to_string().contains(other.as_str()), "{history}");
    }
    let a_case = cases
        .iter()
        .find(|c| c["contractor_id"] == a_id.as_str())
        .map(id)
        .unwrap();

    // A is told of its new case, and the monitor that its finding now reaches someone.
    let config = {
        let vars: BTreeMap<&str, String> = BTreeMap::from([
            ("KETENZORG_SMTP_URL", smtp.url()),
            ("KETENZORG_PUBLIC_URL", "https://k.example.org".to_string()),
        ]);
        let mut errors = Vec::new();
        let c = MailConfig::parse(&|k: &str| vars.get(k).cloned(), None, &mut errors);
        assert!(errors.is_empty(), "{errors:?}");
        c
    };
    Sender::new(app.db.clone(), config, app.clock.clone())
        .unwrap()
        .run_once()
        .await
        .unwrap();
    let messages = smtp.messages();
    let to_org = |org: &str| -> Vec<String> {
        messages
            .iter()
            .filter(|m| {
                m.to.iter()
                    .any(|t| t.contains(&format!("@{org}.example.org")))
            })
            .map(|m| decode(&m.data))
            .collect()
    };
    // The harness gives each organization an address at <kind>.example.org.
    let contractor_mails = to_org("contractor");
    assert!(
        contractor_mails
            .iter()
            .any(|m| m.contains(&a_case[a_case.len() - 8..]) && m.contains("Acknowledge the case")),
        "A gets its new-case mail: {contractor_mails:?}"
    );
    let monitor_mails = to_org("monitor");
    assert_eq!(
        monitor_mails.len(),
        2,
        "one per case opened late: {monitor_mails:?}"
    );
    assert!(monitor_mails
        .iter()
        .all(|m| m.contains("Your finding now reaches a contractor")));
}

/// A bill-of-materials change routes as a disclosure does: a part already made at the factory,
/// moved under a contracted product with `PATCH`, brings the unrouted finding to the
/// contractor, in the service's name, with the same mails as a new sourcing link.
async fn moving_a_component_under_a_contracted_product_routes_findings(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (buyer_id, buyer) = app.org("buyer", "Buyer").await;
    let (monitor_id, monitor) = app.org("monitor", "Monitor").await;
    let (b_id, b) = app.org("contractor", "Beta BV").await;
    let factory = app.factory(&b, "Penang Cells").await;
    let kb = app
        .contract(&buyer_id, &buyer, &b_id, "KB", "2026-01-01", "2027-12-31")
        .await;
    let laptop = app.component(&b, "Laptop B", None).await;
    let module = app.component(&b, "Power module", None).await;
    let battery = app.component(&b, "Battery B", Some(&module)).await;
    app.item(&b, &kb, &laptop).await;
    app.source(&b, &battery, &factory, "2026-01-01", None).await;
    let finding = app
        .finding(&monitor, &factory, "critical", "2026-05-01")
        .await;
    assert_eq!(finding["routed"], false, "{finding}");
    let fid = id(&finding);

    // The module (and the battery below it) moves under the contracted laptop.
    let (s, body) = app
        .patch(
            &format!("/api/v1/components/{module}"),
            &b,
            json!({"parent_id": laptop}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{body}");

    let (_, f) = app.get(&format!("/api/v1/findings/{fid}"), &monitor).await;
    assert_eq!(f["routed"], true, "the move routes the finding: {f}");
    let cases = f["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 1, "{f}");
    assert_eq!(cases[0]["contractor_id"], b_id.as_str());
    let case = id(&cases[0]);
    let opened = opened_event(&app, &case).await;
    assert_eq!(opened["kind"], "opened");
    assert_eq!(opened["payload"]["late_routing"], true);
    assert_eq!(opened["payload"]["contract_ids"], json!([kb]));
    assert!(opened["actor_organization_id"].is_null(), "{opened}");
    let (s, seen) = app.get(&format!("/api/v1/cases/{case}"), &b).await;
    assert_eq!(
        s,
        StatusCode::OK,
        "the contractor reads its new case: {seen}"
    );

    // The mails of a late-routed case: the contractor, the buyer and the monitor.
    let (_, outbox) = app
        .get("/api/v1/notifications?limit=500", &app.admin_token)
        .await;
    let mut told: Vec<&str> = outbox["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["case_id"] == case.as_str() && n["kind"] == "opened")
        .map(|n| n["recipient_organization_id"].as_str().unwrap())
        .collect();
    told.sort();
    let mut want = vec![b_id.as_str(), buyer_id.as_str(), monitor_id.as_str()];
    want.sort();
    assert_eq!(told, want, "{outbox}");

    // Moving it again (under another part of the same product) opens nothing twice.
    let tray = app.component(&b, "Tray", Some(&laptop)).await;
    let (s, body) = app
        .patch(
            &format!("/api/v1/components/{module}"),
            &b,
            json!({"parent_id": tray}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let (_, f) = app.get(&format!("/api/v1/findings/{fid}"), &monitor).await;
    assert_eq!(f["cases"].as_array().unwrap().len(), 1, "{f}");
}

on_both_backends!(
    a_disclosure_routes_a_finding_in_the_service_s_name,
    moving_a_component_under_a_contracted_product_routes_findings,
);
