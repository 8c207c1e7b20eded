//! The three formats of the report, and who may ask for it.

use crate::common::Credential;
use crate::world::{report, World};
use reqwest::{Method, StatusCode};
use serde_json::Value;

pub async fn formats(w: &World) {
    let path = format!(
        "{}/api/v1/reports/due-diligence?from=2026-01-01&to=2026-12-31",
        w.app.base
    );
    let get = |accept: &'static str| {
        w.app
            .client
            .get(&path)
            .bearer_auth(&w.b.1)
            .header("Accept", accept)
            .send()
    };
    let res = get("text/csv").await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let text = res.text().await.unwrap();
    let rows: Vec<csv::StringRecord> = csv::Reader::from_reader(text.as_bytes())
        .records()
        .map(|r| r.unwrap())
        .collect();
    let cell = |section: &str, key: &str| {
        rows.iter()
            .find(|r| &r[0] == section && &r[1] == key)
            .map(|r| r[2].to_string())
    };
    assert_eq!(cell("cases", "opened").as_deref(), Some("1"));
    assert_eq!(cell("spend", "USD").as_deref(), Some("50.00"));
    assert_eq!(rows.iter().filter(|r| &r[0] == "open_case").count(), 1);
    let res = get("text/html").await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["cache-control"], "no-store");
    let html = res.text().await.unwrap();
    // B's language is Dutch.
    assert!(
        html.contains("<html lang=\"nl\"") && html.contains("Due-diligencerapport"),
        "{html}"
    );
    assert!(html.contains("<svg") && html.contains("Geopende en open dossiers per maand"));
    // The page, for a person of B (who takes B's language), with its form and links.
    let (_, session) = w.app.person(&w.b.0, "anna@buyer.example.org", "Anna").await;
    let who = Credential::Session(session);
    let (s, page) = w
        .app
        .request_as(
            Method::GET,
            "/reports/due-diligence?from=2026-01-01&to=2026-12-31",
            &who,
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let page = page.as_str().unwrap().to_string();
    assert!(
        page.contains("<svg")
            && page.contains("Due-diligencerapport")
            && page.contains("name=\"framework\""),
        "{page}"
    );
    assert!(
        page.contains("due-diligence.csv?from=2026-01-01&amp;to=2026-12-31"),
        "{page}"
    );
    let (s, csv) = w
        .app
        .request_as(
            Method::GET,
            "/reports/due-diligence.csv?from=2026-01-01&to=2026-12-31",
            &who,
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(csv.as_str().unwrap().starts_with("section,key,value"));
    let (s, print) = w
        .app
        .request_as(
            Method::GET,
            "/reports/due-diligence/print?from=2026-01-01&to=2026-12-31",
            &who,
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(print.as_str().unwrap().contains("<svg"));
}

pub async fn who_may_ask(w: &World, y2026: &Value) {
    let q = "from=2026-01-01&to=2026-12-31";
    // B2 sees its own contract and case only.
    let other = report(w, "from=2025-01-01&to=2026-12-31", &w.b2.1).await;
    let text = other.to_string();
    assert_eq!(other["contracts"]["count"], 1);
    assert_eq!(other["open_cases"].as_array().unwrap().len(), 1);
    assert_eq!(other["open_cases"][0]["id"], w.cases[3].as_str());
    for name in w.k[..4].iter().chain(&w.cases[..3]) {
        assert!(!text.contains(name.as_str()), "B2's report names {name}");
    }
    assert!(!y2026.to_string().contains(&w.cases[3]) && !y2026.to_string().contains(&w.k[4]));
    let status = |token: String, query: String| async move {
        let (s, p) = w
            .app
            .get(&format!("/api/v1/reports/due-diligence?{query}"), &token)
            .await;
        (
            s,
            p["errors"][0]["field"].as_str().unwrap_or("").to_string(),
        )
    };
    let framework_of_b = format!("{q}&framework={}", w.k[0]);
    assert_eq!(
        status(w.b2.1.clone(), framework_of_b.clone()).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        status(w.b2.1.clone(), format!("{q}&buyer={}", w.b.0))
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        status(w.b.1.clone(), format!("{q}&framework={}", uuid_nil()))
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        status(w.contractor.clone(), q.to_string()).await.0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        status(w.monitor.clone(), q.to_string()).await.0,
        StatusCode::FORBIDDEN
    );
    let unprocessable = StatusCode::UNPROCESSABLE_ENTITY;
    for (query, field) in [
        ("from=2026-13-01&to=2026-12-31", "from"),
        ("from=2026-01-01", "to"),
        ("to=2026-12-31", "from"),
        ("from=2026-02-01&to=2026-01-31", "to"),
        ("from=2026-01-01&to=2027-12-31", "to"),
        ("from=2026-01-01&to=yesterday", "to"),
        ("from=2026-01-01&to=2026-12-31&framework=F1", "framework"),
    ] {
        assert_eq!(
            status(w.b.1.clone(), query.to_string()).await,
            (unprocessable, field.to_string()),
            "{query}"
        );
    }
    assert_eq!(
        status(w.app.admin_token.clone(), q.to_string()).await,
        (unprocessable, "buyer".to_string())
    );
}

fn uuid_nil() -> &'static str {
    "00000000-0000-0000-0000-000000000000"
}

/// The page and the printable page pass axe-core, for a person of B who reads English.
pub async fn in_a_browser(w: &World) {
    use crate::common::browser::Browser;
    let Some(browser) = Browser::start(&w.app.base).await else {
        return;
    };
    let email = "ben@buyer.example.org";
    let (s, user) = w
        .app
        .post(
            "/api/v1/users",
            &w.app.admin_token,
            serde_json::json!({"email": email, "display_name": "Ben",
                "organization_id": w.b.0, "language": "en"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{user}");
    let token = w.app.link_token(email).await;
    browser.open(&format!("/auth/link?token={token}")).await;
    browser.click("main form button[type=submit]").await;
    browser
        .open("/reports/due-diligence?from=2026-01-01&to=2026-12-31")
        .await;
    assert!(
        browser.exists("#report-open-cases").await,
        "{}",
        browser.html().await
    );
    assert!(browser.text().await.contains("Due-diligence report"));
    browser.assert_accessible("the report page").await;
    browser
        .open("/reports/due-diligence/print?from=2026-01-01&to=2026-12-31")
        .await;
    assert!(browser.exists("svg").await);
    browser.assert_accessible("the printable report").await;
    browser.close().await;
}
