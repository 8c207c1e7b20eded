//! The monitor's pages: choosing the factory by searching the registry, filing a finding with
//! the form (routed as the API routes it), the form's refusals by the field, the list with the
//! unrouted findings highlighted, one finding with its confidential notes; and who may not.

mod common;

use common::{id, Backend, Chain, Session, TestApp};
use reqwest::StatusCode;
use serde_json::Value;

struct World {
    chain: Chain,
    monitor: Session,
}

async fn world(app: &TestApp) -> World {
    let chain = app.chain(2).await;
    let (_, monitor) = app
        .person(
            &chain.monitor_id,
            "mona@monitor.example.org",
            "Mona Monitor",
        )
        .await;
    World { chain, monitor }
}

/// The monitor's findings through the API.
async fn api_findings(app: &TestApp, monitor: &str) -> Vec<Value> {
    let (s, page) = app.get("/api/v1/findings", monitor).await;
    assert_eq!(s, StatusCode::OK, "{page}");
    page["items"].as_array().unwrap().clone()
}

/// The `<tr ...>` opening the row that links `href`.
fn row_of<'a>(body: &'a str, href: &str) -> &'a str {
    let at = body
        .find(href)
        .unwrap_or_else(|| panic!("{href} not in the page:\n{body}"));
    let start = body[..at].rfind("<tr").expect("a row");
    &body[start..at]
}

async fn the_factory_is_found_and_the_form_files_a_routed_finding(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let w = world(&app).await;
    let factory = &w.chain.factory;

    // Search by part of the name, any case: the factory with a link that chooses it.
    let search = app.page("/findings/new?q=shared", Some(&w.monitor)).await;
    assert_eq!(search.status, StatusCode::OK, "{}", search.body);
    let matches = &search.body[search.body.find("id=\"factory-matches\"").expect("matches")..];
    assert!(matches.contains("<td>Shared Factory</td>"), "{matches}");
    assert!(
        matches.contains(&format!("factory_id={factory}")),
        "{matches}"
    );
    // By country too; a search for another name lists nothing.
    let by_country = app.page("/findings/new?country=cn", Some(&w.monitor)).await;
    assert!(by_country.body.contains("<td>Shared Factory</td>"));
    let none = app.page("/findings/new?q=nowhere", Some(&w.monitor)).await;
    assert!(!none.body.contains("<td>Shared Factory</td>"));
    assert!(none.body.contains("No factory matches the search."));

    // Choosing puts the factory's id in the filing form.
    let chosen = app
        .page(
            &format!("/findings/new?q=shared&factory_id={factory}"),
            Some(&w.monitor),
        )
        .await;
    assert!(
        chosen.body.contains("Chosen: Shared Factory (CN)"),
        "{}",
        chosen.body
    );
    assert!(chosen.body.contains(&format!(
        r#"id="factory_id" name="factory_id" type="text" required value="{factory}""#
    )));
    // The form: lists from the API's enums, the confidential fieldset marked.
    assert!(chosen
        .body
        .contains(r#"<option value="forced_labour">Forced labour</option>"#));
    assert!(chosen
        .body
        .contains(r#"<option value="critical">Critical</option>"#));
    assert!(chosen.body.contains(r#"<fieldset class="confidential">"#));
    assert!(chosen.body.contains("Never shown to contractors or buyers"));

    let before = api_findings(&app, &w.chain.monitor).await.len();
    let filed = app
        .submit(
            "/findings/new",
            &w.monitor,
            &[
                ("factory_id", factory),
                ("category", "forced_labour"),
                ("severity", "critical"),
                ("title", "Passports withheld"),
                (
                    "description",
                    "Workers' passports are kept by the dormitory office.",
                ),
                ("observed_on", "2026-05-28"),
                ("evidence[0].url", "https://evidence.example.org/report-17"),
                ("evidence[0].label", "Audit report"),
                ("evidence[1].url", ""),
                ("evidence[2].url", ""),
                ("confidential_notes", "Told by worker W-9; do not disclose"),
                ("worker_protection", "true"),
            ],
        )
        .await;
    assert_eq!(filed.status, StatusCode::SEE_OTHER, "{}", filed.body);
    let location = filed.location.expect("a location");
    let finding_id = location
        .strip_prefix("/findings/")
        .expect("the finding's page");

    // The API lists it, routed to a case for each contractor.
    let all = api_findings(&app, &w.chain.monitor).await;
    assert_eq!(all.len(), before + 1);
    let f = all
        .iter()
        .find(|f| id(f) == finding_id)
        .expect("listed by the API");
    assert_eq!(f["title"], "Passports withheld");
    assert_eq!(f["severity"], "critical");
    assert_eq!(f["routed"], true);
    assert_eq!(f["worker_protection"], true);
    assert_eq!(
        f["evidence"][0]["url"],
        "https://evidence.example.org/report-17"
    );
    assert_eq!(f["evidence"][0]["label"], "Audit report");
    assert_eq!(f["evidence"].as_array().unwrap().len(), 1);
    let cases = f["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 2, "{f}");
    // The contractor sees the case the form opened.
    let (_, ctoken, _, _, _) = &w.chain.contractors[0];
    let (s, theirs) = app.get("/api/v1/cases", ctoken).await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        theirs.to_string().contains(&id(&cases[0])) || theirs.to_string().contains(&id(&cases[1]))
    );

    // Its page: the finding, the confidential notes for its monitor, links to its cases.
    let page = app.page(&location, Some(&w.monitor)).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("<h1>Passports withheld</h1>"));
    assert!(page.body.contains("Shared Factory (CN)"));
    let notes = &page.body[page.body.find("id=\"confidential-notes\"").expect("notes")..];
    assert!(notes.contains("Told by worker W-9; do not disclose"));
    for c in cases {
        assert!(page.body.contains(&format!("href=\"/cases/{}\"", id(c))));
    }

    // The list: the finding with its cases, not highlighted.
    let list = app.page("/findings", Some(&w.monitor)).await;
    assert_eq!(list.status, StatusCode::OK);
    let row = row_of(&list.body, &format!("href=\"/findings/{finding_id}\""));
    assert!(!row.contains("highlight"), "{row}");
    assert!(list
        .body
        .contains(&format!("href=\"/cases/{}\"", id(&cases[0]))));
}

async fn the_form_refuses_bad_input_by_the_field(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let w = world(&app).await;
    let factory = w.chain.factory.clone();
    let before = api_findings(&app, &w.chain.monitor).await.len();
    let fields = |observed: &'static str, title: &'static str| {
        vec![
            ("factory_id", factory.clone()),
            ("category", "wages".to_string()),
            ("severity", "major".to_string()),
            ("title", title.to_string()),
            ("description", "Wages paid late".to_string()),
            ("observed_on", observed.to_string()),
            ("confidential_notes", "Kept notes".to_string()),
        ]
    };
    let send = |f: Vec<(&'static str, String)>| {
        let app = &app;
        let monitor = &w.monitor;
        async move {
            let pairs: Vec<(&str, &str)> = f.iter().map(|(k, v)| (*k, v.as_str())).collect();
            app.submit("/findings/new?q=shared", monitor, &pairs).await
        }
    };

    // A date that does not exist: 422, the message by the date, everything kept.
    let bad = send(fields("2026-02-30", "Late wages")).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.body);
    assert!(
        bad.body
            .contains(r#"<p id="observed_on-problem" class="problem">"#),
        "{}",
        bad.body
    );
    assert!(
        bad.body.contains(
            r#"value="2026-02-30" aria-invalid="true" aria-describedby="observed_on-problem""#
        ),
        "{}",
        bad.body
    );
    assert!(bad
        .body
        .contains(r#"id="title" name="title" type="text" required value="Late wages""#));
    assert!(bad.body.contains(">Kept notes</textarea>"));
    assert!(bad.body.contains(r#"<option value="wages" selected>"#));
    // The search the form was sent from is still listed.
    assert!(bad.body.contains("<td>Shared Factory</td>"));

    // A date in the future: the service's own rule, by the same field.
    let future = send(fields("2026-07-01", "Late wages")).await;
    assert_eq!(future.status, StatusCode::UNPROCESSABLE_ENTITY);
    let problem = &future.body[future
        .body
        .find("id=\"observed_on-problem\"")
        .expect("problem")..];
    assert!(
        problem
            .starts_with("id=\"observed_on-problem\" class=\"problem\">must not be in the future"),
        "{problem}"
    );

    // No title: the message by the title.
    let untitled = send(fields("2026-05-01", "")).await;
    assert_eq!(untitled.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        untitled
            .body
            .contains(r#"<p id="title-problem" class="problem">"#),
        "{}",
        untitled.body
    );
    assert!(untitled
        .body
        .contains(r#"aria-describedby="title-problem""#));

    // A bad evidence link: by that link's input.
    let mut with_link = fields("2026-05-01", "Late wages");
    with_link.push(("evidence[0].url", "ftp://nope".to_string()));
    let link = send(with_link).await;
    assert_eq!(link.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        link.body
            .contains(r#"<p id="evidence-0-url-problem" class="problem">"#),
        "{}",
        link.body
    );

    // Nothing was filed.
    assert_eq!(api_findings(&app, &w.chain.monitor).await.len(), before);

    // Without the CSRF token: 403, and still nothing filed.
    let mut form = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in fields("2026-05-01", "Late wages") {
        form.append_pair(k, &v);
    }
    let forged = app
        .submit_raw("/findings/new", &w.monitor, form.finish())
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert_eq!(api_findings(&app, &w.chain.monitor).await.len(), before);
}

async fn unrouted_findings_are_highlighted_and_others_are_refused(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let w = world(&app).await;
    // A factory nobody discloses: its finding reaches no contractor.
    let (_, ctoken, _, _, _) = &w.chain.contractors[0];
    let lonely = app.factory(ctoken, "Lonely Works").await;
    let unrouted = app
        .finding(&w.chain.monitor, &lonely, "minor", "2026-05-02")
        .await;
    assert_eq!(unrouted["routed"], false);
    let routed = app
        .finding(&w.chain.monitor, &w.chain.factory, "major", "2026-05-03")
        .await;
    assert_eq!(routed["routed"], true);

    let list = app.page("/findings", Some(&w.monitor)).await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.body);
    let row = row_of(&list.body, &format!("href=\"/findings/{}\"", id(&unrouted)));
    assert!(row.contains(r#"class="highlight""#), "{row}");
    let after = &list.body[list
        .body
        .find(&format!("href=\"/findings/{}\"", id(&unrouted)))
        .unwrap()..];
    let row_end = after.find("</tr>").unwrap();
    assert!(after[..row_end].contains("Lonely Works"));
    assert!(after[..row_end].contains(r#"<span class="badge amber">Unrouted</span>"#));
    let row = row_of(&list.body, &format!("href=\"/findings/{}\"", id(&routed)));
    assert!(!row.contains("highlight"), "{row}");
    // Only the unrouted ones, on asking.
    let only = app.page("/findings?routed=false", Some(&w.monitor)).await;
    assert!(only
        .body
        .contains(&format!("href=\"/findings/{}\"", id(&unrouted))));
    assert!(!only
        .body
        .contains(&format!("href=\"/findings/{}\"", id(&routed))));

    // Confidential notes are the filing monitor's: shown on its page.
    let page = app
        .page(&format!("/findings/{}", id(&unrouted)), Some(&w.monitor))
        .await;
    assert!(page.body.contains("Source: worker W-17 (do not disclose)"));
    assert!(page
        .body
        .contains("No contractor has disclosed this factory yet"));

    // A contractor and a buyer: filing is the monitors' (403 page); a finding is not theirs
    // to see (404 page); the list is the monitors' and admins' (403 page).
    let (_, contractor) = app
        .person(
            &w.chain.contractors[0].0,
            "carl@contractor.example.org",
            "Carl",
        )
        .await;
    let (_, buyer) = app
        .person(&w.chain.buyer_id, "bea@buyer.example.org", "Bea")
        .await;
    // Another monitor: the finding is not its own, so the 404 page; its list lacks it.
    let (other_monitor_id, _) = app.org("monitor", "Other Monitor").await;
    let (_, other) = app
        .person(&other_monitor_id, "otto@othermonitor.example.org", "Otto")
        .await;
    let theirs = app
        .page(&format!("/findings/{}", id(&unrouted)), Some(&other))
        .await;
    assert_eq!(theirs.status, StatusCode::NOT_FOUND);
    assert!(!theirs.body.contains("W-17"));
    let their_list = app.page("/findings", Some(&other)).await;
    assert_eq!(their_list.status, StatusCode::OK);
    assert!(!their_list.body.contains(&id(&unrouted)));
    for who in [&contractor, &buyer] {
        let new = app.page("/findings/new", Some(who)).await;
        assert_eq!(new.status, StatusCode::FORBIDDEN, "{}", new.body);
        assert!(new.body.contains("Not allowed"), "{}", new.body);
        assert!(!new.body.contains("form-finding"));
        let posted = app
            .submit(
                "/findings/new",
                who,
                &[("factory_id", &w.chain.factory), ("title", "x")],
            )
            .await;
        assert_eq!(posted.status, StatusCode::FORBIDDEN, "{}", posted.body);
        let one = app
            .page(&format!("/findings/{}", id(&routed)), Some(who))
            .await;
        assert_eq!(one.status, StatusCode::NOT_FOUND);
        assert!(!one.body.contains("W-17"));
        let list = app.page("/findings", Some(who)).await;
        assert_eq!(list.status, StatusCode::FORBIDDEN);
        assert!(!list.body.contains("Excessive overtime"));
    }
}

on_both_backends!(
    the_factory_is_found_and_the_form_files_a_routed_finding,
    the_form_refuses_bad_input_by_the_field,
    unrouted_findings_are_highlighted_and_others_are_refused,
);
