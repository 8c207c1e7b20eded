//! The contractor's upload page (`/disclosures/import`): the file is checked first and its
//! report shown as a table, a near match is chosen in the form, then the file is applied
//! without a second upload. Another organization cannot apply it; a form without its CSRF
//! token is refused; a file that is not a spreadsheet comes back with the reason.

mod common;

use common::pages::Answer;
use common::{id, Backend, Session, TestApp};
use reqwest::StatusCode;
use serde_json::json;

on_both_backends!(
    a_list_is_checked_then_applied_with_a_near_match_chosen,
    a_checked_file_is_the_uploaders_own,
);

const LIST: &str = "contract references,product model,component path,factory name,address,country,OS ID,tier,valid from,valid to\n\
K-7,Tablet T10,Display,Foxconn Precision Company Ltd,\"2 Donghuan Road, Longhua, Shenzhen\",CN,,2,2026-01-01,\n\
K-7,Tablet T10,,Brand New Assembly,9 Avenue,VN,,1,2026-01-01,\n";

/// POSTs the upload form as a browser does (multipart), with or without the CSRF token.
async fn upload(app: &TestApp, who: &Session, csrf: Option<&str>, file: &str) -> Answer {
    let boundary = "----ketenzorgTestBoundary7MA4YWxkTrZu0gW";
    let mut body = String::new();
    if let Some(token) = csrf {
        body.push_str(&format!("--{boundary}\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n{token}\r\n"));
    }
    body.push_str(&format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"list.csv\"\r\nContent-Type: text/csv\r\n\r\n{file}\r\n--{boundary}--\r\n"
    ));
    let res = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .post(format!("{}/disclosures/import", app.base))
        .header("Accept", "text/html")
        .header(
            "Content-Type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .header("Cookie", format!("kz_session={}", who.cookie))
        .body(body)
        .send()
        .await
        .expect("upload");
    Answer {
        status: res.status(),
        location: None,
        headers: res.headers().clone(),
        body: res.text().await.unwrap_or_default(),
    }
}

/// The id of the checked file, from the apply form's action.
fn pending_of(page: &str) -> String {
    let marker = "action=\"/disclosures/import/";
    let at = page.find(marker).expect("an apply form");
    page[at + marker.len()..]
        .split('"')
        .next()
        .unwrap()
        .to_string()
}

async fn setup(app: &TestApp) -> (String, String, Session, String) {
    let (buyer_id, buyer) = app.org("buyer", "Buyer").await;
    let (contractor_id, contractor) = app.org("contractor", "Contractor").await;
    app.contract(
        &buyer_id,
        &buyer,
        &contractor_id,
        "K-7",
        "2026-01-01",
        "2027-12-31",
    )
    .await;
    let (s, f) = app
        .post(
            "/api/v1/factories",
            &app.admin_token,
            json!({"name": "Foxconn Precision Co., Ltd.",
            "address": "2 Donghuan Rd, Longhua, Shenzhen", "country": "CN"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{f}");
    let person = app
        .person(&contractor_id, "carla@contractor.example.org", "Carla")
        .await
        .1;
    (contractor_id, contractor, person, id(&f))
}

async fn a_list_is_checked_then_applied_with_a_near_match_chosen(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_, contractor, carla, foxconn) = setup(&app).await;

    let form = app.page("/disclosures/import", Some(&carla)).await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(
        form.body.contains("enctype=\"multipart/form-data\""),
        "{}",
        form.body
    );
    assert!(form
        .body
        .contains("/api/v1/disclosures/template.xlsx?lang="));
    let list = app.page("/disclosures", Some(&carla)).await;
    assert!(
        list.body.contains("href=\"/disclosures/import\""),
        "the disclosures page links to it"
    );

    // Checked: the report as a table, the near match offered, nothing written yet.
    let checked = upload(&app, &carla, Some(&carla.csrf), LIST).await;
    assert_eq!(checked.status, StatusCode::OK, "{}", checked.body);
    assert!(checked.headers["cache-control"]
        .to_str()
        .unwrap()
        .contains("no-store"));
    assert!(
        checked.body.contains("id=\"report-rows\""),
        "{}",
        checked.body
    );
    assert!(
        checked.body.contains("id=\"count-created\">2<"),
        "{}",
        checked.body
    );
    assert!(
        checked.body.contains("(new in the registry)"),
        "{}",
        checked.body
    );
    assert!(
        checked.body.contains(&format!("value=\"{foxconn}\"")),
        "the near match is offered"
    );
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM components").await, 0);
    let pending = pending_of(&checked.body);

    // Applied with the near match confirmed: one new factory, not two.
    let applied = app
        .submit(
            &format!("/disclosures/import/{pending}"),
            &carla,
            &[("confirm_2", &foxconn), ("confirm_3", "new")],
        )
        .await;
    assert_eq!(applied.status, StatusCode::OK, "{}", applied.body);
    assert!(applied.body.contains("id=\"applied\""), "{}", applied.body);
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM factories").await, 2);
    let (_, links) = app.get("/api/v1/disclosures/export.csv", &contractor).await;
    let text = links.as_str().unwrap_or_default().to_string();
    assert!(
        text.contains("Foxconn Precision Co., Ltd.") && text.contains("Brand New Assembly"),
        "{text}"
    );
    // The checked file is gone once applied.
    let again = app
        .submit(&format!("/disclosures/import/{pending}"), &carla, &[])
        .await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);

    // Not a spreadsheet: the form again with the reason.
    let bad = upload(&app, &carla, Some(&carla.csrf), "\u{0}\u{1}binary").await;
    assert_eq!(
        bad.status,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "{}",
        bad.body
    );
    assert!(bad.body.contains("id=\"file-problem\""), "{}", bad.body);
    // Without the CSRF token: refused.
    let forged = upload(&app, &carla, None, LIST).await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN, "{}", forged.body);
}

async fn a_checked_file_is_the_uploaders_own(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_, _, carla, _) = setup(&app).await;
    let (competitor_id, _) = app.org("contractor", "Competitor").await;
    let rival = app
        .person(&competitor_id, "rick@competitor.example.org", "Rick")
        .await
        .1;
    let (buyer_id, _) = app.org("buyer", "Other buyer").await;
    let buyer = app
        .person(&buyer_id, "bea@buyer.example.org", "Bea")
        .await
        .1;

    let checked = upload(&app, &carla, Some(&carla.csrf), LIST).await;
    assert_eq!(checked.status, StatusCode::OK, "{}", checked.body);
    let pending = pending_of(&checked.body);
    let stolen = app
        .submit(&format!("/disclosures/import/{pending}"), &rival, &[])
        .await;
    assert_eq!(stolen.status, StatusCode::NOT_FOUND, "{}", stolen.body);
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM components").await, 0);
    // A buyer has no upload page.
    let page = app.page("/disclosures/import", Some(&buyer)).await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    // The owner still can.
    let applied = app
        .submit(&format!("/disclosures/import/{pending}"), &carla, &[])
        .await;
    assert_eq!(applied.status, StatusCode::OK, "{}", applied.body);
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM components").await, 2);
}
