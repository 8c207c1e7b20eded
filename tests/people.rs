//! People and sign-in (docs/security.md, "People, sign-in and sessions"): an invitation mailed
//! over real SMTP, its link opening a session, the session acting through the API with its
//! CSRF token and the person named in the hash-chained history; links used once and expiring;
//! deactivation ending every session at once; sign-in answering alike for unknown addresses;
//! rate limits; who manages whom.

mod common;

use std::collections::BTreeMap;

use chrono::TimeDelta;
use common::smtp::{decode, SmtpServer};
use common::{id, token_of_link, Backend, Credential, Session, TestApp};
use ketenzorg::notifications::mailer::MailConfig;
use ketenzorg::notifications::sender::Sender;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

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

/// The sign-in link in the newest mail to `to`.
fn link_in_mail(smtp: &SmtpServer, to: &str) -> (String, String) {
    let mail = smtp
        .messages()
        .into_iter()
        .rev()
        .find(|m| m.to == vec![to.to_string()])
        .unwrap_or_else(|| panic!("no mail to {to}"));
    let text = decode(&mail.data);
    let link = text
        .split_whitespace()
        .find(|w| w.contains("/auth/link?token="))
        .expect("a link in the mail")
        .trim_end_matches(['"', '>', '.'])
        .to_string();
    (link, mail.header("Subject").unwrap_or_default())
}

async fn as_person(
    app: &TestApp,
    method: Method,
    path: &str,
    s: &Session,
    body: Option<Value>,
) -> (StatusCode, Value) {
    app.request_as(method, path, &Credential::Session(s.clone()), body.as_ref())
        .await
}

/// Uses a link that must be refused (401); returns why, as the answer says it.
async fn refused(app: &TestApp, token: &str) -> String {
    let (status, problem) = app.use_link(token).await.unwrap_err();
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{problem}");
    problem["detail"].as_str().unwrap().to_string()
}

async fn an_invited_person_signs_in_from_the_mail_and_is_named_on_what_they_do(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let smtp = SmtpServer::start().await;
    let chain = app.chain(1).await;
    let (contractor, _, _, _, _) = chain.contractors[0].clone();
    let finding = app
        .finding(&chain.monitor, &chain.factory, "major", "2026-05-01")
        .await;
    let case = finding["cases"][0]["id"].as_str().unwrap().to_string();
    // The organization's language is nl unless the invitation says otherwise: this one is fr.
    let (s, user) = app
        .post(
            "/api/v1/users",
            &app.admin_token,
            json!({"email": "Marie.Dubois@Contractor.example.org", "display_name": "Marie Dubois",
                "organization_id": contractor, "role": "manager", "language": "fr"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{user}");
    assert_eq!(user["email"], "marie.dubois@contractor.example.org");
    assert_eq!(user["active"], true);
    sender(&app, &smtp).run_once().await.unwrap();
    let (link, subject) = link_in_mail(&smtp, "marie.dubois@contractor.example.org");
    assert!(subject.contains("connexion"), "in French: {subject}");
    assert!(link.contains("/auth/link?token=kzl_"), "{link}");
    // The outbox keeps no copy of a link once its mail is out.
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM notifications WHERE kind = 'sign_in' AND payload LIKE '%kzl_%'")
            .await,
        0
    );
    let token = token_of_link(&link);
    // Opening the link only shows the button (a mail scanner fetching it uses nothing).
    let page = app
        .client
        .get(format!("{}/auth/link?token={token}", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page.text().await.unwrap().contains("method=\"post\""));
    let session = app.use_link(&token).await.expect("the link signs in");
    let (s, me) = as_person(&app, Method::GET, "/api/v1/me", &session, None).await;
    assert_eq!(s, StatusCode::OK, "{me}");
    assert_eq!(me["user"]["id"], user["id"]);
    assert_eq!(me["user"]["display_name"], "Marie Dubois");
    assert_eq!(me["organization"]["id"], contractor.as_str());
    assert_eq!(me["token_id"], Value::Null);
    assert_eq!(me["csrf_token"], session.csrf.as_str());
    // Acting with the session: the event names the person, and the chain still verifies.
    let (s, acked) = as_person(
        &app,
        Method::POST,
        &format!("/api/v1/cases/{case}/transitions"),
        &session,
        Some(json!({"action": "acknowledge"})),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{acked}");
    let (_, history) = app
        .get(&format!("/api/v1/cases/{case}/events"), &chain.buyer)
        .await;
    let last = history["items"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["kind"], "acknowledged");
    assert_eq!(last["actor_user_id"], user["id"]);
    assert_eq!(last["actor_name"], "Marie Dubois");
    assert_eq!(last["actor_organization_id"], contractor.as_str());
    assert_eq!(last["actor_token_id"], Value::Null);
    let (ok, out) = app.verify_audit().await;
    assert!(ok, "{out}");
    // Changing the recorded person breaks the chain: the hash covers them.
    let other = app
        .person(
            &contractor,
            "someone.else@contractor.example.org",
            "Someone Else",
        )
        .await
        .0;
    app.execute(match backend {
        Backend::Sqlite => "DROP TRIGGER case_events_no_update",
        Backend::Postgres => "DROP TRIGGER case_events_no_update ON case_events",
    })
    .await;
    let changed = app
        .execute(&format!(
            "UPDATE case_events SET actor_user_id = '{other}' WHERE actor_user_id = '{}'",
            id(&user)
        ))
        .await;
    assert_eq!(changed, 1);
    let (ok, out) = app.verify_audit().await;
    assert!(!ok && out.contains("altered"), "{out}");
    // The link worked once.
    let why = refused(&app, &token).await;
    assert!(why.contains("used"), "{why}");
}

async fn links_expire_and_unknown_addresses_get_the_same_answer(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let chain = app.chain(1).await;
    let buyer = chain.buyer_id.clone();
    app.person(&buyer, "an@buyer.example.org", "An").await;
    let ask = |email: &'static str| {
        let app = &app;
        async move {
            let res = app
                .client
                .post(format!("{}/auth/sign-in", app.base))
                .json(&json!({ "email": email }))
                .send()
                .await
                .unwrap();
            (res.status(), res.text().await.unwrap())
        }
    };
    let known = ask("AN@buyer.example.org").await;
    let unknown = ask("nobody@buyer.example.org").await;
    assert_eq!(known.0, StatusCode::ACCEPTED);
    assert_eq!(
        known, unknown,
        "the answer does not tell who has an account"
    );
    // A form works too (the sign-in page posts one).
    let form = app
        .client
        .post(format!("{}/auth/sign-in", app.base))
        .form(&[("email", "an@buyer.example.org")])
        .send()
        .await
        .unwrap();
    assert_eq!(form.status(), StatusCode::ACCEPTED);
    // Only the known address got a link, and a malformed one is refused naming the field.
    let links = app
        .count("SELECT COUNT(*) AS n FROM notifications WHERE kind = 'sign_in'")
        .await;
    assert_eq!(
        links, 3,
        "the invitation and two requests for the known address"
    );
    let (s, bad) = app
        .request(
            Method::POST,
            "/auth/sign-in",
            None,
            Some(&json!({"email": "not-an-address"})),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bad["errors"][0]["field"], "email", "{bad}");
    // A link older than 15 minutes no longer works, and nothing is written.
    let token = app.link_token("an@buyer.example.org").await;
    app.clock.advance(TimeDelta::minutes(15));
    let why = refused(&app, &token).await;
    assert!(why.contains("expired"), "{why}");
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM sign_in_links WHERE used_at IS NOT NULL")
            .await,
        1,
        "only the invitation link was used"
    );
    // A forged token and a forged cookie are refused plainly.
    refused(&app, "kzl_forged").await;
    let forged = Session {
        cookie: "kzs_forged".into(),
        csrf: "x".into(),
    };
    let (s, p) = as_person(&app, Method::GET, "/api/v1/me", &forged, None).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "{p}");
    assert_eq!(p["status"], 401);
}

async fn asking_too_often_is_slowed_per_address(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let mut last = None;
    for _ in 0..6 {
        let res = app
            .client
            .post(format!("{}/auth/sign-in", app.base))
            .json(&json!({"email": "flood@example.org"}))
            .send()
            .await
            .unwrap();
        last = Some((
            res.status(),
            res.headers()
                .get("retry-after")
                .map(|v| v.to_str().unwrap().to_string()),
        ));
    }
    let (status, retry) = last.unwrap();
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert!(retry.unwrap().parse::<u64>().unwrap() > 0);
    // Another address from the same client still gets its answer.
    let (s, _) = app
        .request(
            Method::POST,
            "/auth/sign-in",
            None,
            Some(&json!({"email": "other@example.org"})),
        )
        .await;
    assert_eq!(s, StatusCode::ACCEPTED);
}

async fn sessions_need_their_csrf_token_and_end_with_the_user(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let chain = app.chain(1).await;
    let (contractor, _, _, _, _) = chain.contractors[0].clone();
    let (user, session) = app
        .person(&contractor, "jo@contractor.example.org", "Jo")
        .await;
    let second = app.sign_in_again("jo@contractor.example.org").await;
    // A change made with the cookie but without the token is refused, and changes nothing.
    let res = app
        .client
        .patch(format!("{}/api/v1/users/{user}", app.base))
        .header("Cookie", format!("kz_session={}", session.cookie))
        .json(&json!({"display_name": "Changed"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let body: Value = res.json().await.unwrap();
    assert!(body["detail"].as_str().unwrap().contains("X-CSRF-Token"));
    // With the token it goes through; reading needs none.
    let (s, me) = as_person(
        &app,
        Method::PATCH,
        &format!("/api/v1/users/{user}"),
        &session,
        Some(json!({"display_name": "Jo Janssens", "language": "de"})),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{me}");
    assert_eq!(me["display_name"], "Jo Janssens");
    // A member neither promotes nor deactivates anyone, itself included.
    let (s, _) = as_person(
        &app,
        Method::PATCH,
        &format!("/api/v1/users/{user}"),
        &session,
        Some(json!({"role": "manager"})),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    // A link asked for before the deactivation is refused after it.
    app.request(
        Method::POST,
        "/auth/sign-in",
        None,
        Some(&json!({"email": "jo@contractor.example.org"})),
    )
    .await;
    let pending = app.link_token("jo@contractor.example.org").await;
    // Deactivated by the admin: both sessions stop at once, and new links are refused.
    let (s, _) = app
        .patch(
            &format!("/api/v1/users/{user}"),
            &app.admin_token,
            json!({"active": false}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    for s in [&session, &second] {
        let (status, _) = as_person(&app, Method::GET, "/api/v1/me", s, None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    app.request(
        Method::POST,
        "/auth/sign-in",
        None,
        Some(&json!({"email": "jo@contractor.example.org"})),
    )
    .await;
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM notifications WHERE kind = 'sign_in'")
            .await,
        3,
        "no link for a deactivated user"
    );
    let why = refused(&app, &pending).await;
    assert!(why.contains("deactivated"), "{why}");
}

async fn sign_out_ends_one_session_or_all(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let chain = app.chain(1).await;
    let (_, a) = app
        .person(&chain.monitor_id, "sam@monitor.example.org", "Sam")
        .await;
    let b = app.sign_in_again("sam@monitor.example.org").await;
    let c = app.sign_in_again("sam@monitor.example.org").await;
    let (s, _) = as_person(&app, Method::POST, "/auth/sign-out", &a, None).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let me = |s: Session| {
        let app = &app;
        async move { as_person(app, Method::GET, "/api/v1/me", &s, None).await.0 }
    };
    assert_eq!(me(a.clone()).await, StatusCode::UNAUTHORIZED);
    assert_eq!(
        me(b.clone()).await,
        StatusCode::OK,
        "the other sessions go on"
    );
    let (s, _) = as_person(
        &app,
        Method::POST,
        "/auth/sign-out?everywhere=true",
        &b,
        None,
    )
    .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    assert_eq!(me(b).await, StatusCode::UNAUTHORIZED);
    assert_eq!(me(c).await, StatusCode::UNAUTHORIZED, "everywhere");
    // A token has no session to end.
    let (s, p) = app
        .request(Method::POST, "/auth/sign-out", Some(&chain.monitor), None)
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{p}");
}

async fn managers_manage_their_own_organization_only(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let chain = app.chain(2).await;
    let (c1, _, _, _, _) = chain.contractors[0].clone();
    let (c2, _, _, _, _) = chain.contractors[1].clone();
    let (s, manager) = app
        .post(
            "/api/v1/users",
            &app.admin_token,
            json!({"email": "boss@c1.example.org", "display_name": "Boss", "organization_id": c1, "role": "manager"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{manager}");
    let boss = app
        .use_link(&app.link_token("boss@c1.example.org").await)
        .await
        .unwrap();
    // The manager invites a colleague into its own organization, not into a competitor's.
    let (s, colleague) = as_person(
        &app,
        Method::POST,
        "/api/v1/users",
        &boss,
        Some(json!({"email": "colleague@c1.example.org", "display_name": "Colleague"})),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{colleague}");
    assert_eq!(colleague["organization_id"], c1.as_str());
    assert_eq!(colleague["role"], "member");
    let (s, _) = as_person(
        &app,
        Method::POST,
        "/api/v1/users",
        &boss,
        Some(json!({"email": "spy@c2.example.org", "display_name": "Spy", "organization_id": c2})),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    // The same address twice is a conflict.
    let (s, _) = as_person(
        &app,
        Method::POST,
        "/api/v1/users",
        &boss,
        Some(json!({"email": "COLLEAGUE@c1.example.org", "display_name": "Again"})),
    )
    .await;
    assert_eq!(s, StatusCode::CONFLICT);
    // The competitor's people are out of reach (404), and its list holds only its own.
    let (_, stranger) = app.person(&c2, "staff@c2.example.org", "Stranger").await;
    let (s, _) = as_person(
        &app,
        Method::GET,
        &format!("/api/v1/users/{}", id(&colleague)),
        &stranger,
        None,
    )
    .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (_, list) = as_person(&app, Method::GET, "/api/v1/users", &boss, None).await;
    let emails: Vec<&str> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["email"].as_str().unwrap())
        .collect();
    assert_eq!(emails, ["boss@c1.example.org", "colleague@c1.example.org"]);
    // The manager deactivates the colleague; never itself.
    let (s, gone) = as_person(
        &app,
        Method::PATCH,
        &format!("/api/v1/users/{}", id(&colleague)),
        &boss,
        Some(json!({"active": false})),
    )
    .await;
    assert_eq!((s, gone["active"].clone()), (StatusCode::OK, json!(false)));
    let (s, p) = as_person(
        &app,
        Method::PATCH,
        &format!("/api/v1/users/{}", id(&manager)),
        &boss,
        Some(json!({"active": false})),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
}

async fn a_browser_signs_in_with_forms_and_gets_pages(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let chain = app.chain(1).await;
    app.person(&chain.buyer_id, "an@buyer.example.org", "An")
        .await;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let page = client
        .get(format!("{}/auth/sign-in", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page.text().await.unwrap().contains("name=\"email\""));
    // A mistyped address: the form again, the input kept, the problem beside the field.
    let res = client
        .post(format!("{}/auth/sign-in", app.base))
        .form(&[("email", "an@buyer<example>")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.unwrap();
    assert!(html.contains("value=\"an@buyer&lt;example&gt;\""), "{html}");
    assert!(html.contains("id=\"email-problem\""), "{html}");
    assert!(
        html.contains("aria-describedby=\"email-problem\""),
        "{html}"
    );
    client
        .post(format!("{}/auth/sign-in", app.base))
        .form(&[("email", "an@buyer.example.org")])
        .send()
        .await
        .unwrap();
    let token = app.link_token("an@buyer.example.org").await;
    // The button of the link page: a cookie that scripts cannot read, then on to the start page.
    let res = client
        .post(format!("{}/auth/link", app.base))
        .form(&[("token", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(res.headers()["location"], "/home");
    let cookie = res.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(cookie.starts_with("kz_session=kzs_"), "{cookie}");
    for attribute in ["HttpOnly", "SameSite=Lax", "Path=/", "Max-Age="] {
        assert!(cookie.contains(attribute), "{attribute} in {cookie}");
    }
    assert!(!cookie.contains("Secure"), "plain http in tests: {cookie}");
    // The same button again: a page that says why, with the way to a new link.
    let res = client
        .post(format!("{}/auth/link", app.base))
        .form(&[("token", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let html = res.text().await.unwrap();
    assert!(
        html.contains("used already") && html.contains("action=\"/auth/sign-in\""),
        "{html}"
    );
    // Another site cannot post a link for the visitor.
    let res = client
        .post(format!("{}/auth/link", app.base))
        .header("Sec-Fetch-Site", "cross-site")
        .form(&[("token", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
}

async fn a_person_may_also_sign_in_with_a_password(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let chain = app.chain(1).await;
    let (_, first) = app
        .person(&chain.buyer_id, "an@buyer.example.org", "An")
        .await;
    let second = app.sign_in_again("an@buyer.example.org").await;
    let put = |s: &Session, body: Value| {
        let app = &app;
        let s = s.clone();
        async move { as_person(app, Method::PUT, "/api/v1/me/password", &s, Some(body)).await }
    };
    // An API token has no password; a short one is refused naming the field.
    let (s, _) = app
        .request(
            Method::PUT,
            "/api/v1/me/password",
            Some(&chain.buyer),
            Some(&json!({"password": "correct horse battery"})),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, p) = put(&first, json!({"password": "short"})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(p["errors"][0]["field"], "password", "{p}");
    // Set: the other session ends, this one goes on.
    let (s, p) = put(&first, json!({"password": "correct horse battery"})).await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{p}");
    let me = |s: &Session| {
        let app = &app;
        let s = s.clone();
        async move { as_person(app, Method::GET, "/api/v1/me", &s, None).await }
    };
    assert_eq!(me(&first).await.0, StatusCode::OK);
    assert_eq!(me(&second).await.0, StatusCode::UNAUTHORIZED);
    // Changing it needs the current one.
    let (s, p) = put(&first, json!({"password": "another long secret"})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(p["errors"][0]["field"], "current_password", "{p}");
    // Signing in with it opens a session at once; a wrong one and an unknown address are one answer.
    let sign_in = |email: &'static str, password: &'static str| {
        let app = &app;
        async move {
            let res = app
                .client
                .post(format!("{}/auth/sign-in", app.base))
                .json(&json!({"email": email, "password": password}))
                .send()
                .await
                .unwrap();
            let status = res.status();
            let cookie = res.headers().get("set-cookie").is_some();
            (status, cookie, res.text().await.unwrap())
        }
    };
    let (s, cookie, body) = sign_in("an@buyer.example.org", "correct horse battery").await;
    assert_eq!((s, cookie), (StatusCode::OK, true), "{body}");
    let body: Value = serde_json::from_str(&body).unwrap();
    assert!(body["csrf_token"].is_string());
    let wrong = sign_in("an@buyer.example.org", "wrong horse battery").await;
    let unknown = sign_in("nobody@buyer.example.org", "correct horse battery").await;
    assert_eq!(wrong.0, StatusCode::UNAUTHORIZED);
    assert!(!wrong.1);
    assert_eq!(
        wrong, unknown,
        "one answer for a wrong password and an unknown address"
    );
    // Not from another site (a visitor signed in as someone else).
    let res = app
        .client
        .post(format!("{}/auth/sign-in", app.base))
        .header("Sec-Fetch-Site", "cross-site")
        .json(&json!({"email": "an@buyer.example.org", "password": "correct horse battery"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert!(res.headers().get("set-cookie").is_none());
    // Stored as an argon2id hash, never as given.
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM users WHERE password_hash LIKE '$argon2id$%'")
            .await,
        1
    );
    // Removed: back to links only.
    let (s, _) = as_person(&app, Method::DELETE, "/api/v1/me/password", &first, None).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _, _) = sign_in("an@buyer.example.org", "correct horse battery").await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
}

on_both_backends!(
    a_person_may_also_sign_in_with_a_password,
    a_browser_signs_in_with_forms_and_gets_pages,
    an_invited_person_signs_in_from_the_mail_and_is_named_on_what_they_do,
    links_expire_and_unknown_addresses_get_the_same_answer,
    asking_too_often_is_slowed_per_address,
    sessions_need_their_csrf_token_and_end_with_the_user,
    sign_out_ends_one_session_or_all,
    managers_manage_their_own_organization_only,
);
