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

on_both_backends!(
    a_person_signs_in_from_the_mail_and_uses_the_frame,
    the_whole_story_in_a_browser,
    the_other_pages_of_each_role_pass_axe,
);

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

/// Signs a person in again from the sign-in page: their address, the mail, the link.
async fn sign_in_again(app: &TestApp, smtp: &SmtpServer, browser: &Browser, email: &str) {
    browser.open("/auth/sign-in").await;
    browser.fill("#email", email).await;
    browser
        .click("form[action='/auth/sign-in'] > div > button")
        .await;
    assert!(browser.text().await.contains("Check your mail"));
    browser
        .assert_accessible("the page after asking for a link")
        .await;
    deliver(app, smtp).await;
    let link = link_in_mail(smtp, email, "/auth/link?token=");
    let path = &link[link.find("/auth/link").expect("the link's path")..];
    browser.open(path).await;
    browser.click("main form button[type=submit]").await;
}

async fn sign_out(browser: &Browser) {
    browser.click("form[action='/sign-out'] button").await;
    assert!(browser.path().await.starts_with("/auth/sign-in"));
}

/// Opens the form of `action` on a case page (each sits in a closed `<details>`).
async fn open_form(browser: &Browser, action: &str) {
    browser
        .toggle(&format!("details:has(#form-{action}) > summary"))
        .await;
}

async fn case_state(app: &TestApp, token: &str, case: &str) -> String {
    let (_, c) = app.get(&format!("/api/v1/cases/{case}"), token).await;
    c["state"].as_str().unwrap_or_default().to_string()
}

/// Submits a remediation plan of two actions from the case page.
async fn submit_plan(browser: &Browser, n: &str) {
    open_form(browser, "submit_plan").await;
    browser
        .fill(
            "#submit_plan-root_cause",
            &format!("Peak orders without hiring ({n})"),
        )
        .await;
    for (i, (what, kind)) in [
        ("Cap weekly hours at 60", "corrective"),
        ("Plan seasonal hiring", "preventive"),
    ]
    .iter()
    .enumerate()
    {
        browser
            .fill(&format!("#action-{i}-description"), what)
            .await;
        browser.select(&format!("#action-{i}-kind"), kind).await;
        browser
            .fill(&format!("#action-{i}-owner"), "HR manager")
            .await;
        browser
            .set(&format!("#action-{i}-due_on"), "2026-07-15")
            .await;
    }
    browser.click("#send-submit_plan").await;
}

/// The story, clicked through: a monitor files a finding, the contractor acknowledges
/// and plans, the monitor rejects then accepts, the buyer sees it; a competitor is refused the
/// case; a bad date is shown by its field; axe-core finds nothing on any page visited.
async fn the_whole_story_in_a_browser(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let smtp = SmtpServer::start().await;
    let Some(browser) = Browser::start(&app.base).await else {
        return;
    };
    let w = app.chain(2).await;
    let (contractor, contractor_token, contract, _, _) = w.contractors[0].clone();
    let (competitor, _, _, _, _) = w.contractors[1].clone();

    // The monitor files a finding about the shared factory.
    sign_in(
        &app,
        &smtp,
        &browser,
        &w.monitor_id,
        "sam@ew.example.org",
        "Sam Okafor",
    )
    .await;
    assert_eq!(browser.path().await, "/findings");
    browser.assert_accessible("the monitor's findings").await;
    browser.open("/findings/new").await;
    browser.assert_accessible("the filing page").await;
    browser.fill("#search-q", "Shared").await;
    browser.click("#form-factory-search button").await;
    assert!(browser.text().await.contains("Shared Factory"));
    browser
        .click(&format!("a[data-factory-id='{}']", w.factory))
        .await;
    browser.select("#category", "working_hours").await;
    browser.select("#severity", "major").await;
    browser
        .fill("#title", "Excessive overtime on the assembly line")
        .await;
    browser
        .fill(
            "#description",
            "Workers report 80-hour weeks in peak season.",
        )
        .await;
    browser
        .fill(
            "#confidential_notes",
            "Source: two workers, names withheld.",
        )
        .await;
    // A date after today is refused by its field, with the rest kept.
    browser.set("#observed_on", "2026-07-01").await;
    browser.click("#form-finding button[type=submit]").await;
    assert!(
        browser.exists("#observed_on-problem").await,
        "{}",
        browser.html().await
    );
    assert_eq!(
        browser
            .client
            .execute("return document.getElementById('title').value;", vec![])
            .await
            .unwrap(),
        json!("Excessive overtime on the assembly line")
    );
    browser
        .assert_accessible("the filing page with a problem")
        .await;
    browser.set("#observed_on", "2026-05-20").await;
    browser.click("#form-finding button[type=submit]").await;
    assert!(browser.path().await.starts_with("/findings/"));
    browser.assert_accessible("the finding").await;
    let finding = browser.path().await["/findings/".len()..].to_string();
    let (_, filed) = app
        .get(&format!("/api/v1/findings/{finding}"), &w.monitor)
        .await;
    let case = filed["cases"]
        .as_array()
        .and_then(|cases| {
            cases
                .iter()
                .find(|c| c["contractor_id"] == contractor.as_str())
        })
        .and_then(|c| c["id"].as_str())
        .unwrap_or_else(|| panic!("a case for the contractor: {filed}"))
        .to_string();
    sign_out(&browser).await;

    // The contractor finds it in the inbox, acknowledges and plans two actions.
    sign_in(
        &app,
        &smtp,
        &browser,
        &contractor,
        "jeroen@noord.example.be",
        "Jeroen Maes",
    )
    .await;
    assert_eq!(browser.path().await, "/cases");
    assert!(browser
        .text()
        .await
        .contains("Excessive overtime on the assembly line"));
    browser.assert_accessible("the contractor's inbox").await;
    browser.screenshot("contractor-inbox").await;
    browser.click(&format!("a[href='/cases/{case}']")).await;
    let page = browser.text().await;
    assert!(page.contains("Workers report 80-hour weeks"));
    assert!(!page.contains("names withheld"), "confidential notes shown");
    browser
        .assert_accessible("the contractor's case page")
        .await;
    open_form(&browser, "acknowledge").await;
    browser.click("#send-acknowledge").await;
    assert_eq!(
        case_state(&app, &contractor_token, &case).await,
        "acknowledged"
    );
    submit_plan(&browser, "first").await;
    assert_eq!(
        case_state(&app, &contractor_token, &case).await,
        "plan_submitted"
    );
    assert!(browser.text().await.contains("Cap weekly hours at 60"));
    browser.screenshot("case").await;
    // The language switch changes the page, and back.
    browser.click("button[name=language][value=de]").await;
    assert!(browser.path().await.starts_with(&format!("/cases/{case}")));
    assert!(
        browser.text().await.contains("Plan eingereicht"),
        "{}",
        browser.text().await
    );
    browser.assert_accessible("the case page in German").await;
    browser.click("button[name=language][value=en]").await;
    sign_out(&browser).await;

    // A competitor gets the case's address (it is in no mail of theirs): nothing there.
    sign_in(
        &app,
        &smtp,
        &browser,
        &competitor,
        "camille@eurodisplay.example.fr",
        "Camille Durand",
    )
    .await;
    browser.open(&format!("/cases/{case}")).await;
    assert!(browser.text().await.contains("Not found"));
    assert!(!browser.text().await.contains("Excessive overtime"));
    browser.assert_accessible("the not-found page").await;
    browser.click("main a[href='/home']").await;
    assert_eq!(browser.path().await, "/cases");
    sign_out(&browser).await;

    // The monitor rejects the plan, with a reason.
    sign_in_again(&app, &smtp, &browser, "sam@ew.example.org").await;
    browser.open(&format!("/cases/{case}")).await;
    assert!(browser.text().await.contains("names withheld"));
    browser.assert_accessible("the monitor's case page").await;
    open_form(&browser, "reject_plan").await;
    browser
        .fill(
            "#reject_plan-reason",
            "Hours must fall within the legal limit of 48 plus 12.",
        )
        .await;
    browser.click("#send-reject_plan").await;
    assert_eq!(case_state(&app, &w.monitor, &case).await, "acknowledged");
    sign_out(&browser).await;

    // The contractor submits again; the monitor accepts.
    sign_in_again(&app, &smtp, &browser, "jeroen@noord.example.be").await;
    browser.open(&format!("/cases/{case}")).await;
    assert!(browser.text().await.contains("legal limit of 48 plus 12"));
    submit_plan(&browser, "second").await;
    assert_eq!(
        case_state(&app, &contractor_token, &case).await,
        "plan_submitted"
    );
    sign_out(&browser).await;
    sign_in_again(&app, &smtp, &browser, "sam@ew.example.org").await;
    browser.open(&format!("/cases/{case}")).await;
    open_form(&browser, "accept_plan").await;
    browser.click("#send-accept_plan").await;
    assert_eq!(case_state(&app, &w.monitor, &case).await, "plan_accepted");
    browser.open(&format!("/cases/{case}/audit")).await;
    assert!(browser.text().await.contains("Verified"));
    browser.assert_accessible("the hash chain page").await;
    sign_out(&browser).await;

    // The buyer sees the contract's status and the case's state.
    sign_in(
        &app,
        &smtp,
        &browser,
        &w.buyer_id,
        "an@buyer.example.be",
        "An Peeters",
    )
    .await;
    assert_eq!(browser.path().await, "/contracts");
    assert!(browser.text().await.contains("K0"));
    browser.assert_accessible("the buyer's portfolio").await;
    browser.screenshot("buyer-portfolio").await;
    browser
        .click(&format!("a[href='/contracts/{contract}']"))
        .await;
    let page = browser.text().await;
    assert!(page.contains("Shared Factory"), "{page}");
    assert!(browser.exists("svg[role=img]").await);
    browser.assert_accessible("the contract page").await;
    browser.screenshot("contract").await;
    browser.open(&format!("/cases/{case}")).await;
    let page = browser.text().await;
    assert!(page.contains("Plan accepted"), "{page}");
    assert!(!page.contains("names withheld"));
    browser.assert_accessible("the buyer's case page").await;
    browser.close().await;
}

/// The pages the story does not visit, for the role each belongs to, each checked by axe-core:
/// the admin's, the contractor's disclosures (with a refused form), the case lists of buyer and
/// monitor.
async fn the_other_pages_of_each_role_pass_axe(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let smtp = SmtpServer::start().await;
    let Some(browser) = Browser::start(&app.base).await else {
        return;
    };
    let w = app.chain(1).await;
    let (contractor, _, _, _, _) = w.contractors[0].clone();
    app.finding(&w.monitor, &w.factory, "critical", "2026-05-01")
        .await;
    let (_, me) = app.get("/api/v1/me", &app.admin_token).await;
    let admin = me["organization"]["id"].as_str().unwrap().to_string();

    sign_in(
        &app,
        &smtp,
        &browser,
        &admin,
        "dana@operator.example.org",
        "Dana",
    )
    .await;
    assert_eq!(browser.path().await, "/admin/organizations");
    for page in [
        "/admin/organizations",
        "/admin/users",
        "/admin/tokens",
        "/admin/outbox",
        "/cases",
        "/findings",
    ] {
        browser.open(page).await;
        browser.assert_accessible(page).await;
    }
    browser.open("/admin/tokens").await;
    browser.select("#token-organization_id", &w.buyer_id).await;
    browser.fill("#token-label", "e-procurement link").await;
    browser.click("#form-token button[type=submit]").await;
    assert!(
        browser.exists("#new-token").await,
        "{}",
        browser.html().await
    );
    browser.assert_accessible("a new token, shown once").await;
    sign_out(&browser).await;

    sign_in(
        &app,
        &smtp,
        &browser,
        &contractor,
        "jeroen@noord.example.be",
        "Jeroen",
    )
    .await;
    browser
        .open(&format!("/organizations/{contractor}/scorecard"))
        .await;
    browser
        .assert_accessible("the contractor's scorecard")
        .await;
    browser.open("/disclosures").await;
    assert!(browser.text().await.contains("Shared Factory"));
    browser.assert_accessible("the disclosures").await;
    // A link that ends before it starts is refused by its field.
    let (_, _, _, _, part) = w.contractors[0].clone();
    browser.select("#link-component_id", &part).await;
    browser.select("#link-factory_id", &w.factory).await;
    browser.set("#link-valid_from", "2026-05-01").await;
    browser.set("#link-valid_to", "2026-04-01").await;
    browser.click("#form-link button[type=submit]").await;
    assert!(
        browser.exists("#link-valid_to-problem").await,
        "{}",
        browser.html().await
    );
    browser
        .assert_accessible("the disclosures with a refused link")
        .await;
    // The upload page: a list checked in the browser, its report, then applied.
    browser.open("/disclosures/import").await;
    browser.assert_accessible("the upload page").await;
    let list = tempfile::Builder::new()
        .suffix(".csv")
        .tempfile()
        .expect("a list file");
    std::fs::write(
        list.path(),
        "contract references,product model,component path,factory name,address,country,OS ID,tier,valid from,valid to\n\
         K0,Product 0,Part 0,Shared Factory,1 Industrial Road,CN,,2,2026-01-01,\n\
         K0,Product 0,Part 0,Second Plant,7 Harbour Road,VN,,2,2026-02-01,\n",
    )
    .expect("the list written");
    browser.attach("#file", list.path()).await;
    browser.click("#form-upload button[type=submit]").await;
    assert!(
        browser.exists("#report-rows").await,
        "{}",
        browser.html().await
    );
    browser.assert_accessible("the upload's report").await;
    browser.click("#form-apply button[type=submit]").await;
    assert!(browser.exists("#applied").await, "{}", browser.html().await);
    browser.assert_accessible("the applied upload").await;
    sign_out(&browser).await;

    for (org, email, start) in [
        (&w.buyer_id, "an@buyer.example.be", "/contracts"),
        (&w.monitor_id, "sam@ew.example.org", "/findings"),
    ] {
        sign_in(&app, &smtp, &browser, org, email, "Someone").await;
        assert_eq!(browser.path().await, start);
        browser.open("/cases").await;
        assert!(browser.text().await.contains("Excessive overtime"));
        browser.assert_accessible("a case list").await;
        if start == "/findings" {
            // The monitor's leverage ranking and the shared factory's exposure.
            browser.open("/leverage").await;
            assert!(browser.exists("table").await, "{}", browser.html().await);
            browser.assert_accessible("the leverage ranking").await;
            browser
                .open(&format!("/factories/{}/exposure", w.factory))
                .await;
            assert!(browser.exists("h1").await, "{}", browser.html().await);
            browser.assert_accessible("a factory's exposure").await;
        }
        sign_out(&browser).await;
    }
    browser.close().await;
}
