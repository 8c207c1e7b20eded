//! The web interface's frame, as a browser without script meets it: signing in and coming
//! back to the page asked for, the profile form (a refusal shown by its field), the language
//! switch, CSRF on forms, the headers of pages, error pages and signing out.

mod common;

use common::{Backend, TestApp};
use reqwest::StatusCode;

on_both_backends!(
    a_page_asked_for_signed_out_is_reached_after_signing_in_by_link,
    the_profile_form_shows_a_refusal_by_its_field_and_keeps_the_input,
    the_language_switch_changes_every_page_and_goes_back,
    forms_without_the_session_s_csrf_token_are_refused,
    pages_carry_a_strict_policy_and_are_not_cached,
    signing_out_ends_the_session,
);

async fn a_page_asked_for_signed_out_is_reached_after_signing_in_by_link(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (org, _) = app.org("buyer", "Stad Gent").await;
    app.person(&org, "an@gent.example.be", "An Peeters").await;
    // Signed out, a page sends the browser to sign in, carrying where it was going.
    let page = app.page("/profile", None).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(
        page.location.as_deref(),
        Some("/auth/sign-in?next=%2Fprofile")
    );
    let sign_in = app.page("/auth/sign-in?next=%2Fprofile", None).await;
    assert_eq!(sign_in.status, StatusCode::OK);
    assert!(
        sign_in
            .body
            .contains(r#"<input type="hidden" name="next" value="&#x2f;profile">"#),
        "{}",
        sign_in.body
    );
    // Another site's address is never a place to go on to.
    let evil = app
        .page("/auth/sign-in?next=https%3A%2F%2Fevil.example", None)
        .await;
    assert!(!evil.body.contains("name=\"next\""), "{}", evil.body);
    // Asking for a link from the form: the mailed link carries the page.
    let asked = common::pages::post_form(
        &app,
        "/auth/sign-in",
        &[
            ("email", "an@gent.example.be"),
            ("next", "/profile"),
            ("lang", "nl"),
        ],
    )
    .await;
    assert_eq!(asked.status, StatusCode::ACCEPTED);
    assert!(asked.body.contains("Kijk in uw mailbox"), "{}", asked.body);
    let token = app.link_token("an@gent.example.be").await;
    let link_page = app
        .page(&format!("/auth/link?token={token}&next=%2Fprofile"), None)
        .await;
    assert_eq!(link_page.status, StatusCode::OK);
    assert!(link_page.body.contains("name=\"next\""));
    let used = common::pages::post_form(
        &app,
        "/auth/link",
        &[("token", &token), ("next", "/profile")],
    )
    .await;
    assert_eq!(used.status, StatusCode::SEE_OTHER, "{}", used.body);
    assert_eq!(used.location.as_deref(), Some("/profile"));
    let cookie = used
        .headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|c| c.strip_prefix("kz_session="))
        .and_then(|c| c.split(';').next())
        .expect("the session cookie")
        .to_string();
    let session = common::Session {
        cookie,
        csrf: String::new(),
    };
    let profile = app.page("/profile", Some(&session)).await;
    assert_eq!(profile.status, StatusCode::OK);
    assert!(profile.body.contains("An Peeters"));
}

async fn the_profile_form_shows_a_refusal_by_its_field_and_keeps_the_input(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (org, _) = app.org("contractor", "Noord IT").await;
    let (_, session) = app.person(&org, "jeroen@noord.example.be", "Jeroen").await;
    let long = "J".repeat(201);
    let refused = app
        .submit(
            "/profile",
            &session,
            &[("display_name", &long), ("language", "de")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    let body = &refused.body;
    // The message sits by its field, which is marked and keeps what was typed.
    assert!(
        body.contains(r#"<p id="display_name-problem" class="problem">"#),
        "{body}"
    );
    assert!(body.contains(r#"aria-invalid="true" aria-describedby="display_name-problem""#));
    assert!(body.contains(&format!("value=\"{long}\"")));
    assert!(body.contains(r#"<option value="de" selected>"#));
    let saved = app
        .submit(
            "/profile",
            &session,
            &[("display_name", "Jeroen Maes"), ("language", "en")],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    assert_eq!(saved.location.as_deref(), Some("/profile?saved=1"));
    let (_, me) = app
        .request_as(
            reqwest::Method::GET,
            "/api/v1/me",
            &common::Credential::Session(session.clone()),
            None,
        )
        .await;
    assert_eq!(me["user"]["display_name"], "Jeroen Maes");
    let page = app.page("/profile?saved=1", Some(&session)).await;
    assert!(page.body.contains("Saved."), "{}", page.body);
}

async fn the_language_switch_changes_every_page_and_goes_back(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (org, _) = app.org("monitor", "Electronics Watch").await;
    let (_, session) = app.person(&org, "sam@ew.example.org", "Sam").await;
    for (lang, title) in [
        ("fr", "Votre profil"),
        ("de", "Ihr Profil"),
        ("nl", "Uw profiel"),
        ("en", "Your profile"),
    ] {
        let switched = app
            .submit(
                "/profile/language",
                &session,
                &[("language", lang), ("next", "/profile")],
            )
            .await;
        assert_eq!(switched.status, StatusCode::SEE_OTHER);
        assert_eq!(switched.location.as_deref(), Some("/profile"));
        let page = app.page("/profile", Some(&session)).await;
        assert!(page.body.contains(&format!("<html lang=\"{lang}\">")));
        assert!(page.body.contains(title), "{lang}: {}", page.body);
    }
    // Going back is only ever to a page of this service.
    let away = app
        .submit(
            "/profile/language",
            &session,
            &[("language", "en"), ("next", "//evil.example/x")],
        )
        .await;
    assert_eq!(away.location.as_deref(), Some("/home"));
    let bad = app
        .submit(
            "/profile/language",
            &session,
            &[("language", "es"), ("next", "/profile")],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
}

async fn forms_without_the_session_s_csrf_token_are_refused(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (org, _) = app.org("buyer", "Stad Leuven").await;
    let (_, session) = app.person(&org, "els@leuven.example.be", "Els").await;
    for body in [
        "display_name=Mallory&language=en".to_string(),
        "csrf_token=forged&display_name=Mallory&language=en".to_string(),
    ] {
        let refused = app.submit_raw("/profile", &session, body).await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN);
        assert!(refused.body.contains("Not allowed"), "{}", refused.body);
    }
    let (_, me) = app
        .request_as(
            reqwest::Method::GET,
            "/api/v1/me",
            &common::Credential::Session(session.clone()),
            None,
        )
        .await;
    assert_eq!(me["user"]["display_name"], "Els");
}

async fn pages_carry_a_strict_policy_and_are_not_cached(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (org, _) = app.org("buyer", "Stad Brugge").await;
    let (_, session) = app.person(&org, "jan@brugge.example.be", "Jan").await;
    for path in ["/profile", "/auth/sign-in"] {
        let page = app.page(path, Some(&session)).await;
        assert_eq!(page.status, StatusCode::OK, "{path}");
        let csp = page.headers["content-security-policy"].to_str().unwrap();
        assert!(csp.contains("script-src 'self'"), "{csp}");
        assert!(!csp.contains("unsafe-inline"), "{csp}");
        assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
        assert_eq!(page.headers["cache-control"], "no-store");
        // No inline script in the page itself.
        assert!(!page.body.contains("<script>"), "{path}");
    }
    let css = app.page("/assets/app.css", None).await;
    assert_eq!(css.status, StatusCode::OK);
    assert!(css.headers["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/css"));
    assert!(css.body.contains(":focus-visible"));
    for bad in ["/assets/../Cargo.toml", "/assets/nothing.css"] {
        assert_eq!(
            app.page(bad, None).await.status,
            StatusCode::NOT_FOUND,
            "{bad}"
        );
    }
    // A page that does not exist is a page in the browser's language.
    let missing =
        common::pages::get_with(&app, "/no-such-page", &[("Accept-Language", "de")]).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert!(missing.body.contains("Nicht gefunden"), "{}", missing.body);
    // The API still answers problem+json to a client that is no browser.
    let (status, problem) = app.get("/api/v1/nothing", &app.admin_token).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(problem["title"].is_string(), "{problem}");
}

async fn signing_out_ends_the_session(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (org, _) = app.org("contractor", "Eurodisplay").await;
    let (_, session) = app
        .person(&org, "camille@eurodisplay.example.fr", "Camille")
        .await;
    let out = app.submit("/sign-out", &session, &[]).await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    assert!(out
        .location
        .as_deref()
        .unwrap()
        .starts_with("/auth/sign-in"));
    let cleared = out.headers["set-cookie"].to_str().unwrap();
    assert!(cleared.starts_with("kz_session=;"), "{cleared}");
    let after = app.page("/profile", Some(&session)).await;
    assert_eq!(after.status, StatusCode::SEE_OTHER);
    assert!(after.location.unwrap().starts_with("/auth/sign-in"));
}
