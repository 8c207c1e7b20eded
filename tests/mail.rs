//! Email over real SMTP: the outbox rows become mails with stable Message-IDs, threads, both
//! parts and the recipient's language; retries after the server was down, 550 and 451 sorted,
//! the suppression list, a sender killed before recording, two senders sharing the work, and
//! the daily digest.

mod common;

use std::collections::BTreeMap;

use chrono::TimeDelta;
use common::smtp::{decode, SmtpServer};
use common::{id, Backend, Chain, TestApp};
use ketenzorg::notifications::mailer::MailConfig;
use ketenzorg::notifications::sender::Sender;
use reqwest::StatusCode;
use serde_json::{json, Value};

fn mail_config(smtp: &SmtpServer) -> MailConfig {
    let vars: BTreeMap<&str, String> = BTreeMap::from([
        ("KETENZORG_SMTP_URL", smtp.url()),
        (
            "KETENZORG_MAIL_FROM",
            "ketenzorg <noreply@ketenzorg.example.org>".to_string(),
        ),
        (
            "KETENZORG_PUBLIC_URL",
            "https://ketenzorg.example.org".to_string(),
        ),
        ("KETENZORG_MAIL_BACKOFF", "1s".to_string()),
        ("KETENZORG_MAIL_BACKOFF_MAX", "4s".to_string()),
        ("KETENZORG_MAIL_LEASE", "2s".to_string()),
        ("KETENZORG_MAIL_MAX_ATTEMPTS", "5".to_string()),
    ]);
    let mut errors = Vec::new();
    let get = |k: &str| vars.get(k).cloned();
    let c = MailConfig::parse(&get, None, &mut errors);
    assert!(errors.is_empty(), "{errors:?}");
    c
}

fn sender(app: &TestApp, smtp: &SmtpServer) -> Sender {
    Sender::new(app.db.clone(), mail_config(smtp), app.clock.clone()).unwrap()
}

fn strings(lang: &str) -> toml::Table {
    let text = std::fs::read_to_string(format!(
        "{}/templates/email/strings.{lang}.toml",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    toml::from_str(&text).unwrap()
}

async fn outbox(app: &TestApp, query: &str) -> Vec<Value> {
    let (s, page) = app
        .get(
            &format!("/api/v1/notifications?limit=500&{query}"),
            &app.admin_token,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{page}");
    page["items"].as_array().unwrap().clone()
}

/// A chain whose contractor reads Dutch and whose buyer reads French.
async fn bilingual(app: &TestApp) -> Chain {
    let chain = app.chain(1).await;
    let (s, _) = app
        .patch(
            &format!("/api/v1/organizations/{}", chain.contractors[0].0),
            &app.admin_token,
            json!({"language": "nl", "timezone": "Europe/Brussels"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    app.patch(
        &format!("/api/v1/organizations/{}", chain.buyer_id),
        &app.admin_token,
        json!({"language": "fr"}),
    )
    .await;
    chain
}

async fn mails_go_out_over_smtp_in_the_recipients_language(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let smtp = SmtpServer::start().await;
    let chain = bilingual(&app).await;
    let finding = app
        .finding(&chain.monitor, &chain.factory, "critical", "2026-05-01")
        .await;
    let case = finding["cases"][0]["id"].as_str().unwrap().to_string();
    let report = sender(&app, &smtp).run_once().await.unwrap();
    assert_eq!(
        report.sent, 2,
        "contractor and buyer are told of the new case: {report:?}"
    );
    let rows = outbox(&app, "status=sent").await;
    assert_eq!(rows.len(), 2);
    let messages = smtp.messages();
    assert_eq!(messages.len(), 2);
    for row in rows {
        let m = messages
            .iter()
            .find(|m| m.to == vec![row["recipient_email"].as_str().unwrap().to_string()])
            .unwrap();
        assert_eq!(
            m.header("Message-ID").unwrap(),
            format!("<{}@ketenzorg.example.org>", id(&row))
        );
        assert_eq!(
            m.header("In-Reply-To").unwrap(),
            format!("<case-{case}@ketenzorg.example.org>")
        );
        assert_eq!(
            m.header("References").unwrap(),
            format!("<case-{case}@ketenzorg.example.org>")
        );
        assert!(m
            .header("From")
            .unwrap()
            .contains("noreply@ketenzorg.example.org"));
        assert!(m
            .header("Content-Type")
            .unwrap()
            .starts_with("multipart/alternative"));
        assert!(
            m.data.contains("Content-Type: text/plain")
                && m.data.contains("Content-Type: text/html")
        );
        let subject = m.header("Subject").unwrap();
        assert!(
            subject.contains(&case[case.len() - 8..]) || subject.starts_with("=?utf-8?"),
            "the case reference: {subject}"
        );
        let lang = row["language"].as_str().unwrap();
        let s = strings(lang);
        let decoded = decode(&m.data);
        for key in ["next_label", "link_label", "deadline_label"] {
            assert!(
                decoded.contains(s[key].as_str().unwrap()),
                "{lang} mail lacks its {key}: {decoded}"
            );
        }
        assert!(decoded.contains(&format!(
            "https://ketenzorg.example.org/cases/{case}"
        )));
        assert!(
            decoded.contains("(Europe/Brussels)"),
            "the deadline in the recipient's zone"
        );
        assert!(!decoded.contains("W-17"), "no confidential notes in mails");
    }
    let langs: Vec<String> = outbox(&app, "")
        .await
        .iter()
        .map(|r| r["language"].as_str().unwrap().to_string())
        .collect();
    assert!(langs.contains(&"nl".to_string()) && langs.contains(&"fr".to_string()));
}

async fn a_server_that_is_down_then_up_gets_every_mail_once(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let smtp = SmtpServer::reserve(); // nothing listens yet: connection refused
    let chain = app.chain(2).await;
    app.finding(&chain.monitor, &chain.factory, "major", "2026-05-01")
        .await;
    let s = sender(&app, &smtp);
    let r = s.run_once().await.unwrap();
    // Two cases (one per contractor), each told to its contractor and the buyer.
    assert_eq!((r.sent, r.retried), (0, 4), "{r:?}");
    for _ in 0..2 {
        app.clock.advance(TimeDelta::seconds(10));
        let r = s.run_once().await.unwrap();
        assert_eq!((r.sent, r.retried), (0, 4), "still down: {r:?}");
    }
    smtp.listen().await;
    app.clock.advance(TimeDelta::seconds(10));
    let r = s.run_once().await.unwrap();
    assert_eq!(r.sent, 4, "recovered without restart: {r:?}");
    let ids: std::collections::BTreeSet<String> = smtp
        .messages()
        .iter()
        .map(|m| m.header("Message-ID").unwrap())
        .collect();
    assert_eq!((smtp.messages().len(), ids.len()), (4, 4));
    let rows = outbox(&app, "status=sent").await;
    assert!(rows.iter().all(|r| r["attempts"] == 4));
    app.clock.advance(TimeDelta::seconds(60));
    assert_eq!(s.run_once().await.unwrap().sent, 0, "nothing twice");
}

async fn a_550_fails_one_row_and_a_451_is_retried(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let smtp = SmtpServer::start().await;
    let chain = app.chain(1).await;
    let emails: Vec<String> = (0..10)
        .map(|i| format!("person{i}@contractor.example.org"))
        .collect();
    app.patch(
        &format!("/api/v1/organizations/{}", chain.contractors[0].0),
        &app.admin_token,
        json!({"notification_emails": emails}),
    )
    .await;
    smtp.rules
        .lock()
        .unwrap()
        .reject
        .insert("person3@contractor.example.org".into());
    smtp.rules
        .lock()
        .unwrap()
        .fail_once
        .insert("person7@contractor.example.org".into());
    let finding = app
        .finding(&chain.monitor, &chain.factory, "minor", "2026-05-01")
        .await;
    let case = finding["cases"][0]["id"].as_str().unwrap().to_string();
    let s = sender(&app, &smtp);
    let r = s.run_once().await.unwrap();
    assert_eq!(
        (r.sent, r.failed, r.retried),
        (9, 1, 1),
        "nine of eleven (ten + buyer) at once: {r:?}"
    );
    app.clock.advance(TimeDelta::seconds(10));
    let r = s.run_once().await.unwrap();
    assert_eq!(r.sent, 1, "the 451 arrives on retry");
    let delivered: std::collections::BTreeSet<String> =
        smtp.messages().iter().flat_map(|m| m.to.clone()).collect();
    assert_eq!(delivered.len(), 10);
    assert!(!delivered.contains("person3@contractor.example.org"));
    let failed = outbox(&app, "status=failed").await;
    assert_eq!(failed.len(), 1);
    assert_eq!(
        failed[0]["recipient_email"],
        "person3@contractor.example.org"
    );
    assert!(failed[0]["last_error"].as_str().unwrap().contains("550"));
    let (_, list) = app.get("/api/v1/suppressions", &app.admin_token).await;
    assert_eq!(list["items"][0]["email"], "person3@contractor.example.org");

    // Later mails respect the suppression list until an admin clears it.
    app.post(
        &format!("/api/v1/cases/{case}/comments"),
        &chain.buyer,
        json!({"text": "Please answer."}),
    )
    .await;
    let r = s.run_once().await.unwrap();
    assert_eq!((r.sent, r.suppressed), (10, 1), "{r:?}");
    let (st, _) = app
        .delete(
            "/api/v1/suppressions/person3@contractor.example.org",
            &app.admin_token,
        )
        .await;
    assert_eq!(st, StatusCode::NO_CONTENT);
    smtp.rules.lock().unwrap().reject.clear();
    let (st, requeued) = app
        .post(
            &format!("/api/v1/notifications/{}/requeue", id(&failed[0])),
            &app.admin_token,
            json!({}),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{requeued}");
    assert_eq!(requeued["status"], "pending");
    let (st, _) = app
        .post(
            &format!("/api/v1/notifications/{}/requeue", id(&failed[0])),
            &app.admin_token,
            json!({}),
        )
        .await;
    assert_eq!(st, StatusCode::CONFLICT, "pending already");
    assert_eq!(s.run_once().await.unwrap().sent, 1);
    let (st, _) = app.get("/api/v1/notifications", &chain.buyer).await;
    assert_eq!(st, StatusCode::FORBIDDEN, "the outbox is the admin's");
}

async fn a_sender_killed_before_recording_resends_with_the_same_message_id(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let smtp = SmtpServer::start().await;
    let chain = app.chain(1).await;
    app.finding(&chain.monitor, &chain.factory, "major", "2026-05-01")
        .await;
    let s = sender(&app, &smtp);
    // Claim and send, then "die" before recording.
    let jobs = s.claim(10).await.unwrap();
    assert_eq!(jobs.len(), 2);
    for job in &jobs {
        assert_eq!(
            s.send(job).await.unwrap(),
            ketenzorg::notifications::sender::Outcome::Sent
        );
    }
    drop(jobs);
    // While the lease holds, nobody sends it again.
    assert_eq!(s.run_once().await.unwrap().sent, 0);
    // When it expires, another sender (a restart) sends it again with the same Message-ID.
    app.clock.advance(TimeDelta::seconds(5));
    let other = sender(&app, &smtp);
    assert_eq!(other.run_once().await.unwrap().sent, 2);
    let mut per_id: BTreeMap<String, usize> = BTreeMap::new();
    for m in smtp.messages() {
        *per_id.entry(m.header("Message-ID").unwrap()).or_default() += 1;
    }
    assert_eq!(per_id.len(), 2);
    assert!(
        per_id.values().all(|n| *n == 2),
        "at least once, detectably: {per_id:?}"
    );
    assert_eq!(outbox(&app, "status=sent").await.len(), 2);
}

async fn two_senders_send_each_mail_once(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let smtp = SmtpServer::start().await;
    let chain = app.chain(2).await;
    app.bulk_findings(&chain.monitor, &chain.factory, "major", 100)
        .await;
    let rows = app.count("SELECT COUNT(*) AS n FROM notifications").await;
    assert_eq!(rows, 400, "per case: the contractor and the buyer");
    let (a, b) = (sender(&app, &smtp), sender(&app, &smtp));
    let (ra, rb) = tokio::join!(a.run_once(), b.run_once());
    let (ra, rb) = (ra.unwrap(), rb.unwrap());
    assert_eq!(ra.sent + rb.sent, 400, "{ra:?} {rb:?}");
    let ids: std::collections::BTreeSet<String> = smtp
        .messages()
        .iter()
        .map(|m| m.header("Message-ID").unwrap())
        .collect();
    assert_eq!((smtp.messages().len(), ids.len()), (400, 400));
}

async fn a_daily_digest_is_one_mail_at_the_chosen_hour(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let smtp = SmtpServer::start().await;
    let chain = app.chain(1).await;
    // The buyer wants non-urgent mail once a day at 18:00 Brussels time (16:00 UTC in June).
    app.patch(
        &format!("/api/v1/organizations/{}", chain.buyer_id),
        &app.admin_token,
        json!({"digest_hour": 18, "timezone": "Europe/Brussels"}),
    )
    .await;
    let finding = app
        .finding(&chain.monitor, &chain.factory, "major", "2026-05-01")
        .await;
    let case = finding["cases"][0]["id"].as_str().unwrap().to_string();
    let s = sender(&app, &smtp);
    s.run_once().await.unwrap(); // the new-case mails are urgent: sent at once
    let before = smtp.messages().len();
    for (i, token) in [
        &chain.contractors[0].1,
        &chain.monitor,
        &chain.contractors[0].1,
    ]
    .iter()
    .enumerate()
    {
        app.clock.advance(TimeDelta::hours(1));
        app.post(
            &format!("/api/v1/cases/{case}/comments"),
            token,
            json!({"text": format!("Update number {i}")}),
        )
        .await;
    }
    let r = s.run_once().await.unwrap();
    let to_buyer = |msgs: &[common::smtp::Received]| {
        msgs.iter()
            .filter(|m| m.to.iter().any(|t| t.contains("@buyer.")))
            .count()
    };
    let buyer_before = to_buyer(&smtp.messages()[..before]);
    assert_eq!(
        to_buyer(&smtp.messages()),
        buyer_before,
        "no comment mail to the buyer before its digest: {r:?}"
    );
    app.clock.set(common::at("2026-06-01T15:59:59Z"));
    s.run_once().await.unwrap();
    assert_eq!(to_buyer(&smtp.messages()), buyer_before);
    app.clock.set(common::at("2026-06-01T16:00:00Z"));
    s.run_once().await.unwrap();
    let msgs = smtp.messages();
    assert_eq!(
        to_buyer(&msgs),
        buyer_before + 1,
        "one digest, not three mails"
    );
    let digest = msgs
        .iter()
        .rev()
        .find(|m| m.to.iter().any(|t| t.contains("@buyer.")))
        .unwrap();
    let text = decode(&digest.data);
    for i in 0..3 {
        assert!(text.contains(&format!("Update number {i}")), "{text}");
    }
    app.clock.advance(TimeDelta::days(1));
    s.run_once().await.unwrap();
    assert_eq!(to_buyer(&smtp.messages()), buyer_before + 1);
}

on_both_backends!(
    mails_go_out_over_smtp_in_the_recipients_language,
    a_server_that_is_down_then_up_gets_every_mail_once,
    a_550_fails_one_row_and_a_451_is_retried,
    a_sender_killed_before_recording_resends_with_the_same_message_id,
    two_senders_send_each_mail_once,
    a_daily_digest_is_one_mail_at_the_chosen_hour,
);
