//! The contractor may ask to move a deadline; the buyer or the monitor grants or refuses it.
//! A request is an event (mailed to the buyer and the monitor), at most one waits at a time,
//! a grant of that deadline answers it, a refusal is an event mailed to the contractor, and a
//! request lapses when its deadline is met.

mod common;

use common::{id, Backend, Chain, TestApp};
use reqwest::StatusCode;
use serde_json::{json, Value};

async fn new_case(app: &TestApp, chain: &Chain) -> String {
    let f = app
        .finding(&chain.monitor, &chain.factory, "major", "2026-05-01")
        .await;
    id(&f["cases"][0])
}

fn ask(deadline: &str, until: &str) -> Value {
    json!({"deadline": deadline, "until": until, "reason": "the factory audit is on 20 June"})
}

async fn mails(app: &TestApp, case: &str, kind: &str) -> Vec<String> {
    let (s, page) = app
        .get("/api/v1/notifications?limit=500", &app.admin_token)
        .await;
    assert_eq!(s, StatusCode::OK);
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["case_id"] == case && n["kind"] == kind)
        .map(|n| n["recipient_organization_id"].as_str().unwrap().to_string())
        .collect()
}

async fn a_contractor_asks_and_the_buyer_or_monitor_answers(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let chain = app.chain(1).await;
    let (contractor_id, contractor) = (&chain.contractors[0].0, &chain.contractors[0].1);
    let case = new_case(&app, &chain).await;
    let ext = format!("/api/v1/cases/{case}/extensions");
    let refusal = format!("{ext}/refusal");
    let before = app.case(&case).await;

    // Asked: 202, the request waits on the case, the deadline has not moved.
    let (s, c) = app
        .post(&ext, contractor, ask("acknowledge", "2026-06-30T00:00:00Z"))
        .await;
    assert_eq!(s, StatusCode::ACCEPTED, "{c}");
    assert_eq!(c["extension_request"]["deadline"], "acknowledge");
    assert_eq!(c["extension_request"]["until"], "2026-06-30T00:00:00Z");
    assert_eq!(c["deadlines"], before["deadlines"]);
    let mut told = mails(&app, &case, "extension_requested").await;
    told.sort();
    let mut expected = vec![chain.buyer_id.clone(), chain.monitor_id.clone()];
    expected.sort();
    assert_eq!(told, expected);
    // One at a time.
    let (s, body) = app
        .post(&ext, contractor, ask("plan", "2026-07-30T00:00:00Z"))
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{body}");

    // Refused by the buyer, with a reason: the request is gone, the contractor is told.
    let (s, body) = app
        .post(&refusal, contractor, json!({"reason": "no"}))
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{body}");
    let (s, c) = app
        .post(
            &refusal,
            &chain.buyer,
            json!({"reason": "the deadline is contractual"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{c}");
    assert!(c["extension_request"].is_null());
    assert_eq!(c["deadlines"], before["deadlines"]);
    let mut told = mails(&app, &case, "extension_refused").await;
    told.sort();
    let mut expected = vec![contractor_id.clone(), chain.monitor_id.clone()];
    expected.sort();
    assert_eq!(told, expected, "the contractor and the monitor");
    let (s, body) = app
        .post(&refusal, &chain.monitor, json!({"reason": "again"}))
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "nothing left to refuse: {body}");

    // Asked again and granted by the monitor: the grant answers the request.
    let (s, _) = app
        .post(&ext, contractor, ask("acknowledge", "2026-06-30T00:00:00Z"))
        .await;
    assert_eq!(s, StatusCode::ACCEPTED);
    let (s, c) = app
        .post(
            &ext,
            &chain.monitor,
            ask("acknowledge", "2026-06-20T00:00:00Z"),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{c}");
    assert!(c["extension_request"].is_null());
    assert_eq!(c["deadlines"]["acknowledge"], "2026-06-20T00:00:00Z");
    let (_, events) = app
        .get(&format!("/api/v1/cases/{case}/events"), contractor)
        .await;
    let items = events["items"].as_array().unwrap();
    let kinds: Vec<&str> = items.iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!(
        kinds,
        [
            "opened",
            "extension_requested",
            "extension_refused",
            "extension_requested",
            "extension_granted"
        ]
    );
    assert_eq!(items[2]["payload"]["request_id"], items[1]["id"]);
    assert_eq!(items[2]["payload"]["reason"], "the deadline is contractual");
    assert_eq!(items[4]["payload"]["request_id"], items[3]["id"]);

    // A request lapses when its deadline is met.
    let (s, _) = app
        .post(&ext, contractor, ask("plan", "2026-07-30T00:00:00Z"))
        .await;
    assert_eq!(s, StatusCode::ACCEPTED);
    let (s, c) = app
        .post(
            &format!("/api/v1/cases/{case}/transitions"),
            contractor,
            json!({"action": "acknowledge"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        c["extension_request"]["deadline"], "plan",
        "still pending: {c}"
    );
    let (s, c) = app
        .post(
            &format!("/api/v1/cases/{case}/transitions"),
            &chain.monitor,
            json!({"action": "close", "reason": "remediated elsewhere"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        c["extension_request"].is_null(),
        "lapsed with the close: {c}"
    );
    // A closed case takes no request, a met deadline neither; admins take no part.
    let (s, _) = app
        .post(&ext, contractor, ask("plan", "2026-08-30T00:00:00Z"))
        .await;
    assert_eq!(s, StatusCode::CONFLICT);
    let (s, _) = app
        .post(&ext, &app.admin_token, ask("plan", "2026-08-30T00:00:00Z"))
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
}

async fn a_request_for_a_met_deadline_or_an_earlier_instant_is_refused(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let chain = app.chain(1).await;
    let contractor = &chain.contractors[0].1;
    let case = new_case(&app, &chain).await;
    let ext = format!("/api/v1/cases/{case}/extensions");
    let (s, body) = app
        .post(&ext, contractor, ask("acknowledge", "2026-06-02T00:00:00Z"))
        .await;
    assert_eq!(
        s,
        StatusCode::UNPROCESSABLE_ENTITY,
        "earlier than the deadline: {body}"
    );
    assert!(body.to_string().contains("until"));
    app.post(
        &format!("/api/v1/cases/{case}/transitions"),
        contractor,
        json!({"action": "acknowledge"}),
    )
    .await;
    let (s, body) = app
        .post(&ext, contractor, ask("acknowledge", "2026-07-30T00:00:00Z"))
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{body}");
}

on_both_backends!(
    a_contractor_asks_and_the_buyer_or_monitor_answers,
    a_request_for_a_met_deadline_or_an_earlier_instant_is_refused,
);
