//! What mails say: an escalation names the deadline that was missed and gives the next one
//! still ahead (as the case's `next_due_at` does), a revised plan's mail says it is a revision
//! and carries the plan, and a failed delivery is logged at `warn` with the server's reason.

mod common;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, OnceLock};

use common::smtp::{decode, SmtpServer};
use common::{at, id, Backend, TestApp};
use ketenzorg::notifications::mailer::MailConfig;
use ketenzorg::notifications::sender::Sender;
use reqwest::StatusCode;
use serde_json::json;

fn sender(app: &TestApp, smtp: &SmtpServer) -> Sender {
    let vars: BTreeMap<&str, String> = BTreeMap::from([
        ("KETENZORG_SMTP_URL", smtp.url()),
        ("KETENZORG_PUBLIC_URL", "https://k.example.org".to_string()),
        ("KETENZORG_MAIL_BACKOFF", "1s".to_string()),
    ]);
    let mut errors = Vec::new();
    let config = MailConfig::parse(&|k: &str| vars.get(k).cloned(), None, &mut errors);
    assert!(errors.is_empty(), "{errors:?}");
    Sender::new(app.db.clone(), config, app.clock.clone()).unwrap()
}

async fn an_escalation_names_the_missed_deadline_and_the_next_one(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let smtp = SmtpServer::start().await;
    let chain = app.chain(1).await;
    // Opened 2026-06-01 09:00 UTC (11:00 in Brussels): major, so acknowledge by 06-08 and
    // plan by 06-15.
    let f = app
        .finding(&chain.monitor, &chain.factory, "major", "2026-05-01")
        .await;
    let case = id(&f["cases"][0]);
    sender(&app, &smtp).run_once().await.unwrap();
    let before = smtp.messages().len();
    let report = app.sweep_at(at("2026-06-09T09:00:00Z"), None).await;
    assert_eq!(report.escalations, 1, "{report:?}");
    let c = app.case(&case).await;
    assert_eq!(c["escalation_level"], 1);
    assert_eq!(
        c["next_due_at"], "2026-06-15T09:00:00Z",
        "the next deadline still ahead, not the missed one"
    );
    app.clock.set(at("2026-06-09T09:00:01Z"));
    sender(&app, &smtp).run_once().await.unwrap();
    let mails: Vec<String> = smtp.messages()[before..]
        .iter()
        .map(|m| decode(&m.data))
        .collect();
    assert!(!mails.is_empty());
    for m in &mails {
        assert!(
            m.contains("Missed deadline: acknowledgement, 2026-06-08 11:00 (Europe/Brussels)"),
            "{m}"
        );
        assert!(
            m.contains("Next deadline: 2026-06-15 11:00 (Europe/Brussels)"),
            "{m}"
        );
        assert!(
            m.contains("The acknowledgement deadline of 2026-06-08 11:00"),
            "{m}"
        );
    }
}

async fn a_revised_plan_is_mailed_as_a_revision_with_the_plan(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let smtp = SmtpServer::start().await;
    let chain = app.chain(1).await;
    let contractor = &chain.contractors[0].1;
    let f = app
        .finding(&chain.monitor, &chain.factory, "major", "2026-05-01")
        .await;
    let case = id(&f["cases"][0]);
    let t = format!("/api/v1/cases/{case}/transitions");
    let plan = |cause: &str, action: &str| {
        json!({"action": "submit_plan", "plan": {"root_cause": cause, "actions": [
            {"description": action, "kind": "corrective", "owner": "HR manager", "due_on": "2026-08-01"}]}})
    };
    for (token, body) in [
        (contractor, json!({"action": "acknowledge"})),
        (contractor, plan("Agency fees", "Repay the fees")),
        (
            &chain.monitor,
            json!({"action": "reject_plan", "reason": "no timeline for repayment"}),
        ),
        (
            contractor,
            plan(
                "Agency fees charged by two agencies",
                "Repay all fees by 1 August",
            ),
        ),
    ] {
        let (s, body) = app.post(&t, token, body).await;
        assert_eq!(s, StatusCode::OK, "{body}");
    }
    sender(&app, &smtp).run_once().await.unwrap();
    let to_monitor: Vec<String> = smtp
        .messages()
        .iter()
        .filter(|m| m.to.iter().any(|t| t.ends_with("@monitor.example.org")))
        .map(|m| decode(&m.data))
        .filter(|m| m.contains("Remediation plan submitted"))
        .collect();
    assert_eq!(to_monitor.len(), 2);
    let (first, revised): (Vec<&String>, Vec<&String>) = to_monitor
        .iter()
        .partition(|m| m.contains("Repay the fees"));
    assert_eq!((first.len(), revised.len()), (1, 1));
    assert!(!first[0].contains("revised remediation plan"));
    let revised = revised[0];
    for needle in [
        "The contractor submitted a revised remediation plan.",
        "Root cause: Agency fees charged by two agencies",
        "Repay all fees by 1 August (HR manager, 2026-08-01)",
    ] {
        assert!(revised.contains(needle), "{needle}: {revised}");
    }
}

/// Log lines of this test binary, captured at `warn` and above.
fn captured() -> Arc<Mutex<Vec<u8>>> {
    static LOG: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    LOG.get_or_init(|| {
        let buf = Arc::new(Mutex::new(Vec::new()));
        let sink = buf.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::WARN)
            .with_ansi(false)
            .with_writer(move || Writer(sink.clone()))
            .finish();
        tracing::subscriber::set_global_default(subscriber).unwrap();
        buf
    })
    .clone()
}

struct Writer(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Writer {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

async fn smtp_failures_are_logged_at_warn_with_the_reason(backend: Backend) {
    let log = captured();
    let app = TestApp::spawn(backend).await;
    let smtp = SmtpServer::start().await;
    let chain = app.chain(1).await;
    let contractor = &chain.contractors[0].0;
    let refused = format!("gone-{}@contractor.example.org", &contractor[..8]);
    let busy = format!("busy-{}@contractor.example.org", &contractor[..8]);
    app.patch(
        &format!("/api/v1/organizations/{contractor}"),
        &app.admin_token,
        json!({"notification_emails": [refused, busy]}),
    )
    .await;
    smtp.rules.lock().unwrap().reject.insert(refused.clone());
    smtp.rules.lock().unwrap().fail_once.insert(busy.clone());
    app.finding(&chain.monitor, &chain.factory, "minor", "2026-05-01")
        .await;
    let r = sender(&app, &smtp).run_once().await.unwrap();
    assert_eq!((r.failed, r.retried), (1, 1), "{r:?}");
    let text = String::from_utf8(log.lock().unwrap().clone()).unwrap();
    let line = |who: &str| {
        text.lines()
            .find(|l| l.contains(who))
            .unwrap_or_else(|| panic!("no log line for {who}: {text}"))
            .to_string()
    };
    let permanent = line(&refused);
    assert!(
        permanent.contains("WARN")
            && permanent.contains("550")
            && permanent.contains("No such user here"),
        "{permanent}"
    );
    let transient = line(&busy);
    assert!(
        transient.contains("WARN")
            && transient.contains("451")
            && transient.contains("Try again later")
            && transient.contains("will retry"),
        "{transient}"
    );
}

on_both_backends!(
    an_escalation_names_the_missed_deadline_and_the_next_one,
    a_revised_plan_is_mailed_as_a_revision_with_the_plan,
    smtp_failures_are_logged_at_warn_with_the_reason,
);
