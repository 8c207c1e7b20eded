//! The operator's and managers' pages: organizations (list, create), users (invite,
//! deactivate, reactivate), API tokens (issue, shown once; revoke) and the outbox. Every
//! change made by form is checked through the API or the database; who may open each page is
//! the API's rule.

mod common;

use std::collections::BTreeMap;

use common::pages::Answer;
use common::smtp::SmtpServer;
use common::{id, Backend, Session, TestApp};
use ketenzorg::notifications::mailer::MailConfig;
use ketenzorg::notifications::sender::Sender;
use reqwest::StatusCode;
use serde_json::{json, Value};

on_both_backends!(
    the_admin_sees_organizations_and_creates_one_by_form,
    a_manager_invites_deactivates_and_reactivates_a_user,
    members_and_other_organizations_get_no_admin_pages,
    a_token_issued_by_form_is_shown_once_works_and_stops_when_revoked,
    the_outbox_lists_pending_sent_and_failed_mail_without_links,
);

/// A person of the operator (the admin organization), signed in.
async fn operator(app: &TestApp) -> Session {
    let (s, me) = app.get("/api/v1/me", &app.admin_token).await;
    assert_eq!(s, StatusCode::OK, "{me}");
    let admin_org = me["organization"]["id"].as_str().unwrap().to_string();
    app.person(&admin_org, "olga@operator.example.org", "Olga Operator")
        .await
        .1
}

/// A manager of `org`, invited by the admin, signed in.
async fn manager(app: &TestApp, org: &str, email: &str) -> (String, Session) {
    let (s, user) = app
        .post(
            "/api/v1/users",
            &app.admin_token,
            json!({"email": email, "display_name": "Mark Manager", "organization_id": org, "role": "manager"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{user}");
    let session = app
        .use_link(&app.link_token(email).await)
        .await
        .expect("the manager's link works");
    (id(&user), session)
}

fn at(body: &str, needle: &str) -> usize {
    body.find(needle)
        .unwrap_or_else(|| panic!("{needle:?} not on the page:\n{body}"))
}

fn problem_of<'a>(answer: &'a Answer, input: &str) -> &'a str {
    let body = &answer.body;
    let start = at(
        body,
        &format!("<p id=\"{input}-problem\" class=\"problem\">"),
    );
    let rest = &body[start..];
    assert!(body.contains(&format!("aria-describedby=\"{input}-problem")));
    &rest[..rest.find("</p>").unwrap()]
}

/// The `<tr>` of the row with this id attribute.
fn row<'a>(body: &'a str, row_id: &str) -> &'a str {
    let start = at(body, &format!("<tr id=\"{row_id}\""));
    let rest = &body[start..];
    &rest[..rest.find("</tr>").unwrap()]
}

async fn the_admin_sees_organizations_and_creates_one_by_form(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let olga = operator(&app).await;
    app.org("buyer", "Ministry of Digital Affairs").await;
    app.org("contractor", "Acme Laptops").await;

    let page = app.page("/admin/organizations", Some(&olga)).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    for text in [
        "Ministry of Digital Affairs",
        "Acme Laptops",
        "Operator",
        "Buyer",
        "Contractor",
    ] {
        at(&page.body, text);
    }
    let buyers = app
        .page("/admin/organizations?kind=buyer", Some(&olga))
        .await;
    assert!(buyers.body.contains("Ministry of Digital Affairs"));
    assert!(!buyers.body.contains("Acme Laptops"));

    let done = app
        .submit(
            "/admin/organizations",
            &olga,
            &[
                ("name", "Fair Chains NGO"),
                ("kind", "monitor"),
                ("country", "nl"),
                (
                    "notification_emails",
                    "cases@fairchains.example.org\nlead@fairchains.example.org",
                ),
                ("escalation_emails", ""),
                ("language", "nl"),
                ("timezone", "Europe/Amsterdam"),
            ],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    let (_, list) = app
        .get("/api/v1/organizations?kind=monitor", &app.admin_token)
        .await;
    let org = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["name"] == "Fair Chains NGO")
        .unwrap_or_else(|| panic!("not created: {list}"))
        .clone();
    assert_eq!(org["country"], "NL");
    assert_eq!(org["language"], "nl");
    assert_eq!(org["timezone"], "Europe/Amsterdam");
    assert_eq!(
        org["notification_emails"],
        json!([
            "cases@fairchains.example.org",
            "lead@fairchains.example.org"
        ])
    );
    let back = app
        .page(done.location.as_deref().unwrap(), Some(&olga))
        .await;
    assert!(back
        .body
        .contains("The organization Fair Chains NGO was created."));

    // Bad input: a country that does not exist, and an address that is none.
    let bad = app
        .submit(
            "/admin/organizations",
            &olga,
            &[
                ("name", "Broken Org"),
                ("kind", "buyer"),
                ("country", "QQ"),
                ("notification_emails", "cases@broken.example.org"),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.body);
    problem_of(&bad, "org-country");
    assert!(bad.body.contains("value=\"Broken Org\""));
    let bad = app
        .submit(
            "/admin/organizations",
            &olga,
            &[
                ("name", "Broken Org"),
                ("kind", "buyer"),
                ("country", "BE"),
                ("notification_emails", "not-an-address"),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.body);
    problem_of(&bad, "org-notification_emails");
    assert!(bad.body.contains(">not-an-address</textarea>"));
    let (_, all) = app
        .get("/api/v1/organizations?limit=500", &app.admin_token)
        .await;
    assert!(!all["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|o| o["name"] == "Broken Org"));

    // Without the CSRF token nothing is created.
    let forged = app
        .submit_raw(
            "/admin/organizations",
            &olga,
            "name=Forged&kind=buyer&country=BE&notification_emails=a%40b.example.org".into(),
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
}

async fn a_manager_invites_deactivates_and_reactivates_a_user(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (org, _) = app.org("contractor", "Acme Laptops").await;
    let (other_org, _) = app.org("contractor", "Rival Devices").await;
    app.person(&other_org, "ruth@rival.example.org", "Ruth Rival")
        .await;
    let (_, mark) = manager(&app, &org, "mark@acme.example.org").await;

    let page = app.page("/admin/users", Some(&mark)).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("mark@acme.example.org"));
    assert!(!page.body.contains("ruth@rival.example.org"));
    // Asking for another organization's users shows none of them.
    let other = app
        .page(
            &format!("/admin/users?organization_id={other_org}"),
            Some(&mark),
        )
        .await;
    assert!(!other.body.contains("ruth@rival.example.org"));

    let done = app
        .submit(
            "/admin/users",
            &mark,
            &[
                ("email", "nina@acme.example.org"),
                ("display_name", "Nina New"),
                ("language", "fr"),
                ("role", "member"),
            ],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    // The sign-in mail waits in the outbox.
    let mails = app
        .count(
            "SELECT COUNT(*) AS n FROM notifications WHERE recipient_email = 'nina@acme.example.org' AND kind = 'sign_in'",
        )
        .await;
    assert_eq!(mails, 1);
    let (_, users) = app
        .get(
            &format!("/api/v1/users?organization_id={org}"),
            &app.admin_token,
        )
        .await;
    let nina = users["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["email"] == "nina@acme.example.org")
        .unwrap_or_else(|| panic!("not invited: {users}"))
        .clone();
    assert_eq!(nina["language"], "fr");
    assert_eq!(nina["role"], "member");
    assert_eq!(nina["organization_id"], org.as_str());
    let nina_id = id(&nina);
    let page = app
        .page(done.location.as_deref().unwrap(), Some(&mark))
        .await;
    assert!(page.body.contains("The invitation was sent."));
    assert!(row(&page.body, &format!("user-{nina_id}")).contains("Nina New"));
    assert!(row(&page.body, &format!("user-{nina_id}")).contains("Active"));

    // The invitation works; Nina's session opens pages.
    let nina = app
        .use_link(&app.link_token("nina@acme.example.org").await)
        .await
        .expect("the invitation works");
    assert_eq!(
        app.page("/profile", Some(&nina)).await.status,
        StatusCode::OK
    );

    // A bad address comes back by its field, the name kept; the same address again is a
    // conflict.
    let bad = app
        .submit(
            "/admin/users",
            &mark,
            &[("email", "nina-at-acme"), ("display_name", "Nina Two")],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.body);
    problem_of(&bad, "invite-email");
    assert!(bad.body.contains("value=\"Nina Two\""));
    let twice = app
        .submit(
            "/admin/users",
            &mark,
            &[
                ("email", "nina@acme.example.org"),
                ("display_name", "Nina Again"),
            ],
        )
        .await;
    assert_eq!(
        twice.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        twice.body
    );
    assert!(twice.body.contains("already a user"));

    // Deactivated: the API says so, and Nina's session is over at once.
    let off = app
        .submit(
            &format!("/admin/users/{nina_id}/active"),
            &mark,
            &[("active", "false")],
        )
        .await;
    assert_eq!(off.status, StatusCode::SEE_OTHER, "{}", off.body);
    let (_, user) = app
        .get(&format!("/api/v1/users/{nina_id}"), &app.admin_token)
        .await;
    assert_eq!(user["active"], false);
    let gone = app.page("/profile", Some(&nina)).await;
    assert_eq!(gone.status, StatusCode::SEE_OTHER);
    assert!(gone
        .location
        .as_deref()
        .unwrap()
        .starts_with("/auth/sign-in"));
    let page = app.page("/admin/users", Some(&mark)).await;
    assert!(row(&page.body, &format!("user-{nina_id}")).contains("Deactivated"));

    // A manager cannot deactivate themselves, nor another organization's user.
    let (_, me) = app.get("/api/v1/users?limit=500", &app.admin_token).await;
    let mark_id = me["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["email"] == "mark@acme.example.org")
        .map(id)
        .unwrap();
    let myself = app
        .submit(
            &format!("/admin/users/{mark_id}/active"),
            &mark,
            &[("active", "false")],
        )
        .await;
    assert_eq!(
        myself.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        myself.body
    );
    assert!(myself
        .body
        .contains("you cannot change your own role or deactivate yourself"));
    let ruth_id = me["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["email"] == "ruth@rival.example.org")
        .map(id)
        .unwrap();
    let foreign = app
        .submit(
            &format!("/admin/users/{ruth_id}/active"),
            &mark,
            &[("active", "false")],
        )
        .await;
    assert_eq!(foreign.status, StatusCode::NOT_FOUND);
    let (_, ruth) = app
        .get(&format!("/api/v1/users/{ruth_id}"), &app.admin_token)
        .await;
    assert_eq!(ruth["active"], true);

    // Reactivated: active again, and a new link signs Nina in.
    let on = app
        .submit(
            &format!("/admin/users/{nina_id}/active"),
            &mark,
            &[("active", "true")],
        )
        .await;
    assert_eq!(on.status, StatusCode::SEE_OTHER, "{}", on.body);
    let (_, user) = app
        .get(&format!("/api/v1/users/{nina_id}"), &app.admin_token)
        .await;
    assert_eq!(user["active"], true);
    let again = app.sign_in_again("nina@acme.example.org").await;
    assert_eq!(
        app.page("/profile", Some(&again)).await.status,
        StatusCode::OK
    );

    // Without the CSRF token: refused, nothing changes.
    let forged = app
        .submit_raw(
            &format!("/admin/users/{nina_id}/active"),
            &mark,
            "active=false".into(),
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    let (_, user) = app
        .get(&format!("/api/v1/users/{nina_id}"), &app.admin_token)
        .await;
    assert_eq!(user["active"], true);

    // The admin sees every organization's users, and filters by organization.
    let olga = operator(&app).await;
    let all = app.page("/admin/users", Some(&olga)).await;
    assert!(
        all.body.contains("ruth@rival.example.org") && all.body.contains("nina@acme.example.org")
    );
    let acme = app
        .page(&format!("/admin/users?organization_id={org}"), Some(&olga))
        .await;
    assert!(acme.body.contains("nina@acme.example.org"));
    assert!(!acme.body.contains("ruth@rival.example.org"));
}

async fn members_and_other_organizations_get_no_admin_pages(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (org, _) = app.org("buyer", "Ministry").await;
    let (_, member) = app
        .person(&org, "max@ministry.example.org", "Max Member")
        .await;
    let (_, mark) = manager(&app, &org, "mark@ministry.example.org").await;

    // A member does not manage users: 403, on the page and the form.
    let page = app.page("/admin/users", Some(&member)).await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    assert!(page.body.contains("Not allowed"));
    assert!(!page.body.contains("mark@ministry.example.org"));
    let invite = app
        .submit(
            "/admin/users",
            &member,
            &[
                ("email", "sneaky@ministry.example.org"),
                ("display_name", "Sneaky"),
            ],
        )
        .await;
    assert_eq!(invite.status, StatusCode::FORBIDDEN);
    let (_, users) = app.get("/api/v1/users?limit=500", &app.admin_token).await;
    assert!(!users.to_string().contains("sneaky@ministry.example.org"));

    // Organizations, tokens and the outbox are the operator's alone, manager or not.
    for who in [&member, &mark] {
        for path in ["/admin/organizations", "/admin/tokens", "/admin/outbox"] {
            let page = app.page(path, Some(who)).await;
            assert_eq!(page.status, StatusCode::FORBIDDEN, "{path}");
            assert!(page.body.contains("Not allowed"), "{path}");
        }
        let issue = app
            .submit(
                "/admin/tokens",
                who,
                &[("organization_id", &org), ("label", "mine")],
            )
            .await;
        assert_eq!(issue.status, StatusCode::FORBIDDEN);
        let create = app
            .submit(
                "/admin/organizations",
                who,
                &[
                    ("name", "Shadow"),
                    ("kind", "buyer"),
                    ("country", "BE"),
                    ("notification_emails", "s@shadow.example.org"),
                ],
            )
            .await;
        assert_eq!(create.status, StatusCode::FORBIDDEN);
    }
    let (_, tokens) = app.get("/api/v1/tokens?limit=500", &app.admin_token).await;
    assert!(!tokens["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|t| t["label"] == "mine"));
    // Without a session: sign in first.
    let anonymous = app.page("/admin/tokens", None).await;
    assert_eq!(anonymous.status, StatusCode::SEE_OTHER);
}

async fn a_token_issued_by_form_is_shown_once_works_and_stops_when_revoked(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let olga = operator(&app).await;
    let (buyer, _) = app.org("buyer", "Ministry of Digital Affairs").await;

    let issued = app
        .submit(
            "/admin/tokens",
            &olga,
            &[("organization_id", &buyer), ("label", "ERP link")],
        )
        .await;
    assert_eq!(issued.status, StatusCode::CREATED, "{}", issued.body);
    assert!(issued.body.contains("It is shown only this once"));
    let start = at(&issued.body, "<code id=\"new-token\">") + "<code id=\"new-token\">".len();
    let token =
        issued.body[start..start + issued.body[start..].find("</code>").unwrap()].to_string();
    assert!(token.len() > 20, "{token}");

    // It works on the API, as the buyer.
    let (s, me) = app.get("/api/v1/me", &token).await;
    assert_eq!(s, StatusCode::OK, "{me}");
    assert_eq!(me["organization"]["id"], buyer.as_str());

    // The list shows it, never its secret.
    let page = app.page("/admin/tokens", Some(&olga)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(!page.body.contains(&token), "the secret is shown again");
    let (_, list) = app
        .get(
            &format!("/api/v1/tokens?organization_id={buyer}"),
            &app.admin_token,
        )
        .await;
    let info = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["label"] == "ERP link")
        .unwrap()
        .clone();
    let token_id = id(&info);
    let line = row(&page.body, &format!("token-{token_id}"));
    assert!(line.contains("ERP link") && line.contains("Ministry of Digital Affairs"));
    assert!(line.contains("In use"));

    // A label the API refuses comes back by its field.
    let bad = app
        .submit(
            "/admin/tokens",
            &olga,
            &[("organization_id", &buyer), ("label", "")],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.body);
    problem_of(&bad, "token-label");
    assert!(!bad.body.contains("new-token"));

    // Revoking needs the CSRF token; then the token stops working.
    let forged = app
        .submit_raw(
            &format!("/admin/tokens/{token_id}/revoke"),
            &olga,
            String::new(),
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert_eq!(app.get("/api/v1/me", &token).await.0, StatusCode::OK);
    let revoked = app
        .submit(&format!("/admin/tokens/{token_id}/revoke"), &olga, &[])
        .await;
    assert_eq!(revoked.status, StatusCode::SEE_OTHER, "{}", revoked.body);
    assert_eq!(
        app.get("/api/v1/me", &token).await.0,
        StatusCode::UNAUTHORIZED
    );
    let page = app.page("/admin/tokens?done=revoked", Some(&olga)).await;
    assert!(page.body.contains("The token was revoked"));
    assert!(row(&page.body, &format!("token-{token_id}")).contains("Revoked"));
}

fn sender(app: &TestApp, smtp: &SmtpServer) -> Sender {
    let vars: BTreeMap<&str, String> = BTreeMap::from([
        ("KETENZORG_SMTP_URL", smtp.url()),
        (
            "KETENZORG_PUBLIC_URL",
            "https://ketenzorg.example.org".into(),
        ),
    ]);
    let mut errors = Vec::new();
    let get = |k: &str| vars.get(k).cloned();
    let config = MailConfig::parse(&get, None, &mut errors);
    assert!(errors.is_empty(), "{errors:?}");
    Sender::new(app.db.clone(), config, app.clock.clone()).unwrap()
}

async fn the_outbox_lists_pending_sent_and_failed_mail_without_links(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let smtp = SmtpServer::start().await;
    let olga = operator(&app).await;
    // Olga's own invitation is sent over SMTP; the next two wait.
    sender(&app, &smtp).run_once().await.unwrap();
    let (org, _) = app.org("buyer", "Ministry").await;
    let invite = |email: &'static str| {
        let org = org.clone();
        let app = &app;
        async move {
            let (s, u) = app
                .post(
                    "/api/v1/users",
                    &app.admin_token,
                    json!({"email": email, "display_name": "Pat Pending", "organization_id": org}),
                )
                .await;
            assert_eq!(s, StatusCode::CREATED, "{u}");
        }
    };
    invite("pat@ministry.example.org").await;
    invite("fay@ministry.example.org").await;
    // One has failed for good after attempts (as the sender records a permanent refusal).
    app.execute(
        "UPDATE notifications SET status = 'failed', attempts = 3, last_error = '550 5.1.1 mailbox unavailable' WHERE recipient_email = 'fay@ministry.example.org'",
    )
    .await;

    let (_, api): (StatusCode, Value) = app
        .get("/api/v1/notifications?limit=500", &app.admin_token)
        .await;
    let by_email = |email: &str| {
        api["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|n| n["recipient_email"] == email)
            .unwrap_or_else(|| panic!("no mail to {email}: {api}"))
            .clone()
    };
    let sent = by_email("olga@operator.example.org");
    let pending = by_email("pat@ministry.example.org");
    let failed = by_email("fay@ministry.example.org");
    assert_eq!(sent["status"], "sent");

    let page = app.page("/admin/outbox", Some(&olga)).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let line = row(&page.body, &format!("notification-{}", id(&sent)));
    assert!(line.contains("olga@operator.example.org") && line.contains("sign_in"));
    assert!(
        line.contains("Sent") && line.contains("<td class=\"attempts\">1</td>"),
        "{line}"
    );
    let line = row(&page.body, &format!("notification-{}", id(&pending)));
    assert!(
        line.contains("Pending") && line.contains("<td class=\"attempts\">0</td>"),
        "{line}"
    );
    let line = row(&page.body, &format!("notification-{}", id(&failed)));
    assert!(line.contains("Failed") && line.contains("<td class=\"attempts\">3</td>"));
    assert!(line.contains("550 5.1.1 mailbox unavailable"));
    // No sign-in link (nor any token of one) is ever on the page.
    // (A sent mail's link is no longer stored at all; the pending one's still is.)
    let link = app.link_token("pat@ministry.example.org").await;
    assert!(!page.body.contains(&link), "a sign-in link is shown");
    assert!(!page.body.contains("/auth/link") && !page.body.contains("token="));

    // Filtered by status.
    let failed_only = app.page("/admin/outbox?status=failed", Some(&olga)).await;
    assert!(failed_only.body.contains("fay@ministry.example.org"));
    assert!(!failed_only.body.contains("pat@ministry.example.org"));
    assert!(!failed_only.body.contains("olga@operator.example.org"));
    let pending_only = app.page("/admin/outbox?status=pending", Some(&olga)).await;
    assert!(pending_only.body.contains("pat@ministry.example.org"));
    assert!(!pending_only.body.contains("fay@ministry.example.org"));
    let all = app.page("/admin/outbox?status=", Some(&olga)).await;
    assert!(
        all.body.contains("pat@ministry.example.org")
            && all.body.contains("fay@ministry.example.org")
    );
    let nonsense = app.page("/admin/outbox?status=lost", Some(&olga)).await;
    assert_eq!(nonsense.status, StatusCode::BAD_REQUEST);
}
