//! The contractor's disclosure pages (`/disclosures`): its bill of materials as a tree with
//! the sourcing links and the contracts each component is sold under, and the forms that add
//! components, links and factories and end links. What a form changes is checked through the
//! API; a competitor's disclosures never show; bad input comes back by its field.

mod common;

use common::pages::Answer;
use common::{id, Backend, Session, TestApp};
use reqwest::StatusCode;
use serde_json::Value;

on_both_backends!(
    the_contractor_sees_its_tree_links_and_contracts_and_not_a_competitors,
    components_and_links_added_by_form_are_in_the_api,
    a_refused_link_comes_back_with_the_message_by_the_field_and_the_input_kept,
    ending_a_link_sets_its_last_day,
    only_contractors_have_disclosure_pages,
    a_form_without_its_csrf_token_is_refused,
);

/// A contractor's person, signed in.
async fn contractor_person(app: &TestApp, org: &str, email: &str) -> Session {
    app.person(org, email, "Carla Compliance").await.1
}

/// The sourcing links of a component, through the API.
async fn sources(app: &TestApp, token: &str, component: &str) -> Vec<Value> {
    let (s, page) = app
        .get(&format!("/api/v1/components/{component}/sources"), token)
        .await;
    assert_eq!(s, StatusCode::OK, "{page}");
    page["items"].as_array().unwrap().clone()
}

/// The contractor's components by name, through the API.
async fn component_named(app: &TestApp, token: &str, name: &str) -> Value {
    let (s, page) = app.get("/api/v1/components?limit=500", token).await;
    assert_eq!(s, StatusCode::OK, "{page}");
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no component {name} in {page}"))
        .clone()
}

fn at(body: &str, needle: &str) -> usize {
    body.find(needle)
        .unwrap_or_else(|| panic!("{needle:?} not on the page:\n{body}"))
}

/// The `<p class="problem">` beside `input`, and that the input points at it.
fn problem_of<'a>(answer: &'a Answer, input: &str) -> &'a str {
    let body = &answer.body;
    let start = at(
        body,
        &format!("<p id=\"{input}-problem\" class=\"problem\">"),
    );
    let rest = &body[start..];
    let end = rest.find("</p>").unwrap();
    assert!(
        body.contains(&format!("aria-describedby=\"{input}-problem")),
        "the input {input} is not tied to its message"
    );
    &rest[..end]
}

async fn the_contractor_sees_its_tree_links_and_contracts_and_not_a_competitors(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let chain = app.chain(2).await;
    let (cid, token, _, product, part) = chain.contractors[0].clone();
    let (_, rival_token, _, rival_product, _) = chain.contractors[1].clone();
    // A third level: a screw in the part, made at a factory of its own.
    let screw = app.component(&token, "Screw 0", Some(&part)).await;
    let screw_factory = app.factory(&token, "Fastener Works").await;
    app.source(
        &token,
        &screw,
        &screw_factory,
        "2026-03-01",
        Some("2026-12-31"),
    )
    .await;
    let rival_secret = app
        .component(&rival_token, "Rival secret module", Some(&rival_product))
        .await;
    let carla = contractor_person(&app, &cid, "carla@contractor0.example.org").await;

    let page = app.page("/disclosures", Some(&carla)).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let body = &page.body;
    // The tree: product, its part inside it, the screw inside the part.
    let p = at(body, &format!("id=\"component-{product}\""));
    let q = at(body, &format!("id=\"component-{part}\""));
    let s = at(body, &format!("id=\"component-{screw}\""));
    assert!(p < q && q < s, "the tree is out of order");
    assert!(
        body[p..q].contains("<ul class=\"tree\">"),
        "the part is not under the product"
    );
    assert!(
        body[q..s].contains("<ul class=\"tree\">"),
        "the screw is not under the part"
    );
    for text in [
        "Product 0",
        "Part 0",
        "Screw 0",
        "Shared Factory",
        "Fastener Works",
    ] {
        at(body, text);
    }
    // The product is sold under contract K0 ("Lot"); the links carry tier and dates.
    assert!(
        body[p..q].contains("K0 (Lot)"),
        "the contract of the product is missing"
    );
    let link = &body[s..];
    assert!(link.contains("<td>2</td>"), "the tier of the screw's link");
    assert!(link.contains("datetime=\"2026-03-01\""), "valid from");
    assert!(link.contains("datetime=\"2026-12-31\""), "valid to");
    // The factories table names the country.
    let factories = &body[at(body, "id=\"factories\"")..];
    assert!(factories.contains("Fastener Works") && factories.contains("<td>CN</td>"));
    // Nothing of the competitor.
    for hidden in [
        "Product 1",
        "Part 1",
        "Rival secret module",
        "K1 (Lot)",
        &rival_secret,
    ] {
        assert!(!body.contains(hidden), "a competitor's {hidden} is shown");
    }
}

async fn components_and_links_added_by_form_are_in_the_api(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (cid, token) = app.org("contractor", "Assembler").await;
    let (_, other) = app.org("contractor", "Registrant").await;
    let factory = app.factory(&other, "Pearl River Plant").await;
    let carla = contractor_person(&app, &cid, "carla@assembler.example.org").await;

    let done = app
        .submit(
            "/disclosures/components",
            &carla,
            &[("name", "Housing"), ("parent_id", "")],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    assert_eq!(
        done.location.as_deref(),
        Some("/disclosures?done=component")
    );
    let housing = component_named(&app, &token, "Housing").await;
    assert!(housing["parent_id"].is_null());
    let housing = id(&housing);
    let done = app
        .submit(
            "/disclosures/components",
            &carla,
            &[("name", "Hinge"), ("parent_id", &housing)],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    let hinge = component_named(&app, &token, "Hinge").await;
    assert_eq!(hinge["parent_id"], housing.as_str());
    let hinge = id(&hinge);

    // The registry search (a GET form) offers the factory in the link form.
    let found = app
        .page("/disclosures?q=pearl+river&country=cn", Some(&carla))
        .await;
    assert_eq!(found.status, StatusCode::OK, "{}", found.body);
    assert!(found.body.contains("Factories found: 1."), "{}", found.body);
    assert!(found.body.contains(&format!(
        "<option value=\"{factory}\">Pearl River Plant (CN)"
    )));
    let none = app.page("/disclosures?q=nowhere", Some(&carla)).await;
    assert!(none.body.contains("Factories found: 0."));

    let done = app
        .submit(
            "/disclosures/links",
            &carla,
            &[
                ("component_id", &hinge),
                ("factory_id", &factory),
                ("tier", "1"),
                ("valid_from", "2026-02-01"),
                ("valid_to", ""),
            ],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    assert_eq!(done.location.as_deref(), Some("/disclosures?done=link"));
    let links = sources(&app, &token, &hinge).await;
    assert_eq!(links.len(), 1, "{links:?}");
    assert_eq!(links[0]["factory_id"], factory.as_str());
    assert_eq!(links[0]["tier"], 1);
    assert_eq!(links[0]["valid_from"], "2026-02-01");
    assert!(links[0]["valid_to"].is_null());

    let page = app.page("/disclosures?done=link", Some(&carla)).await;
    assert!(page.body.contains("The sourcing link was added."));
    let h = at(&page.body, &format!("id=\"component-{housing}\""));
    let g = at(&page.body, &format!("id=\"component-{hinge}\""));
    assert!(h < g && page.body[h..g].contains("<ul class=\"tree\">"));
    assert!(page.body[g..].contains("Pearl River Plant"));
    assert!(page.body[g..].contains("still running"));

    // A factory the registry lacks is registered by form, then found for the link form.
    let done = app
        .submit(
            "/disclosures/factories",
            &carla,
            &[
                ("name", "Delta Cables"),
                ("address", "8 River Road"),
                ("country", "vn"),
                ("os_id", ""),
            ],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    let (_, list) = app.get("/api/v1/factories?q=delta+cables", &token).await;
    assert_eq!(list["items"][0]["country"], "VN", "{list}");
    let back = app
        .page(done.location.as_deref().unwrap(), Some(&carla))
        .await;
    assert!(back.body.contains(&format!(
        "<option value=\"{}\">Delta Cables (VN)",
        id(&list["items"][0])
    )));
    // The same factory again is refused with the registry's reason, the input kept.
    let again = app
        .submit(
            "/disclosures/factories",
            &carla,
            &[
                ("name", "Delta Cables"),
                ("address", "8 River Road"),
                ("country", "VN"),
            ],
        )
        .await;
    assert_eq!(
        again.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        again.body
    );
    assert!(
        again.body.contains("already registered") || again.body.contains("already"),
        "{}",
        again.body
    );
    assert!(again.body.contains("value=\"8 River Road\""));
}

async fn a_refused_link_comes_back_with_the_message_by_the_field_and_the_input_kept(
    backend: Backend,
) {
    let app = TestApp::spawn(backend).await;
    let chain = app.chain(1).await;
    let (cid, token, _, product, _) = chain.contractors[0].clone();
    let carla = contractor_person(&app, &cid, "carla@contractor0.example.org").await;
    let before = sources(&app, &token, &product).await.len();

    let tier0 = app
        .submit(
            "/disclosures/links",
            &carla,
            &[
                ("component_id", &product),
                ("factory_id", &chain.factory),
                ("tier", "0"),
                ("valid_from", "2026-02-01"),
                ("valid_to", "2026-08-31"),
            ],
        )
        .await;
    assert_eq!(
        tier0.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        tier0.body
    );
    assert!(problem_of(&tier0, "link-tier").contains("from 1 to 20"));
    assert!(tier0.body.contains("The form was not accepted"));
    // What was typed is still there: dates, tier, and the chosen component and factory.
    assert!(tier0
        .body
        .contains("name=\"tier\" type=\"number\" min=\"1\" max=\"20\" required value=\"0\""));
    assert!(tier0.body.contains("value=\"2026-02-01\""));
    assert!(tier0.body.contains("value=\"2026-08-31\""));
    assert!(tier0
        .body
        .contains(&format!("<option value=\"{product}\" selected>")));
    assert!(tier0
        .body
        .contains(&format!("<option value=\"{}\" selected>", chain.factory)));

    let bad_date = app
        .submit(
            "/disclosures/links",
            &carla,
            &[
                ("component_id", &product),
                ("factory_id", &chain.factory),
                ("tier", "2"),
                ("valid_from", "2026-13-45"),
            ],
        )
        .await;
    assert_eq!(
        bad_date.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        bad_date.body
    );
    assert!(problem_of(&bad_date, "link-valid_from").contains("YYYY-MM-DD"));
    assert!(bad_date.body.contains("value=\"2026-13-45\""));
    assert!(
        bad_date.body.contains("required value=\"2"),
        "the tier is kept"
    );

    // An end before the start is the service's own refusal, by its field.
    let backwards = app
        .submit(
            "/disclosures/links",
            &carla,
            &[
                ("component_id", &product),
                ("factory_id", &chain.factory),
                ("tier", "1"),
                ("valid_from", "2026-05-01"),
                ("valid_to", "2026-04-01"),
            ],
        )
        .await;
    assert_eq!(backwards.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(problem_of(&backwards, "link-valid_to").contains("on or after valid_from"));

    // A country that does not exist, in the factory form.
    let country = app
        .submit(
            "/disclosures/factories",
            &carla,
            &[
                ("name", "Nowhere Works"),
                ("address", "1 Road"),
                ("country", "QQ"),
            ],
        )
        .await;
    assert_eq!(
        country.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        country.body
    );
    problem_of(&country, "factory-country");
    assert!(country.body.contains("value=\"Nowhere Works\""));

    assert_eq!(
        sources(&app, &token, &product).await.len(),
        before,
        "nothing was disclosed"
    );
    let (_, found) = app.get("/api/v1/factories?q=nowhere+works", &token).await;
    assert_eq!(found["items"].as_array().unwrap().len(), 0);
}

async fn ending_a_link_sets_its_last_day(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let chain = app.chain(2).await;
    let (cid, token, _, _, part) = chain.contractors[0].clone();
    let (rival_id, _, _, _, _) = chain.contractors[1].clone();
    let carla = contractor_person(&app, &cid, "carla@contractor0.example.org").await;
    let rival = contractor_person(&app, &rival_id, "rita@contractor1.example.org").await;
    let link = id(&sources(&app, &token, &part).await[0]);

    let page = app.page("/disclosures", Some(&carla)).await;
    assert!(page.body.contains(&format!("id=\"form-end-{link}\"")));

    // Before the link began: refused by the field, nothing changed.
    let early = app
        .submit(
            &format!("/disclosures/links/{link}/end"),
            &carla,
            &[("valid_to", "2025-12-31")],
        )
        .await;
    assert_eq!(
        early.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        early.body
    );
    assert!(problem_of(&early, &format!("end-{link}")).contains("on or after valid_from"));
    assert!(early.body.contains("value=\"2025-12-31\""));
    assert!(sources(&app, &token, &part).await[0]["valid_to"].is_null());

    // A competitor cannot end it, and learns nothing of it.
    let other = app
        .submit(
            &format!("/disclosures/links/{link}/end"),
            &rival,
            &[("valid_to", "2026-06-30")],
        )
        .await;
    assert_eq!(other.status, StatusCode::NOT_FOUND);
    assert!(other.body.contains("Not found"));
    assert!(sources(&app, &token, &part).await[0]["valid_to"].is_null());

    let done = app
        .submit(
            &format!("/disclosures/links/{link}/end"),
            &carla,
            &[("valid_to", "2026-09-30")],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    assert_eq!(done.location.as_deref(), Some("/disclosures?done=ended"));
    assert_eq!(
        sources(&app, &token, &part).await[0]["valid_to"],
        "2026-09-30"
    );
    let page = app.page("/disclosures?done=ended", Some(&carla)).await;
    assert!(page.body.contains("datetime=\"2026-09-30\""));
}

async fn only_contractors_have_disclosure_pages(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let chain = app.chain(1).await;
    let (_, _, _, product, _) = chain.contractors[0].clone();
    let (_, buyer) = app
        .person(&chain.buyer_id, "bob@buyer.example.org", "Bob Buyer")
        .await;
    let (_, monitor) = app
        .person(&chain.monitor_id, "mia@monitor.example.org", "Mia Monitor")
        .await;
    // Buyers and monitors read components through the API but disclose none: 403.
    for who in [&buyer, &monitor] {
        let page = app.page("/disclosures", Some(who)).await;
        assert_eq!(page.status, StatusCode::FORBIDDEN);
        assert!(page.body.contains("Not allowed"), "{}", page.body);
        assert!(!page.body.contains("Product 0"));
        let post = app
            .submit(
                "/disclosures/components",
                who,
                &[("name", "Sneaky"), ("parent_id", &product)],
            )
            .await;
        assert_eq!(post.status, StatusCode::FORBIDDEN);
    }
    let (_, all) = app
        .get("/api/v1/components?limit=500", &app.admin_token)
        .await;
    assert!(!all["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["name"] == "Sneaky"));
    // Without a session, the page sends the browser to sign in and back.
    let anonymous = app.page("/disclosures", None).await;
    assert_eq!(anonymous.status, StatusCode::SEE_OTHER);
    assert_eq!(
        anonymous.location.as_deref(),
        Some("/auth/sign-in?next=%2Fdisclosures")
    );
}

async fn a_form_without_its_csrf_token_is_refused(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let chain = app.chain(1).await;
    let (cid, token, _, _, part) = chain.contractors[0].clone();
    let carla = contractor_person(&app, &cid, "carla@contractor0.example.org").await;
    let link = id(&sources(&app, &token, &part).await[0]);
    let cases = [
        (
            "/disclosures/components".to_string(),
            "name=Forged".to_string(),
        ),
        (
            "/disclosures/links".to_string(),
            format!(
                "component_id={part}&factory_id={}&tier=1&valid_from=2026-01-01",
                chain.factory
            ),
        ),
        (
            format!("/disclosures/links/{link}/end"),
            "valid_to=2026-07-01".to_string(),
        ),
        (
            "/disclosures/factories".to_string(),
            "name=Forged+Plant&address=1+Road&country=CN".to_string(),
        ),
    ];
    for (path, body) in cases {
        let answer = app.submit_raw(&path, &carla, body.clone()).await;
        assert_eq!(answer.status, StatusCode::FORBIDDEN, "{path}");
        let wrong = app
            .submit_raw(&path, &carla, format!("{body}&csrf_token=not-the-token"))
            .await;
        assert_eq!(wrong.status, StatusCode::FORBIDDEN, "{path}");
    }
    let (_, list) = app.get("/api/v1/components?limit=500", &token).await;
    assert!(!list["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["name"] == "Forged"));
    let links = sources(&app, &token, &part).await;
    assert_eq!(links.len(), 1);
    assert!(links[0]["valid_to"].is_null());
    let (_, found) = app.get("/api/v1/factories?q=forged", &token).await;
    assert_eq!(found["items"].as_array().unwrap().len(), 0);
}
