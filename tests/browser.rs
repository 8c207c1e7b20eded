//! The web interface in a real browser: Debian's chromium, headless, through chromedriver,
//! with axe-core checking every page visited against WCAG 2.1 A and AA.

mod common;

use std::collections::BTreeMap;

use common::browser::Browser;
use common::smtp::{decode, SmtpServer};
use common::{Backend, TestApp};
use ketenzorg::notifications::mailer::MailConfig;
use ketenzorg::notifications::sender::Sender;
use serde_json::json;

on_both_backends!(a_person_signs_in_from_the_mail_and_uses_the_frame);

/// Sends the outbox to `smtp`, with links that point at the app under test.
async fn deliver(app: &TestApp, smtp: &SmtpServer) {
    let vars: BTreeMap<&str, String> = BTreeMap::from([
        ("KETENZORG_SMTP_URL", smtp.url()),
        ("KETENZORG_PUBLIC_URL", app.base.clone()),
    ]);
    let mut errors = Vec::new();
    let get = |k: &str| vars.get(k).cloned();
    let config = MailConfig::parse(&get, None, &mut errors);
    assert!(errors.is_empty(), "{errors:?}");
    Sender::new(app.db.clone(), config, app.clock.clone())
        .unwrap()
        .run_once()
        .await
        .unwrap();
}

/// The newest link to `path_part` in a mail to `to`.
fn link_in_mail(smtp: &SmtpServer, to: &str, path_part: &str) -> String {
    let mail = smtp
        .messages()
        .into_iter()
        .rev()
        .find(|m| m.to == vec![to.to_string()])
        .unwrap_or_else(|| panic!("no mail to {to}"));
    decode(&mail.data)
        .split_whitespace()
        .find(|w| w.contains(path_part) && w.starts_with("http"))
        .unwrap_or_else(|| panic!("no {path_part} link in the mail to {to}"))
        .trim_end_matches(['"', '>', '.'])
        .to_string()
}

/// Invites a person as the admin and signs them in through the browser, from the mail.
async fn sign_in(
    app: &TestApp,
    smtp: &SmtpServer,
    browser: &Browser,
    organization: &str,
    email: &str,
    name: &str,
) {
    let (status, user) = app
        .post(
            "/api/v1/users",
            &app.admin_token,
            json!({"email": email, "display_name": name, "organization_id": organization,
                "language": "en"}),
        )
        .await;
    assert_eq!(status, reqwest::StatusCode::CREATED, "{user}");
    deliver(app, smtp).await;
    let link = link_in_mail(smtp, email, "/auth/link?token=");
    // The link is written with the service's public address; the app under test has its own.
    let path = &link[link.find("/auth/link").expect("the link's path")..];
    browser.open(path).await;
    browser.assert_accessible("the link's page").await;
    browser.click("main form button[type=submit]").await;
}

async fn a_person_signs_in_from_the_mail_and_uses_the_frame(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let smtp = SmtpServer::start().await;
    let Some(browser) = Browser::start(&app.base).await else {
        return;
    };
    browser.open("/profile").await;
    // Signed out: the sign-in page, which comes back here afterwards.
    assert_eq!(browser.path().await, "/auth/sign-in?next=%2Fprofile");
    browser.assert_accessible("the sign-in page").await;
    // A bad address is shown by its field.
    // (one the browser lets through: a domain without a dot)
    browser.fill("#email", "an@localhost").await;
    browser
        .click("form[action='/auth/sign-in'] > div > button")
        .await;
    assert!(
        browser.exists("#email-problem").await,
        "{}",
        browser.html().await
    );
    browser
        .assert_accessible("the sign-in page with a problem")
        .await;
    let (org, _) = app.org("buyer", "Stad Gent").await;
    sign_in(
        &app,
        &smtp,
        &browser,
        &org,
        "an@gent.example.be",
        "An Peeters",
    )
    .await;
    assert_eq!(browser.path().await, "/contracts");
    browser.open("/profile").await;
    assert!(browser.text().await.contains("An Peeters"));
    browser.assert_accessible("the profile").await;
    // The language switch in the header changes the page.
    browser.click("button[name=language][value=fr]").await;
    assert_eq!(browser.path().await, "/profile");
    assert!(browser.text().await.contains("Votre profil"));
    browser.assert_accessible("the profile in French").await;
    browser.click("button[name=language][value=en]").await;
    browser.close().await;
}
