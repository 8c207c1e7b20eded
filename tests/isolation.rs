//! The isolation matrix, generated from the served OpenAPI document so that a new endpoint
//! cannot escape it: every documented operation is called by every kind of outsider (another
//! contractor, a monitor that did not file the finding, a buyer of another contract, a revoked
//! token) against the objects of one contractor's world. Out of reach is 404; what DESIGN.md
//! lets an outsider see (monitors read all factories and components and every contract's
//! status; buyers the contractor directory) is listed as an exception; nothing ever leaks
//! confidential notes or the contractor's name to another contractor or monitor.

mod common;

use std::collections::BTreeMap;

use common::{id, Backend, Credential, TestApp};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

struct World {
    ids: BTreeMap<&'static str, String>,
    outsiders: Vec<(&'static str, Credential)>,
}

async fn world(app: &TestApp) -> World {
    let chain = app.chain(1).await;
    let (c1_id, c1, k1, product, part) = chain.contractors[0].clone();
    app.patch(
        &format!("/api/v1/organizations/{c1_id}"),
        &app.admin_token,
        json!({"name": "Contractor one"}),
    )
    .await;
    let finding = app
        .finding(&chain.monitor, &chain.factory, "critical", "2026-05-01")
        .await;
    let case = finding["cases"][0]["id"].as_str().unwrap().to_string();
    let (_, tok) = app
        .post(
            "/api/v1/tokens",
            &app.admin_token,
            json!({"organization_id": c1_id, "label": "second"}),
        )
        .await;
    let (_, outbox) = app.get("/api/v1/notifications", &app.admin_token).await;
    let notification = outbox["items"][0]["id"].as_str().unwrap().to_string();
    let (c2_id, c2) = app.org("contractor", "Contractor two").await;
    let (m2_id, m2) = app.org("monitor", "Monitor two").await;
    let (b2_id, b2) = app.org("buyer", "Buyer two").await;
    // A person of the contractor, and signed-in people of each kind of outsider.
    let (user, _) = app
        .person(&c1_id, "compliance@contractor-one.example.org", "Chris One")
        .await;
    let (_, c2_person) = app
        .person(&c2_id, "staff@contractor-two.example.org", "Pat Two")
        .await;
    let (_, m2_person) = app
        .person(&m2_id, "staff@monitor-two.example.org", "Kim Monitor")
        .await;
    let (_, b2_person) = app
        .person(&b2_id, "staff@buyer-two.example.org", "Lou Buyer")
        .await;
    // A session of the contractor's own person who has since been deactivated.
    let (leaver, ended) = app
        .person(&c1_id, "leaver@contractor-one.example.org", "Former Staff")
        .await;
    let (s, _) = app
        .patch(
            &format!("/api/v1/users/{leaver}"),
            &app.admin_token,
            json!({"active": false}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let (c3_id, _) = app.org("contractor", "Contractor three").await;
    app.contract(&b2_id, &b2, &c3_id, "OTHER", "2026-01-01", "2026-12-31")
        .await;
    // A revoked token of the contractor itself.
    let (_, gone) = app
        .post(
            "/api/v1/tokens",
            &app.admin_token,
            json!({"organization_id": c1_id, "label": "gone"}),
        )
        .await;
    app.delete(&format!("/api/v1/tokens/{}", id(&gone)), &app.admin_token)
        .await;
    let _ = (&c1, &part);
    // A file of the case (its contractor's), for GET /files/{id}/content.
    let (s, file) = app
        .post(
            &format!("/api/v1/cases/{case}/files"),
            &c1,
            json!({"__csv": "hours,week\n72,23\n", "__filename": "hours.csv"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{file}");
    World {
        ids: BTreeMap::from([
            ("organizations", c1_id),
            ("tokens", id(&tok)),
            ("factories", chain.factory.clone()),
            ("components", product),
            ("contracts", k1),
            ("findings", id(&finding)),
            ("cases", case),
            ("notifications", notification),
            ("suppressions", "someone@contractor.example.org".to_string()),
            ("users", user),
            ("files", id(&file)),
        ]),
        outsiders: vec![
            ("other contractor", Credential::Bearer(c2)),
            ("other monitor", Credential::Bearer(m2)),
            ("other buyer", Credential::Bearer(b2)),
            (
                "revoked token",
                Credential::Bearer(gone["token"].as_str().unwrap().to_string()),
            ),
            ("other contractor (person)", Credential::Session(c2_person)),
            ("other monitor (person)", Credential::Session(m2_person)),
            ("other buyer (person)", Credential::Session(b2_person)),
            ("ended session", Credential::Session(ended)),
        ],
    }
}

/// A valid body for each operation that takes one; an operation missing here fails the test.
fn body(method: &Method, path: &str, w: &World) -> Option<Value> {
    let f = &w.ids["factories"];
    let c = &w.ids["components"];
    let org = &w.ids["organizations"];
    Some(match (method.as_str(), path) {
        // A disclosure list is a file; tests/disclosures.rs covers whose list may be imported.
        ("POST", "/api/v1/disclosures") => json!({"__csv": format!(
            "{LIST_HEADER}\n;Thing;;Other works;1 Road;VN;;1;2026-01-01;\n"
        )}),
        // An OCDS package (a dry run by default); tests/ocds.rs covers who imports what.
        ("POST", "/api/v1/contracts/import") => ocds_package("Some buyer", "Some supplier"),
        ("PUT", "/api/v1/organizations/{id}/identifiers") => {
            json!({"identifiers": [{"scheme": "XI-TEST", "id": "outsider"}]})
        }
        ("POST", "/api/v1/organizations") => {
            json!({"name": "New", "kind": "buyer", "country": "BE", "notification_emails": ["n@new.example.org"]})
        }
        ("PATCH", "/api/v1/organizations/{id}") => json!({"name": "Renamed"}),
        ("POST", "/api/v1/tokens") => json!({"organization_id": org, "label": "x"}),
        ("POST", "/api/v1/factories") => {
            json!({"name": "Elsewhere", "address": "2 Road", "country": "TH"})
        }
        ("PATCH", "/api/v1/factories/{id}") => json!({"workers": 5}),
        ("POST", "/api/v1/components") => json!({"name": "Thing"}),
        ("PATCH", "/api/v1/components/{id}") => json!({"name": "Renamed"}),
        ("POST", "/api/v1/components/{id}/sources") => {
            json!({"factory_id": f, "tier": 2, "valid_from": "2026-01-01"})
        }
        ("POST", "/api/v1/contracts") => {
            json!({"reference": "R", "title": "T", "buyer_id": org, "contractor_id": org, "starts_on": "2026-01-01", "ends_on": "2026-12-31"})
        }
        ("POST", "/api/v1/contracts/{id}/items") => json!({"component_id": c}),
        ("POST", "/api/v1/findings") => {
            json!({"factory_id": f, "category": "wages", "severity": "minor", "title": "t", "description": "d", "observed_on": "2026-05-01"})
        }
        ("POST", "/api/v1/cases/{id}/transitions") => json!({"action": "close", "reason": "x"}),
        ("POST", "/api/v1/cases/{id}/comments") => json!({"text": "x"}),
        // An evidence file; tests/files.rs covers who attaches what.
        ("POST", "/api/v1/cases/{id}/files" | "/api/v1/findings/{id}/files") => {
            json!({"__csv": "hours,week\n72,23\n", "__filename": "hours.csv"})
        }
        ("POST", "/api/v1/cases/{id}/extensions") => {
            json!({"deadline": "acknowledge", "until": "2030-01-01T00:00:00Z", "reason": "x"})
        }
        ("POST", "/api/v1/cases/{id}/extensions/refusal") => json!({"reason": "x"}),
        ("POST", "/api/v1/notifications/{id}/requeue") => json!({}),
        ("POST", "/api/v1/users") => {
            json!({"email": "new.person@example.org", "display_name": "New Person"})
        }
        ("PATCH", "/api/v1/users/{id}") => json!({"display_name": "Renamed"}),
        ("PUT", "/api/v1/me/password") => json!({"password": "correct horse battery"}),
        _ => return None,
    })
}

/// What DESIGN.md lets an outsider get, where it is not 404.
fn allowed(who: &str, method: &Method, path: &str) -> Option<u16> {
    let get = *method == Method::GET;
    // A signed-in person has exactly the reach of their organization's token.
    let who = who.trim_end_matches(" (person)");
    match (who, path) {
        ("revoked token" | "ended session", _) => Some(401),
        // The factory registry: everyone reads it; only the registrant and admins change a factory.
        (_, "/api/v1/factories/{id}") => Some(if get { 200 } else { 403 }),
        // A factory's exposure: each caller sees its own share of it (tests/leverage.rs).
        (_, "/api/v1/factories/{id}/exposure") => Some(200),
        ("other monitor", "/api/v1/components/{id}" | "/api/v1/components/{id}/sources") if get => {
            Some(200)
        }
        ("other monitor", "/api/v1/contracts/{id}/due-diligence") => Some(200),
        // A contractor's scorecard: every monitor (without the name: no directory for
        // monitors); a buyer only of a contractor it holds a contract with.
        ("other monitor", "/api/v1/organizations/{id}/scorecard") => Some(200),
        ("other buyer", "/api/v1/organizations/{id}/scorecard") => Some(403),
        // The contractor directory; only the admin sets identifiers.
        ("other buyer", "/api/v1/organizations/{id}") => Some(if get { 200 } else { 403 }),
        ("other buyer", "/api/v1/organizations/{id}/identifiers") => Some(403),
        // Operations of a role the caller does not have: refused before any lookup.
        (
            "other monitor" | "other buyer",
            "/api/v1/components/{id}" | "/api/v1/components/{id}/sources",
        ) if !get => Some(403),
        (
            _,
            "/api/v1/tokens/{id}"
            | "/api/v1/notifications/{id}/requeue"
            | "/api/v1/suppressions/{email}",
        ) => Some(403),
        _ => None,
    }
}

async fn every_documented_operation_against_every_outsider(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let w = world(&app).await;
    let (s, doc) = app
        .request(Method::GET, "/api/v1/openapi.json", None, None)
        .await;
    assert_eq!(s, StatusCode::OK);
    let paths = doc["paths"].as_object().unwrap();
    let mut failures = Vec::new();
    let mut calls = 0;
    for (template, ops) in paths {
        if !template.starts_with("/api/v1/") || template == "/api/v1/openapi.json" {
            continue;
        }
        for (m, _) in ops.as_object().unwrap() {
            let method = Method::from_bytes(m.to_ascii_uppercase().as_bytes()).unwrap();
            if !matches!(
                method,
                Method::GET | Method::POST | Method::PATCH | Method::DELETE | Method::PUT
            ) {
                continue;
            }
            let with_body = matches!(method, Method::POST | Method::PATCH | Method::PUT);
            let payload = body(&method, template, &w);
            if with_body && payload.is_none() {
                failures.push(format!(
                    "{method} {template}: no body in the matrix; add one"
                ));
                continue;
            }
            let prefix = template
                .trim_start_matches("/api/v1/")
                .split('/')
                .next()
                .unwrap();
            let path = template
                .replace("{id}", w.ids.get(prefix).map(String::as_str).unwrap_or("-"))
                .replace("{email}", &w.ids["suppressions"]);
            let has_target = template.contains('{');
            for (who, credential) in &w.outsiders {
                let (status, answer) = app
                    .request_as(method.clone(), &path, credential, payload.as_ref())
                    .await;
                calls += 1;
                let text = answer.to_string();
                if status.is_server_error() {
                    failures.push(format!("{who} {method} {template}: {status}"));
                }
                if text.contains("W-17") {
                    failures.push(format!(
                        "{who} {method} {template}: confidential notes leaked"
                    ));
                }
                let buyer = who.starts_with("other buyer");
                let refused = matches!(*who, "revoked token" | "ended session");
                if !buyer && text.contains("Contractor one") {
                    failures.push(format!(
                        "{who} {method} {template}: the contractor's name leaked"
                    ));
                }
                // Not even its id: not as the registrant of a factory, nor anywhere else.
                if who.starts_with("other contractor")
                    && text.contains(w.ids["organizations"].as_str())
                {
                    failures.push(format!(
                        "{who} {method} {template}: the contractor's id leaked: {text}"
                    ));
                }
                // Past its allowance of failures, a revoked token is slowed (429) rather than refused.
                let slowed = refused && status == StatusCode::TOO_MANY_REQUESTS;
                if has_target && !slowed {
                    let expected = allowed(who, &method, template).unwrap_or(404);
                    if status.as_u16() != expected {
                        failures.push(format!(
                            "{who} {method} {template}: {status}, expected {expected}: {text}"
                        ));
                    }
                } else if refused && status != StatusCode::UNAUTHORIZED && !slowed {
                    failures.push(format!("{who} {method} {template}: {status}, expected 401"));
                } else if get_list(&method) {
                    // Lists in reach of an outsider hold none of the world's objects
                    // (monitors see all factories and components by design).
                    for (kind, object) in &w.ids {
                        // Everyone reads the factory registry; monitors all components and
                        // factories (with their owner and registrant) and every contract's
                        // status; buyers the contractor directory.
                        let registry = *kind == "factories";
                        let monitor_may = who.starts_with("other monitor")
                            && (matches!(*kind, "factories" | "components")
                                || (*kind == "organizations"
                                    && matches!(
                                        template.as_str(),
                                        "/api/v1/components" | "/api/v1/factories"
                                    ))
                                || (*kind == "contracts" && template == "/api/v1/due-diligence"));
                        let buyer_may = buyer && *kind == "organizations";
                        if !registry && !monitor_may && !buyer_may && text.contains(object.as_str())
                        {
                            failures.push(format!("{who} GET {template}: lists {kind} {object}"));
                        }
                    }
                }
            }
        }
    }
    assert!(
        calls > 100,
        "the document describes the API ({calls} calls)"
    );
    assert!(
        failures.is_empty(),
        "{} isolation failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

fn get_list(m: &Method) -> bool {
    *m == Method::GET
}

/// The roles of the registry world, in the order they write.
const ROLES: [&str; 5] = ["admin", "buyer", "contractor", "competitor", "monitor"];

struct Registry {
    tokens: BTreeMap<&'static str, String>,
    orgs: BTreeMap<&'static str, String>,
    /// The factory the contractor registered and discloses.
    factory: String,
    /// A factory of each role that registers factories (not the buyer).
    own_factory: BTreeMap<&'static str, String>,
    /// A component of each role that owns components (contractor, competitor).
    own_component: BTreeMap<&'static str, String>,
    contract: String,
    case: String,
    finding: String,
    notification: String,
    /// A person of the contractor.
    user: String,
}

/// A release package: one contract of `buyer` awarded to `supplier`, each with an identifier.
fn ocds_package(buyer: &str, supplier: &str) -> Value {
    json!({"releases": [{
        "ocid": "ocds-xitest-1", "id": "1", "date": "2026-01-01T00:00:00Z", "tag": ["contract"],
        "initiationType": "tender",
        "parties": [
            {"id": "B", "name": buyer, "roles": ["buyer"], "identifier": {"scheme": "XI-TEST", "id": "B1"}},
            {"id": "S", "name": supplier, "roles": ["supplier"], "identifier": {"scheme": "XI-TEST", "id": "S1"}}
        ],
        "buyer": {"id": "B", "name": buyer},
        "awards": [{"id": "A1", "status": "active", "suppliers": [{"id": "S", "name": supplier}]}],
        "contracts": [{"id": "C1", "awardID": "A1", "title": "Laptops", "status": "active",
            "period": {"startDate": "2026-01-01T00:00:00Z", "endDate": "2026-12-31T00:00:00Z"},
            "value": {"amount": 1000, "currency": "EUR"}}]
    }]})
}

const LIST_HEADER: &str = "contract references;product model;component path;factory name;address;country;OS ID;tier;valid from;valid to";

const FACTORY: (&str, &str, &str) = (
    "Shenzhen Bright Electronics Co., Ltd.",
    "12 Industrial Rd, Bao'an",
    "CN2019303BQ3FZP",
);

/// A contractor that registered and discloses a factory, with a contract of a buyer and a
/// case; a competing contractor; a monitor; the operator.
async fn registry(app: &TestApp) -> Registry {
    let (buyer_id, buyer) = app.org("buyer", "Buyer one").await;
    let (c1_id, c1) = app.org("contractor", "Contractor one").await;
    let (c2_id, c2) = app.org("contractor", "Contractor two").await;
    let (m_id, m) = app.org("monitor", "Monitor one").await;
    let (s, f) = app
        .post(
            "/api/v1/factories",
            &c1,
            json!({"name": FACTORY.0, "address": FACTORY.1, "country": "CN", "os_id": FACTORY.2,
                "sector": "Electronics", "workers": 3200, "parent_company": "Bright Group"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{f}");
    let factory = id(&f);
    let contract = app
        .contract(&buyer_id, &buyer, &c1_id, "K1", "2026-01-01", "2027-12-31")
        .await;
    let product = app.component(&c1, "Laptop", None).await;
    let part = app.component(&c1, "Battery", Some(&product)).await;
    app.item(&c1, &contract, &product).await;
    app.source(&c1, &part, &factory, "2026-01-01", None).await;
    let finding = app.finding(&m, &factory, "critical", "2026-05-01").await;
    let case = finding["cases"][0]["id"].as_str().unwrap().to_string();
    let (_, outbox) = app.get("/api/v1/notifications", &app.admin_token).await;
    let notification = outbox["items"][0]["id"].as_str().unwrap().to_string();
    let competitor_part = app.component(&c2, "Monitor", None).await;
    // The identifiers of the buyer and the contractor in `ocds_package`, so that an import of it
    // makes a contract.
    for (org, identifier) in [(&buyer_id, "B1"), (&c1_id, "S1")] {
        let (s, answer) = app
            .request(
                Method::PUT,
                &format!("/api/v1/organizations/{org}/identifiers"),
                Some(&app.admin_token),
                Some(&json!({"identifiers": [{"scheme": "XI-TEST", "id": identifier}]})),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{answer}");
    }
    let (user, _) = app
        .person(&c1_id, "person@contractor-one.example.org", "Chris One")
        .await;
    let mut own_factory = BTreeMap::new();
    for (role, token) in [
        ("admin", &app.admin_token),
        ("contractor", &c1),
        ("competitor", &c2),
        ("monitor", &m),
    ] {
        let (s, f) = app
            .post(
                "/api/v1/factories",
                token,
                json!({"name": format!("Own works of the {role}"), "address": "2 Road", "country": "VN"}),
            )
            .await;
        // (A monitor's registration is checked in
        // `a_competitor_never_sees_who_registered_or_discloses_a_factory`.)
        if s == StatusCode::CREATED || role != "monitor" {
            assert_eq!(s, StatusCode::CREATED, "{role}: {f}");
            own_factory.insert(role, id(&f));
        }
    }
    Registry {
        tokens: BTreeMap::from([
            ("admin", app.admin_token.clone()),
            ("buyer", buyer),
            ("contractor", c1),
            ("competitor", c2),
            ("monitor", m),
        ]),
        orgs: BTreeMap::from([
            ("buyer", buyer_id),
            ("contractor", c1_id),
            ("competitor", c2_id),
            ("monitor", m_id),
        ]),
        factory,
        own_factory,
        own_component: BTreeMap::from([("contractor", part), ("competitor", competitor_part)]),
        contract,
        case,
        finding: id(&finding),
        notification,
        user,
    }
}

/// The writes `role` tries on a documented operation: (path, body). Several per operation where
/// it matters: a factory that is new, one that is already registered (by its name and address
/// spelled otherwise, by its OS ID), a change onto another factory's identity.
fn writes(role: &str, method: &Method, template: &str, r: &Registry) -> Vec<(String, Value)> {
    let own_org = r
        .orgs
        .get(role)
        .cloned()
        .unwrap_or_else(|| r.orgs["contractor"].clone());
    let component = r
        .own_component
        .get(role)
        .unwrap_or(&r.own_component["contractor"]);
    let case = |tail: &str| format!("/api/v1/cases/{}{tail}", r.case);
    let f = &r.factory;
    match (method.as_str(), template) {
        ("POST", "/api/v1/organizations") => vec![(
            template.into(),
            json!({"name": format!("New of the {role}"), "kind": "buyer", "country": "BE",
                "notification_emails": ["n@new.example.org"]}),
        )],
        ("PATCH", "/api/v1/organizations/{id}") => vec![(
            format!("/api/v1/organizations/{own_org}"),
            json!({"language": "en"}),
        )],
        ("POST", "/api/v1/tokens") => vec![(
            template.into(),
            json!({"organization_id": own_org, "label": "x"}),
        )],
        // A dry run naming the registry's factory by a respelling and by its OS ID, and a near
        // match of it; the contractor's contract reference (a competitor's is "none of yours").
        ("POST", "/api/v1/disclosures") => vec![(
            format!("{template}?dry_run=true"),
            json!({"__csv": format!(
                "{LIST_HEADER}\n\
                 K1;Laptop;Battery;SHENZHEN BRIGHT ELECTRONICS CO LTD;12 industrial rd., bao an;CN;;2;2026-01-01;\n\
                 ;Monitor X;;Shenzhen Bright Electronic Company;12 Industrial Road Bao'an;CN;;1;2026-01-01;\n\
                 K1;Laptop;;Bright;elsewhere;CN;{};1;2026-01-01;\n",
                FACTORY.2.to_lowercase()
            )}),
        )],
        // A dry run of the buyer's package with the contractor as supplier, then with the
        // contractor's identifier recorded (the admin records it in the first request).
        ("POST", "/api/v1/contracts/import") => vec![
            (
                format!("{template}?dry_run=true"),
                ocds_package("Buyer one", "Contractor one"),
            ),
            (
                format!("{template}?dry_run=false"),
                ocds_package("Buyer one", "Contractor one"),
            ),
        ],
        ("PUT", "/api/v1/organizations/{id}/identifiers") => vec![(
            format!("/api/v1/organizations/{own_org}/identifiers"),
            json!({"identifiers": [{"scheme": "XI-TEST", "id": "S1"}]}),
        )],
        ("POST", "/api/v1/factories") => vec![
            (
                template.into(),
                json!({"name": format!("New works of the {role}"), "address": "3 Road", "country": "TH"}),
            ),
            (
                template.into(),
                json!({"name": "SHENZHEN BRIGHT ELECTRONICS CO LTD", "address": "12 industrial rd., bao an", "country": "cn"}),
            ),
            (
                template.into(),
                json!({"name": "Bright SZ", "address": "elsewhere", "country": "CN", "os_id": FACTORY.2.to_lowercase()}),
            ),
        ],
        ("PATCH", "/api/v1/factories/{id}") => {
            let mut out = vec![(format!("/api/v1/factories/{f}"), json!({"workers": 3300}))];
            if let Some(own) = r.own_factory.get(role) {
                out.push((
                    format!("/api/v1/factories/{own}"),
                    json!({"name": FACTORY.0, "address": FACTORY.1, "country": "CN"}),
                ));
                out.push((
                    format!("/api/v1/factories/{own}"),
                    json!({"os_id": FACTORY.2}),
                ));
            }
            out
        }
        ("POST", "/api/v1/components") => {
            vec![(
                template.into(),
                json!({"name": "Thing", "parent_id": r.own_component.get(role)}),
            )]
        }
        ("PATCH", "/api/v1/components/{id}") => vec![(
            format!("/api/v1/components/{component}"),
            json!({"name": "Renamed"}),
        )],
        // Its own factory: a disclosure of the contractor's factory would make the competitor
        // one of its disclosers.
        ("POST", "/api/v1/components/{id}/sources") => vec![(
            format!("/api/v1/components/{component}/sources"),
            json!({"factory_id": r.own_factory.get(role).unwrap_or(f), "tier": 2, "valid_from": "2026-02-01"}),
        )],
        ("POST", "/api/v1/contracts") => vec![(
            template.into(),
            json!({"reference": format!("R-{role}"), "title": "T", "buyer_id": r.orgs["buyer"],
                "contractor_id": r.orgs["contractor"], "starts_on": "2026-01-01", "ends_on": "2026-12-31"}),
        )],
        ("POST", "/api/v1/contracts/{id}/items") => vec![(
            format!("/api/v1/contracts/{}/items", r.contract),
            json!({"component_id": r.own_component["contractor"]}),
        )],
        ("POST", "/api/v1/findings") => vec![(
            template.into(),
            json!({"factory_id": f, "category": "wages", "severity": "minor", "title": "t",
                "description": "d", "observed_on": "2026-05-02"}),
        )],
        ("POST", "/api/v1/cases/{id}/transitions") => vec![(
            case("/transitions"),
            if role == "contractor" {
                json!({"action": "acknowledge"})
            } else {
                json!({"action": "close", "reason": "x"})
            },
        )],
        ("POST", "/api/v1/cases/{id}/comments") => vec![(case("/comments"), json!({"text": "x"}))],
        ("POST", "/api/v1/cases/{id}/files") => vec![(
            case("/files"),
            json!({"__csv": "hours,week\n72,23\n", "__filename": "hours.csv"}),
        )],
        ("POST", "/api/v1/findings/{id}/files") => vec![(
            format!("/api/v1/findings/{}/files", r.finding),
            json!({"__csv": "hours,week\n72,23\n", "__filename": "hours.csv"}),
        )],
        ("POST", "/api/v1/cases/{id}/extensions") => vec![(
            case("/extensions"),
            json!({"deadline": "plan", "until": "2030-01-01T00:00:00Z", "reason": "x"}),
        )],
        ("POST", "/api/v1/cases/{id}/extensions/refusal") => {
            vec![(case("/extensions/refusal"), json!({"reason": "x"}))]
        }
        ("POST", "/api/v1/notifications/{id}/requeue") => vec![(
            format!("/api/v1/notifications/{}/requeue", r.notification),
            json!({}),
        )],
        ("POST", "/api/v1/users") => vec![(
            template.into(),
            json!({"email": format!("{role}.person@people.example.org"), "display_name": "New Person"}),
        )],
        ("PATCH", "/api/v1/users/{id}") => vec![(
            format!("/api/v1/users/{}", r.user),
            json!({"display_name": "Renamed"}),
        )],
        ("PUT", "/api/v1/me/password") => vec![(
            template.into(),
            json!({"password": "correct horse battery"}),
        )],
        ("POST", "/auth/sign-in") => vec![(
            template.into(),
            json!({"email": "someone@people.example.org"}),
        )],
        ("POST", "/auth/link") => vec![(template.into(), json!({"token": "kzl_unknown"}))],
        ("POST", "/auth/sign-out") => vec![(template.into(), json!({}))],
        _ => Vec::new(),
    }
}

/// The kind of object an id field names; `subject` is the kind the request wrote (for `id`
/// and `existing_id` at the top of the answer). `None`: nothing to read it at.
fn kind_of(field: &str, parent: Option<&str>, subject: &'static str) -> Option<&'static str> {
    Some(match (field, parent) {
        ("id" | "existing_id", None) => subject,
        ("id", Some("cases")) => "cases",
        ("id", Some("finding")) => "findings",
        ("factory_id", _) => "factories",
        ("component_id" | "component_ids" | "parent_id", _) => "components",
        ("contract_id" | "contract_ids", _) => "contracts",
        ("finding_id", _) => "findings",
        ("case_id", _) => "cases",
        ("user_id" | "actor_user_id", _) => "users",
        (
            "organization_id"
            | "buyer_id"
            | "contractor_id"
            | "owner_id"
            | "registered_by"
            | "monitor_id"
            | "actor_organization_id"
            | "recipient_organization_id",
            _,
        ) => "organizations",
        _ => return None,
    })
}

/// Every (kind, id) an answer names.
fn named(
    v: &Value,
    parent: Option<&str>,
    subject: &'static str,
    out: &mut Vec<(&'static str, String)>,
) {
    match v {
        Value::Object(map) => {
            for (k, v) in map {
                let ids: Vec<&str> = match v {
                    Value::String(s) => vec![s.as_str()],
                    Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
                    _ => Vec::new(),
                };
                if let Some(kind) = kind_of(k, parent, subject) {
                    for s in ids {
                        if uuid::Uuid::parse_str(s).is_ok() {
                            out.push((kind, s.to_string()));
                        }
                    }
                }
                named(v, Some(k.as_str()), subject, out);
            }
        }
        Value::Array(items) => {
            for item in items {
                named(item, parent, subject, out);
            }
        }
        _ => {}
    }
}

/// Where `role` reads an object of `kind`; `None` when it has nowhere to (the kind has no
/// single-object read, or by design, see `by_design`).
fn read_path(role: &str, kind: &str, id: &str) -> Option<String> {
    Some(match kind {
        "factories" | "components" | "findings" | "cases" | "organizations" | "users" => {
            format!("/api/v1/{kind}/{id}")
        }
        // Monitors read no contracts as such, but every contract's status.
        "contracts" if role == "monitor" => format!("/api/v1/contracts/{id}/due-diligence"),
        "contracts" => format!("/api/v1/contracts/{id}"),
        _ => return None,
    })
}

/// References a role may get but not follow, by design (docs/security.md): a case carries its
/// finding's summary, while findings as such are the monitor's; a monitor reads only its own
/// organization, though cases and components name the contractor.
fn by_design(role: &str, kind: &str) -> bool {
    matches!(
        (role, kind),
        ("buyer" | "contractor" | "competitor", "findings") | ("monitor", "organizations")
    )
}

/// The class of item 5 of issue 12: an answer must not hand a caller an id it cannot read
/// (a duplicate factory answered with another organization's factory, a conflict naming one).
/// Every documented write, by every role, with a body that reaches its rules; every id in the
/// answer (the object written, `existing_id`, references) is then read by the same caller.
async fn every_id_a_write_answer_names_is_readable_by_its_caller(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let r = registry(&app).await;
    let (_, doc) = app
        .request(Method::GET, "/api/v1/openapi.json", None, None)
        .await;
    let mut failures = Vec::new();
    let mut checked = 0;
    for role in ROLES {
        let token = &r.tokens[role];
        for (template, ops) in doc["paths"].as_object().unwrap() {
            for (m, _) in ops.as_object().unwrap() {
                let method = Method::from_bytes(m.to_ascii_uppercase().as_bytes()).unwrap();
                if !matches!(method, Method::POST | Method::PATCH | Method::PUT) {
                    continue;
                }
                let requests = writes(role, &method, template, &r);
                if requests.is_empty() {
                    failures.push(format!(
                        "{method} {template}: no write in the test; add one"
                    ));
                    continue;
                }
                let subject: &'static str = match template.split('/').nth(3).unwrap_or("") {
                    // The answer's own id is not of a readable kind for these.
                    _ if template.ends_with("/sources")
                        || template.ends_with("/items")
                        || template.ends_with("/comments")
                        || template.ends_with("/files")
                        || template.ends_with("/requeue") =>
                    {
                        "unreadable"
                    }
                    "organizations" => "organizations",
                    "factories" => "factories",
                    "components" => "components",
                    "contracts" => "contracts",
                    "findings" => "findings",
                    "cases" => "cases",
                    "users" => "users",
                    _ => "unreadable",
                };
                for (path, body) in requests {
                    let (status, answer) = app
                        .request(method.clone(), &path, Some(token), Some(&body))
                        .await;
                    if status.is_server_error() {
                        failures.push(format!("{role} {method} {path}: {status}"));
                    }
                    let mut ids = Vec::new();
                    named(&answer, None, subject, &mut ids);
                    for (kind, object) in ids {
                        let Some(read) = read_path(role, kind, &object) else {
                            continue;
                        };
                        if by_design(role, kind) {
                            continue;
                        }
                        checked += 1;
                        let (s, _) = app.get(&read, token).await;
                        if s != StatusCode::OK {
                            failures.push(format!(
                                "{role} {method} {path} ({status}) names {kind} {object}, which it reads as {s}: {answer}"
                            ));
                        }
                    }
                }
            }
        }
    }
    assert!(checked > 40, "the answers name ids ({checked} read back)");
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// The factory registry (docs/security.md, "Factory registry"): every role reads every factory
/// (one by id, and the list with its filters); the organization that registered it is shown to
/// itself, monitors and admins only; a competitor or a buyer never learns who registered or
/// discloses it, not even from the conflict its own duplicate registration answers.
async fn a_competitor_never_sees_who_registered_or_discloses_a_factory(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let r = registry(&app).await;
    let (b2_id, b2) = app.org("buyer", "Buyer two").await;
    let c1_id = &r.orgs["contractor"];
    let f = &r.factory;
    let sees_registrant = ["admin", "contractor", "monitor"];
    let mut readers: Vec<(&str, &String)> = ROLES.iter().map(|&k| (k, &r.tokens[k])).collect();
    readers.push(("other buyer", &b2));
    let lists = [
        format!("/api/v1/factories/{f}"),
        "/api/v1/factories?limit=500".to_string(),
        format!("/api/v1/factories?os_id={}", FACTORY.2.to_lowercase()),
        "/api/v1/factories?q=bright%20ELECTRONICS%20co".to_string(),
        "/api/v1/factories?country=CN&q=shenzhen".to_string(),
    ];
    for (role, token) in &readers {
        for path in &lists {
            let (s, answer) = app.get(path, token).await;
            assert_eq!(s, StatusCode::OK, "{role} GET {path}: {answer}");
            let record = if answer.get("items").is_some() {
                let items = answer["items"].as_array().unwrap();
                items
                    .iter()
                    .find(|i| i["id"] == f.as_str())
                    .unwrap_or_else(|| panic!("{role} GET {path}: the factory is listed: {answer}"))
                    .clone()
            } else {
                answer.clone()
            };
            assert_eq!(record["name"], FACTORY.0, "{role} {path}");
            assert_eq!(record["os_id"], FACTORY.2);
            assert_eq!(record["workers"], 3200);
            assert_eq!(record["parent_company"], "Bright Group");
            if sees_registrant.contains(role) {
                assert_eq!(record["registered_by"], c1_id.as_str(), "{role} {path}");
            } else {
                assert!(
                    record.get("registered_by").is_none(),
                    "{role} {path}: {record}"
                );
                let text = answer.to_string();
                assert!(
                    !text.contains(c1_id.as_str()) && !text.contains("Contractor one"),
                    "{role} GET {path} names the registrant: {text}"
                );
            }
        }
    }
    // Filters narrow the list: another country, another name, an unknown OS ID.
    let competitor = &r.tokens["competitor"];
    for path in [
        "/api/v1/factories?country=VN&q=bright",
        "/api/v1/factories?q=nowhere%20works",
        "/api/v1/factories?os_id=XX0000000000000",
        // The name only: a word of the address is no match.
        "/api/v1/factories?q=industrial",
    ] {
        let (s, answer) = app.get(path, competitor).await;
        assert_eq!(s, StatusCode::OK, "{path}: {answer}");
        assert!(!answer.to_string().contains(f.as_str()), "{path}: {answer}");
    }
    let (_, vn) = app.get("/api/v1/factories?country=VN", competitor).await;
    assert_eq!(vn["items"].as_array().unwrap().len(), 4, "{vn}");
    // A competitor's own registration of the factory: 409 naming the factory, not its registrant.
    let (s, problem) = app
        .post(
            "/api/v1/factories",
            competitor,
            json!({"name": "Bright SZ", "address": "x", "country": "CN", "os_id": FACTORY.2}),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{problem}");
    assert_eq!(problem["existing_id"], f.as_str());
    assert!(!problem.to_string().contains(c1_id.as_str()), "{problem}");
    // Who discloses it: the sourcing links are the contractor's own.
    let part = &r.own_component["contractor"];
    for (role, token) in [("competitor", competitor), ("other buyer", &b2)] {
        let (s, _) = app
            .get(&format!("/api/v1/components/{part}/sources"), token)
            .await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{role}");
        let (_, components) = app.get("/api/v1/components?limit=500", token).await;
        assert!(!components.to_string().contains(c1_id.as_str()), "{role}");
    }
    // Who changes it: the registrant and admins; everyone else is refused.
    for role in ["competitor", "buyer", "monitor"] {
        let (s, body) = app
            .patch(
                &format!("/api/v1/factories/{f}"),
                &r.tokens[role],
                json!({"workers": 1}),
            )
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{role}: {body}");
    }
    let (s, body) = app
        .patch(
            &format!("/api/v1/factories/{f}"),
            &r.tokens["contractor"],
            json!({"workers": 3300}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    // Monitors register factories (a factory nobody disclosed yet); buyers do not.
    let (s, body) = app
        .post(
            "/api/v1/factories",
            &r.tokens["monitor"],
            json!({"name": "Undisclosed works", "address": "9 Road", "country": "KH"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{body}");
    assert_eq!(body["registered_by"], r.orgs["monitor"].as_str());
    let (s, mine) = app
        .patch(
            &format!("/api/v1/factories/{}", id(&body)),
            &r.tokens["monitor"],
            json!({"workers": 40}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{mine}");
    let (s, body) = app
        .post(
            "/api/v1/factories",
            &r.tokens["buyer"],
            json!({"name": "Buyer works", "address": "9 Road", "country": "KH"}),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{body}");
    let _ = b2_id;
}

on_both_backends!(
    every_documented_operation_against_every_outsider,
    every_id_a_write_answer_names_is_readable_by_its_caller,
    a_competitor_never_sees_who_registered_or_discloses_a_factory,
);
