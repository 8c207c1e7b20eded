//! A case's history stays possible: concurrent changes of one case are checked on the state
//! read under the lock their change takes (no `acknowledged {"from": "open"}` twice, no close
//! silently undone, no extension after a close), and `verify-audit` replays every history
//! through the state machine, so a well-chained but impossible history is reported.

mod common;

use common::{id, Backend, Chain, TestApp};
use diesel::prelude::*;
use ketenzorg::cases::events::{self, Actor};
use ketenzorg::cases::CaseRow;
use ketenzorg::schema::{case_events, cases};
use reqwest::StatusCode;
use serde_json::{json, Value};

/// Opens `n` cases of the chain's first contractor, one finding each.
async fn open_cases(app: &TestApp, chain: &Chain, n: usize) -> Vec<String> {
    let mut out = Vec::new();
    for _ in 0..n {
        let f = app
            .finding(&chain.monitor, &chain.factory, "major", "2026-05-01")
            .await;
        out.push(id(&f["cases"][0]));
    }
    out
}

/// Sends both requests at the same moment; returns their statuses in order.
async fn race(
    app: &TestApp,
    a: (String, String, Value),
    b: (String, String, Value),
) -> (StatusCode, StatusCode) {
    let send = |(path, token, body): (String, String, Value)| {
        let req = app
            .client
            .post(format!("{}{path}", app.base))
            .bearer_auth(token)
            .json(&body);
        async move { req.send().await.unwrap().status() }
    };
    tokio::join!(send(a), send(b))
}

async fn concurrent_changes_are_checked_on_fresh_state(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let chain = app.chain(1).await;
    let contractor = chain.contractors[0].1.clone();
    let rounds = 12;
    let all = open_cases(&app, &chain, 3 * rounds).await;
    let ack = json!({"action": "acknowledge"});
    let close = json!({"action": "close", "reason": "resolved elsewhere"});
    let extend = json!({"deadline": "remediation", "until": "2027-06-01T00:00:00Z", "reason": "audit planned"});
    for round in all.chunks(3) {
        let [twice, undo, late] = round else {
            unreachable!()
        };
        let t = |c: &str| format!("/api/v1/cases/{c}/transitions");
        // Two acknowledgements at once: one wins, the other finds the case acknowledged.
        let (a, b) = race(
            &app,
            (t(twice), contractor.clone(), ack.clone()),
            (t(twice), contractor.clone(), ack.clone()),
        )
        .await;
        let mut got = [a, b];
        got.sort();
        assert_eq!(got, [StatusCode::OK, StatusCode::CONFLICT], "{twice}");
        // A close and an acknowledgement at once: never an acknowledgement after the close.
        let (c, a) = race(
            &app,
            (t(undo), chain.monitor.clone(), close.clone()),
            (t(undo), contractor.clone(), ack.clone()),
        )
        .await;
        assert_eq!(c, StatusCode::OK);
        assert!(matches!(a, StatusCode::OK | StatusCode::CONFLICT), "{a}");
        assert_eq!(app.case(undo).await["state"], "closed", "{undo}");
        // A close and an extension at once: no extension of a closed case.
        let (c, e) = race(
            &app,
            (t(late), chain.monitor.clone(), close.clone()),
            (
                format!("/api/v1/cases/{late}/extensions"),
                chain.buyer.clone(),
                extend.clone(),
            ),
        )
        .await;
        assert_eq!(c, StatusCode::OK);
        assert!(matches!(e, StatusCode::OK | StatusCode::CONFLICT), "{e}");
        let kinds = app.event_kinds(late).await;
        if let Some(closed) = kinds.iter().position(|k| k == "closed") {
            assert!(
                !kinds[closed..].contains(&"extension_granted".to_string()),
                "an extension after the close: {kinds:?}"
            );
        }
    }
    for c in &all[..] {
        let kinds = app.event_kinds(c).await;
        let acks = kinds.iter().filter(|k| *k == "acknowledged").count();
        assert!(acks <= 1, "{c}: {kinds:?}");
    }
    // Exactly one mail per acknowledgement that happened (to the monitor and the buyer).
    let acks = app
        .count("SELECT COUNT(*) AS n FROM case_events WHERE kind = 'acknowledged'")
        .await;
    let mails = app
        .count("SELECT COUNT(*) AS n FROM notifications WHERE kind = 'acknowledged'")
        .await;
    assert_eq!(mails, 2 * acks);
    let (ok, out) = app.verify_audit().await;
    assert!(ok, "{out}");
}

/// Appends an event with a valid chain link but an impossible step, as a stale writer did.
fn forge(app: &TestApp, case: &str, kind: &str, payload: Value) -> String {
    let mut conn = app.db.get().unwrap();
    let mut row: CaseRow = cases::table
        .filter(cases::id.eq(case))
        .select(CaseRow::as_select())
        .first(&mut *conn)
        .unwrap();
    let now = app.clock.now_naive();
    let kind = kind.parse().unwrap();
    let event = events::next(&mut row, kind, &Actor::default(), payload, now, None).unwrap();
    diesel::insert_into(case_events::table)
        .values(&event)
        .execute(&mut *conn)
        .unwrap();
    ketenzorg::cases::store::save(&mut conn, &row).unwrap();
    event.id.to_string()
}

async fn verify_audit_replays_each_history_through_the_state_machine(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let chain = app.chain(1).await;
    let contractor = chain.contractors[0].1.clone();
    let all = open_cases(&app, &chain, 3).await;
    for c in &all {
        let (s, body) = app
            .post(
                &format!("/api/v1/cases/{c}/transitions"),
                &contractor,
                json!({"action": "acknowledge"}),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{body}");
    }
    let (ok, out) = app.verify_audit().await;
    assert!(ok && out.contains("ok: 3 cases"), "{out}");

    // A second acknowledgement from a state the case had left: chained, and impossible.
    let forged = forge(
        &app,
        &all[0],
        "acknowledged",
        json!({"action": "acknowledge", "from": "open", "to": "acknowledged"}),
    );
    let (ok, out) = app.verify_audit().await;
    assert!(!ok, "{out}");
    assert!(
        out.contains("BROKEN") && out.contains(&forged) && out.contains("not a legal step"),
        "names the impossible event: {out}"
    );
}

async fn verify_audit_reports_a_case_row_that_its_history_does_not_explain(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let chain = app.chain(1).await;
    let case = open_cases(&app, &chain, 1).await.remove(0);
    // A close recorded in the history and then silently undone in the row.
    let (s, _) = app
        .post(
            &format!("/api/v1/cases/{case}/transitions"),
            &chain.monitor,
            json!({"action": "close", "reason": "duplicate"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    app.execute(&format!(
        "UPDATE cases SET state = 'acknowledged', resume_state = NULL WHERE id = '{case}'"
    ))
    .await;
    let (ok, out) = app.verify_audit().await;
    assert!(!ok, "{out}");
    assert!(
        out.contains(&case) && out.contains("replays to"),
        "names the case and both states: {out}"
    );
    // An extension forged after the close is an impossible step too.
    app.execute(&format!(
        "UPDATE cases SET state = 'closed', resume_state = 'open' WHERE id = '{case}'"
    ))
    .await;
    let (ok, out) = app.verify_audit().await;
    assert!(ok, "{out}");
    forge(
        &app,
        &case,
        "extension_granted",
        json!({"deadline": "plan"}),
    );
    let (ok, out) = app.verify_audit().await;
    assert!(!ok && out.contains("on a closed case"), "{out}");
}

on_both_backends!(
    concurrent_changes_are_checked_on_fresh_state,
    verify_audit_replays_each_history_through_the_state_machine,
    verify_audit_reports_a_case_row_that_its_history_does_not_explain,
);
