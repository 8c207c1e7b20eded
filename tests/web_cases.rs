//! The case pages (issue 15): a contractor's inbox, the case page with the forms each party may
//! use now, and the audit page. Forms go through the API's own service, so what a form changes
//! is read back through the API; visibility is the API's (another organization's case is the
//! 404 page, confidential notes only ever reach the monitor).

mod common;

use common::{id, Backend, Chain, Session, TestApp};
use reqwest::StatusCode;
use serde_json::Value;

const NOTES: &str = "Source: worker W-17 (do not disclose)";

/// A person of `org`, reading pages in English (the assertions read English words).
async fn person(app: &TestApp, org: &str, email: &str) -> Session {
    named(app, org, email, "Test Person").await
}

async fn named(app: &TestApp, org: &str, email: &str, name: &str) -> Session {
    let (_, s) = app.person(org, email, name).await;
    let a = app
        .submit(
            "/profile/language",
            &s,
            &[("language", "en"), ("next", "/home")],
        )
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    s
}

/// Two contractors supplying one buyer from a shared factory, and a finding there: one case
/// for each contractor. Returns the chain and the case of each contractor.
async fn setup(app: &TestApp) -> (Chain, String, String) {
    let chain = app.chain(2).await;
    app.finding(&chain.monitor, &chain.factory, "major", "2026-05-01")
        .await;
    let mut cases = Vec::new();
    for (_, token, ..) in &chain.contractors {
        let (s, page) = app.get("/api/v1/cases", token).await;
        assert_eq!(s, StatusCode::OK, "{page}");
        cases.push(id(&page["items"][0]));
    }
    let (a, b) = (cases[0].clone(), cases[1].clone());
    (chain, a, b)
}

fn version(case: &Value) -> String {
    case["version"].as_i64().expect("a version").to_string()
}

/// The `<time datetime>` the page writes for an instant the API gave.
fn time_attr(instant: &Value) -> String {
    let at: chrono::DateTime<chrono::Utc> = instant.as_str().expect("an instant").parse().unwrap();
    format!("datetime=\"{}\"", at.format("%Y-%m-%dT%H:%M:%SZ"))
}

async fn acknowledge(app: &TestApp, who: &Session, case: &str) {
    let v = version(&app.case(case).await);
    let a = app
        .submit(
            &format!("/cases/{case}/actions/acknowledge"),
            who,
            &[("version", &v)],
        )
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
}

/// Submits a plan with two filled action rows and one left blank.
async fn submit_plan(app: &TestApp, who: &Session, case: &str) -> common::pages::Answer {
    let v = version(&app.case(case).await);
    app.submit(
        &format!("/cases/{case}/actions/submit_plan"),
        who,
        &[
            ("version", &v),
            ("root_cause", "Piece rates push overtime"),
            ("description", "Install time clocks"),
            ("kind", "corrective"),
            ("owner", "Plant manager"),
            ("due_on", "2026-09-01"),
            ("description", "Train line supervisors"),
            ("kind", "preventive"),
            ("owner", "HR lead"),
            ("due_on", "2026-10-15"),
            ("description", ""),
            ("kind", "corrective"),
            ("owner", ""),
            ("due_on", ""),
        ],
    )
    .await
}

async fn inbox_lists_own_cases_with_their_deadline(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (chain, mine, theirs) = setup(&app).await;
    let me = person(&app, &chain.contractors[0].0, "c0@example.org").await;
    let page = app.page("/cases", Some(&me)).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("<h1>Inbox</h1>"), "{}", page.body);
    assert!(page.body.contains(&format!("/cases/{mine}")));
    assert!(page.body.contains("Excessive overtime"));
    assert!(page.body.contains("Shared Factory"));
    assert!(!page.body.contains(&theirs), "another contractor's case");
    let case = app.case(&mine).await;
    assert!(page.body.contains(&time_attr(&case["next_due_at"])));
    assert!(page.body.contains("days left"), "{}", page.body);
    assert!(!page.body.contains("class=\"overdue\""));
    // The state filter is the API's: no case of this contractor is closed.
    let closed = app.page("/cases?state=closed", Some(&me)).await;
    assert_eq!(closed.status, StatusCode::OK);
    assert!(!closed.body.contains(&format!("/cases/{mine}")));
    assert!(closed.body.contains("No cases."));
    // The buyer sees both, with who must act.
    let buyer = person(&app, &chain.buyer_id, "b@example.org").await;
    let page = app.page("/cases", Some(&buyer)).await;
    assert!(page.body.contains(&mine) && page.body.contains(&theirs));
    assert!(page.body.contains("Contractor 1"));
    // Paged with the API's cursor: one case a page, the next link to the other.
    let first = app.page("/cases?limit=1", Some(&buyer)).await;
    let next = first
        .body
        .split("<a href=\"")
        .find_map(|s| {
            s.split_once("\" rel=\"next\"")
                .map(|(url, _)| url.replace("&amp;", "&").replace("&#x2f;", "/"))
        })
        .expect("a next page link");
    let second = app.page(&next, Some(&buyer)).await;
    assert_eq!(second.status, StatusCode::OK, "{next}");
    for (a, b) in [(&first, &second), (&second, &first)] {
        let shown: Vec<&String> = [&mine, &theirs]
            .into_iter()
            .filter(|c| a.body.contains(c.as_str()))
            .collect();
        assert_eq!(shown.len(), 1);
        assert!(!b.body.contains(shown[0].as_str()));
    }

    // Once the deadline has passed the row is marked overdue, in words too.
    let due: chrono::DateTime<chrono::Utc> = case["next_due_at"].as_str().unwrap().parse().unwrap();
    app.clock.set(due + chrono::TimeDelta::days(3));
    // Sessions lapse after hours idle: sign in again on the later day.
    let me = app.sign_in_again("c0@example.org").await;
    let page = app.page("/cases", Some(&me)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("class=\"overdue\""), "{}", page.body);
    assert!(page.body.contains(">Overdue<"));
    assert!(page.body.contains("days overdue"));
}

async fn case_page_shows_the_finding_timeline_and_the_forms_of_now(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (chain, case, _) = setup(&app).await;
    let me = person(&app, &chain.contractors[0].0, "c0@example.org").await;
    let page = app.page(&format!("/cases/{case}"), Some(&me)).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    for shown in [
        "<h1>Excessive overtime</h1>",
        "72-hour weeks",
        "Working hours",
        "Shared Factory",
        "id=\"timeline\"",
        "Case opened",
        "id=\"form-acknowledge\"",
        "id=\"form-dispute\"",
        "id=\"form-comment\"",
        "id=\"form-extend\"",
    ] {
        assert!(page.body.contains(shown), "{shown} missing");
    }
    assert!(!page.body.contains("form-accept_plan"));
    assert!(!page.body.contains("form-close"));
    assert!(!page.body.contains("W-17"), "confidential notes shown");
    assert_eq!(
        page.headers
            .get("cache-control")
            .and_then(|v| v.to_str().ok()),
        Some("no-store")
    );

    let buyer = person(&app, &chain.buyer_id, "b@example.org").await;
    let page = app.page(&format!("/cases/{case}"), Some(&buyer)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("72-hour weeks"));
    assert!(!page.body.contains("W-17"), "confidential notes shown");
    assert!(!page.body.contains("form-acknowledge"));
    assert!(page.body.contains("id=\"form-comment\""));

    let monitor = person(&app, &chain.monitor_id, "m@example.org").await;
    let page = app.page(&format!("/cases/{case}"), Some(&monitor)).await;
    assert!(page.body.contains(NOTES), "{}", page.body);
    assert!(page.body.contains("id=\"form-close\""));
    assert!(!page.body.contains("form-acknowledge"));
}

async fn outsiders_get_the_404_page(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (chain, case, _) = setup(&app).await;
    let rival = person(&app, &chain.contractors[1].0, "c1@example.org").await;
    let (other_buyer, _) = app.org("buyer", "Other Buyer").await;
    let stranger = person(&app, &other_buyer, "ob@example.org").await;
    for who in [&rival, &stranger] {
        for path in [format!("/cases/{case}"), format!("/cases/{case}/audit")] {
            let page = app.page(&path, Some(who)).await;
            assert_eq!(page.status, StatusCode::NOT_FOUND, "{path}");
            assert!(page.body.contains("<h1>Not found</h1>"), "{}", page.body);
            assert!(!page.body.contains("Excessive overtime"));
        }
        let a = app
            .submit(
                &format!("/cases/{case}/actions/comment"),
                who,
                &[("text", "hello")],
            )
            .await;
        assert_eq!(a.status, StatusCode::NOT_FOUND);
    }
    assert!(!app.event_kinds(&case).await.contains(&"comment".into()));
}

async fn the_contractor_acknowledges_and_submits_a_plan(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (chain, case, _) = setup(&app).await;
    let me = person(&app, &chain.contractors[0].0, "c0@example.org").await;
    let v = version(&app.case(&case).await);
    let a = app
        .submit(
            &format!("/cases/{case}/actions/acknowledge"),
            &me,
            &[("version", &v)],
        )
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    assert_eq!(
        a.location.as_deref(),
        Some(format!("/cases/{case}?done=acknowledge").as_str())
    );
    assert_eq!(app.case(&case).await["state"], "acknowledged");
    let page = app
        .page(&format!("/cases/{case}?done=acknowledge"), Some(&me))
        .await;
    assert!(page.body.contains("The case is acknowledged."));
    assert!(page.body.contains("id=\"form-submit_plan\""));
    assert!(!page.body.contains("id=\"form-acknowledge\""));

    let a = submit_plan(&app, &me, &case).await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    let now = app.case(&case).await;
    assert_eq!(now["state"], "plan_submitted");
    let actions = now["plan"]["actions"].as_array().expect("actions");
    assert_eq!(actions.len(), 2, "the blank row is no action: {now}");
    assert_eq!(actions[1]["owner"], "HR lead");
    assert_eq!(actions[1]["kind"], "preventive");
    assert_eq!(now["plan"]["root_cause"], "Piece rates push overtime");
    let page = app.page(&format!("/cases/{case}"), Some(&me)).await;
    let timeline = page.body.split("id=\"timeline\"").nth(1).expect("timeline");
    assert!(timeline.contains("Plan submitted"));
    assert!(timeline.contains("Install time clocks"));
    assert!(timeline.contains("Train line supervisors"));
}

async fn a_bad_date_in_the_plan_is_shown_by_its_field(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (chain, case, _) = setup(&app).await;
    let me = person(&app, &chain.contractors[0].0, "c0@example.org").await;
    acknowledge(&app, &me, &case).await;
    let v = version(&app.case(&case).await);
    let a = app
        .submit(
            &format!("/cases/{case}/actions/submit_plan"),
            &me,
            &[
                ("version", &v),
                ("root_cause", "Piece rates push overtime"),
                ("description", "Install time clocks"),
                ("kind", "corrective"),
                ("owner", "Plant manager"),
                ("due_on", "2026-09-01"),
                ("description", "Train line supervisors"),
                ("kind", "preventive"),
                ("owner", "HR lead"),
                ("due_on", "2026-02-30"),
            ],
        )
        .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.body);
    let problem = a
        .body
        .split("id=\"action-1-due_on-problem\" class=\"problem\">")
        .nth(1)
        .expect("the message by the second row's date");
    assert!(!problem.starts_with('<'));
    assert!(a
        .body
        .contains("aria-describedby=\"action-1-due_on-problem\""));
    assert!(!a.body.contains("action-0-due_on-problem"));
    for kept in [
        "value=\"Install time clocks\"",
        "value=\"HR lead\"",
        "value=\"2026-02-30\"",
        "Piece rates push overtime</textarea>",
    ] {
        assert!(a.body.contains(kept), "{kept} not kept");
    }
    assert!(a.body.contains("<details class=\"action\" open>"));
    assert_eq!(app.case(&case).await["state"], "acknowledged");

    // Without script, "add a row" shows the table again with one row more, the input kept.
    let b = app
        .submit(
            &format!("/cases/{case}/actions/submit_plan"),
            &me,
            &[
                ("version", &v),
                ("root_cause", "Piece rates"),
                ("description", "Install time clocks"),
                ("kind", "corrective"),
                ("owner", "Plant manager"),
                ("due_on", "2026-09-01"),
                ("add_row", "1"),
            ],
        )
        .await;
    assert_eq!(b.status, StatusCode::OK, "{}", b.body);
    assert!(b.body.contains("id=\"action-1-description\""));
    assert!(!b.body.contains("id=\"action-2-description\""));
    assert!(b.body.contains("value=\"Install time clocks\""));
    assert_eq!(app.case(&case).await["state"], "acknowledged");
}

async fn the_monitor_rejects_only_with_a_reason(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (chain, case, _) = setup(&app).await;
    let me = person(&app, &chain.contractors[0].0, "c0@example.org").await;
    acknowledge(&app, &me, &case).await;
    assert_eq!(
        submit_plan(&app, &me, &case).await.status,
        StatusCode::SEE_OTHER
    );
    let monitor = person(&app, &chain.monitor_id, "m@example.org").await;
    let page = app.page(&format!("/cases/{case}"), Some(&monitor)).await;
    assert!(page.body.contains("id=\"form-accept_plan\""));
    assert!(page.body.contains("id=\"form-reject_plan\""));
    let v = version(&app.case(&case).await);
    let path = format!("/cases/{case}/actions/reject_plan");
    let a = app
        .submit(&path, &monitor, &[("version", &v), ("reason", "  ")])
        .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.body);
    assert!(a
        .body
        .contains("<p id=\"reject_plan-reason-problem\" class=\"problem\">"));
    assert!(a
        .body
        .contains("aria-describedby=\"reject_plan-reason-problem\""));
    assert_eq!(app.case(&case).await["state"], "plan_submitted");

    // A page read before a change is refused rather than overwriting it.
    let stale = (v.parse::<i64>().unwrap() - 1).to_string();
    let a = app
        .submit(&path, &monitor, &[("version", &stale), ("reason", "x")])
        .await;
    assert_eq!(a.status, StatusCode::CONFLICT, "{}", a.body);
    assert!(a.body.contains("read it again"), "{}", a.body);
    assert!(a
        .body
        .contains("the case changed while you had the page open"));
    // The page shows the case as it is now: its forms carry the current version.
    assert!(a.body.contains(&format!("name=\"version\" value=\"{v}\"")));

    let a = app
        .submit(
            &path,
            &monitor,
            &[("version", &v), ("reason", "Owners must be named people")],
        )
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    assert_eq!(app.case(&case).await["state"], "acknowledged");
    let page = app.page(&format!("/cases/{case}"), Some(&me)).await;
    assert!(page.body.contains("Plan rejected"));
    assert!(page.body.contains("Owners must be named people"));
    assert!(!page.body.contains("W-17"));
}

async fn the_audit_page_says_the_chain_verifies(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (chain, case, _) = setup(&app).await;
    let me = person(&app, &chain.contractors[0].0, "c0@example.org").await;
    acknowledge(&app, &me, &case).await;
    let page = app.page(&format!("/cases/{case}/audit"), Some(&me)).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page
        .body
        .contains("<span class=\"badge green\">Verified</span>"));
    assert!(page.body.contains("The chain of this case is intact"));
    let (_, events) = app
        .get(&format!("/api/v1/cases/{case}/events"), &app.admin_token)
        .await;
    for e in events["items"].as_array().unwrap() {
        let hash = e["hash"].as_str().unwrap();
        assert!(page
            .body
            .contains(&format!("<code class=\"full\">{hash}</code>")));
        assert!(page
            .body
            .contains(&format!("<code>{}…</code>", &hash[..12])));
    }
}

async fn a_form_without_its_csrf_token_is_refused(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (chain, case, _) = setup(&app).await;
    let me = person(&app, &chain.contractors[0].0, "c0@example.org").await;
    let v = version(&app.case(&case).await);
    let a = app
        .submit_raw(
            &format!("/cases/{case}/actions/acknowledge"),
            &me,
            format!("version={v}"),
        )
        .await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    assert_eq!(app.case(&case).await["state"], "open");
}

async fn a_comment_and_an_extension_request_show_on_the_case(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (chain, case, _) = setup(&app).await;
    let me = person(&app, &chain.contractors[0].0, "c0@example.org").await;
    let a = app
        .submit(
            &format!("/cases/{case}/actions/comment"),
            &me,
            &[("text", "")],
        )
        .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(a.body.contains("id=\"comment-text-problem\""));
    let a = app
        .submit(
            &format!("/cases/{case}/actions/comment"),
            &me,
            &[("text", "We are on it")],
        )
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    let v = version(&app.case(&case).await);
    let a = app
        .submit(
            &format!("/cases/{case}/actions/extend"),
            &me,
            &[
                ("version", &v),
                ("deadline", "acknowledge"),
                ("until", "2099-01-01T12:00"),
                ("reason", "Factory closed for holidays"),
            ],
        )
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    let now = app.case(&case).await;
    assert_eq!(now["extension_request"]["until"], "2099-01-01T11:00:00Z");
    let monitor = person(&app, &chain.monitor_id, "m@example.org").await;
    let page = app.page(&format!("/cases/{case}"), Some(&monitor)).await;
    assert!(page.body.contains("We are on it"));
    assert!(page.body.contains("Factory closed for holidays"));
    assert!(page.body.contains("id=\"form-refuse_extension\""));
    let a = app
        .submit(
            &format!("/cases/{case}/actions/refuse_extension"),
            &monitor,
            &[("version", &version(&now)), ("reason", "Not needed")],
        )
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    assert!(app.case(&case).await["extension_request"].is_null());
}

/// A case on contracts of two buyers: what one buyer's person does through the forms reaches
/// the contractor, and the other buyer's page names neither that buyer, its person, its
/// contract nor its words.
async fn a_shared_case_keeps_each_buyer_to_itself(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (b1, b1_token) = app.org("buyer", "Stad Gent").await;
    let (b2, b2_token) = app.org("buyer", "Provincie Antwerpen").await;
    let (contractor, ctoken) = app.org("contractor", "Laptops NV").await;
    let (_, monitor) = app.org("monitor", "Electronics Watch").await;
    let factory = app.factory(&ctoken, "Shared Factory").await;
    let product = app.component(&ctoken, "Laptop X", None).await;
    app.source(&ctoken, &product, &factory, "2026-01-01", None)
        .await;
    let k1 = app
        .contract(
            &b1,
            &b1_token,
            &contractor,
            "GENT-1",
            "2026-01-01",
            "2027-12-31",
        )
        .await;
    let k2 = app
        .contract(
            &b2,
            &b2_token,
            &contractor,
            "ANT-1",
            "2026-01-01",
            "2027-12-31",
        )
        .await;
    app.item(&ctoken, &k1, &product).await;
    app.item(&ctoken, &k2, &product).await;
    let f = app.finding(&monitor, &factory, "major", "2026-05-01").await;
    let case = id(&f["cases"][0]);

    let other = named(&app, &b2, "b2@example.org", "Piet Antwerpen").await;
    let words = "B2 budget line 7 is at risk";
    let a = app
        .submit(
            &format!("/cases/{case}/actions/comment"),
            &other,
            &[("text", words)],
        )
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    let v = version(&app.case(&case).await);
    let a = app
        .submit(
            &format!("/cases/{case}/actions/extend"),
            &other,
            &[
                ("version", &v),
                ("deadline", "acknowledge"),
                ("until", "2099-01-01T12:00"),
                ("reason", "B2 internal audit calendar"),
            ],
        )
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);

    let me = person(&app, &b1, "b1@example.org").await;
    let page = app.page(&format!("/cases/{case}"), Some(&me)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Extension granted"));
    assert!(page.body.contains("another buyer"));
    for hidden in [
        words,
        "B2 internal audit calendar",
        "Piet Antwerpen",
        "Provincie Antwerpen",
        "ANT-1",
        k2.as_str(),
    ] {
        assert!(
            !page.body.contains(hidden),
            "{hidden} shown to the other buyer"
        );
    }
    assert!(page.body.contains(&k1));
    let audit = app.page(&format!("/cases/{case}/audit"), Some(&me)).await;
    assert!(!audit.body.contains("Piet Antwerpen") && !audit.body.contains(words));

    let them = person(&app, &contractor, "c@example.org").await;
    let page = app.page(&format!("/cases/{case}"), Some(&them)).await;
    assert!(page.body.contains(words) && page.body.contains("Piet Antwerpen"));
}

on_both_backends!(
    inbox_lists_own_cases_with_their_deadline,
    case_page_shows_the_finding_timeline_and_the_forms_of_now,
    outsiders_get_the_404_page,
    the_contractor_acknowledges_and_submits_a_plan,
    a_bad_date_in_the_plan_is_shown_by_its_field,
    the_monitor_rejects_only_with_a_reason,
    the_audit_page_says_the_chain_verifies,
    a_form_without_its_csrf_token_is_refused,
    a_comment_and_an_extension_request_show_on_the_case,
    a_shared_case_keeps_each_buyer_to_itself,
);
