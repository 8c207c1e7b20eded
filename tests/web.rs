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
    every_page_of_a_case_is_a_404_to_everyone_outside_it,
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

/// The isolation matrix of the pages: each page about a case, its contract or its finding, for
/// each kind of outsider (a competing contractor, another buyer, another monitor), is the 404
/// page (a monitor may read the contract's figures) and shows nothing of the case; each party reaches its own; signed out, each page leads
/// to sign-in and back to it (how a case link in a mail opens the case).
async fn every_page_of_a_case_is_a_404_to_everyone_outside_it(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let w = app.chain(2).await;
    let (contractor, _, contract, _, _) = w.contractors[0].clone();
    let (competitor, _, _, _, _) = w.contractors[1].clone();
    let finding = app
        .finding(&w.monitor, &w.factory, "major", "2026-05-01")
        .await;
    let finding_id = common::id(&finding);
    let case = finding["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["contractor_id"] == contractor.as_str())
        .and_then(|c| c["id"].as_str())
        .unwrap()
        .to_string();
    let (other_buyer, _) = app.org("buyer", "Another buyer").await;
    let (other_monitor, _) = app.org("monitor", "Another monitor").await;
    let person = |org: String, email: &'static str| {
        let app = &app;
        async move { app.person(&org, email, "Someone").await.1 }
    };
    let insider_contractor = person(contractor.clone(), "c@contractor.example.org").await;
    let insider_buyer = person(w.buyer_id.clone(), "b@buyer.example.org").await;
    let insider_monitor = person(w.monitor_id.clone(), "m@monitor.example.org").await;
    let outsiders = [
        (
            "a competitor",
            person(competitor, "x@competitor.example.org").await,
        ),
        (
            "another buyer",
            person(other_buyer, "y@buyer2.example.org").await,
        ),
        (
            "another monitor",
            person(other_monitor, "z@monitor2.example.org").await,
        ),
    ];
    let pages = [
        format!("/cases/{case}"),
        format!("/cases/{case}/audit"),
        format!("/contracts/{contract}"),
        format!("/findings/{finding_id}"),
    ];
    for (who, session) in &outsiders {
        for page in &pages {
            let answer = app.page(page, Some(session)).await;
            // Monitors read every contract's figures (docs/due-diligence.md), but only the
            // cases of their own findings.
            let by_design = *who == "another monitor" && page.starts_with("/contracts/");
            assert!(
                answer.status == StatusCode::NOT_FOUND
                    || answer.status == StatusCode::FORBIDDEN
                    || (by_design && answer.status == StatusCode::OK),
                "{who} on {page}: {}",
                answer.status
            );
            if answer.status == StatusCode::NOT_FOUND {
                // In the person's own frame: their menu and the way to sign out.
                assert!(
                    answer.body.contains("action=\"/sign-out\""),
                    "{who} on {page}"
                );
            }
            for secret in ["Excessive overtime", "72-hour weeks", "W-17"] {
                assert!(
                    !answer.body.contains(secret),
                    "{who} sees {secret:?} on {page}"
                );
            }
        }
    }
    for (who, session, reachable) in [
        (
            "the contractor",
            &insider_contractor,
            vec![&pages[0], &pages[1]],
        ),
        (
            "the buyer",
            &insider_buyer,
            vec![&pages[0], &pages[1], &pages[2]],
        ),
        (
            "the monitor",
            &insider_monitor,
            vec![&pages[0], &pages[1], &pages[3]],
        ),
    ] {
        for page in reachable {
            let answer = app.page(page, Some(session)).await;
            assert_eq!(answer.status, StatusCode::OK, "{who} on {page}");
        }
    }
    // Only the monitor's pages carry its confidential notes.
    let monitor_view = app.page(&pages[3], Some(&insider_monitor)).await;
    assert!(monitor_view.body.contains("W-17"));
    for session in [&insider_contractor, &insider_buyer] {
        let answer = app.page(&pages[0], Some(session)).await;
        assert!(answer.body.contains("Excessive overtime"));
        assert!(!answer.body.contains("W-17"));
    }
    for page in &pages {
        let answer = app.page(page, None).await;
        assert_eq!(answer.status, StatusCode::SEE_OTHER, "{page}");
        let next: String = url::form_urlencoded::byte_serialize(page.as_bytes()).collect();
        assert_eq!(
            answer.location.as_deref(),
            Some(format!("/auth/sign-in?next={next}").as_str())
        );
    }
}
