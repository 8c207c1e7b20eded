//! The registry endpoints, end to end over HTTP: organizations, tokens, factories (with
//! deduplication), components (bill of materials, cycles refused), sourcing links, contracts.

mod common;

use common::{id, Backend, TestApp};
use reqwest::StatusCode;
use serde_json::json;

async fn organizations_and_tokens(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin_token.clone();
    let (status, org) = app
        .post("/api/v1/organizations", &admin, json!({
            "name": "  Vlaamse Aankoopcentrale  ", "kind": "buyer", "country": "be",
            "notification_emails": ["a@buyer.example.be", "A@buyer.example.be", "b@buyer.example.be"],
            "language": "nl", "escalation_emails": ["legal@buyer.example.be"]}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{org}");
    // Trimmed, upper-cased, case-insensitive duplicates folded.
    assert_eq!(org["name"], "Vlaamse Aankoopcentrale");
    assert_eq!(org["country"], "BE");
    assert_eq!(
        org["notification_emails"],
        json!(["a@buyer.example.be", "b@buyer.example.be"])
    );
    assert_eq!(org["language"], "nl");
    let org_id = id(&org);

    let (status, got) = app
        .get(&format!("/api/v1/organizations/{org_id}"), &admin)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(got, org);

    let (status, patched) = app
        .patch(
            &format!("/api/v1/organizations/{org_id}"),
            &admin,
            json!({"language": "fr", "name": "VAC"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{patched}");
    assert_eq!(patched["language"], "fr");
    assert_eq!(patched["name"], "VAC");
    assert_eq!(patched["kind"], "buyer");
    let (status, _) = app
        .patch(
            &format!("/api/v1/organizations/{org_id}"),
            &admin,
            json!({"kind": "admin"}),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "the kind never changes"
    );

    // A token for it: shown once, works, lists without its secret, revokes.
    let (status, issued) = app
        .post(
            "/api/v1/tokens",
            &admin,
            json!({"organization_id": org_id, "label": "ERP"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let token = issued["token"].as_str().unwrap().to_string();
    assert!(token.len() >= 40);
    let (status, me) = app.get("/api/v1/me", &token).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me["organization"]["id"], org_id.as_str());
    assert_eq!(me["token_id"], issued["id"]);
    // The buyer may rename itself but not others.
    let (status, _) = app
        .patch(
            &format!("/api/v1/organizations/{org_id}"),
            &token,
            json!({"name": "VAC Brussel"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);

    let (status, list) = app
        .get(&format!("/api/v1/tokens?organization_id={org_id}"), &admin)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    assert!(
        list["items"][0].get("token").is_none(),
        "secrets are never listed"
    );
    assert!(!list.to_string().contains(&token));

    let (status, _) = app
        .delete(&format!("/api/v1/tokens/{}", id(&issued)), &admin)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, problem) = app.get("/api/v1/me", &token).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(problem["status"], 401);
    // Revoking again is harmless; an unknown token is 404.
    let (status, _) = app
        .delete(&format!("/api/v1/tokens/{}", id(&issued)), &admin)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = app
        .delete(&format!("/api/v1/tokens/{}", uuid::Uuid::now_v7()), &admin)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

async fn factories_are_deduplicated(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (c1_id, c1) = app.org("contractor", "C1").await;
    let (_, c2) = app.org("contractor", "C2").await;
    let body = json!({"name": "Shenzhen Bright Electronics Co., Ltd.", "address": "12 Industrial Rd, Bao'an",
        "country": "CN", "os_id": "cn2019303bq3fzp", "latitude": 22.55, "longitude": 113.88,
        "sector": "Electronics", "workers": 3200, "parent_company": "Bright Group"});
    let (status, first) = app.post("/api/v1/factories", &c1, body).await;
    assert_eq!(status, StatusCode::CREATED, "{first}");
    assert_eq!(first["os_id"], "CN2019303BQ3FZP");
    assert_eq!(first["workers"], 3200);
    assert_eq!(first["registered_by"], c1_id.as_str());

    // Same normalized name + address + country, different case and punctuation: the same
    // one, already registered (409 naming it; the registry is readable by everyone).
    let (status, again) = app
        .post(
            "/api/v1/factories",
            &c2,
            json!({"name": "SHENZHEN BRIGHT ELECTRONICS CO LTD",
            "address": "12  industrial rd., bao an", "country": "cn"}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{again}");
    assert_eq!(again["type"], "/problems/conflict");
    assert_eq!(again["existing_id"], first["id"]);
    let (status, read) = app
        .get(&format!("/api/v1/factories/{}", id(&first)), &c2)
        .await;
    assert_eq!(status, StatusCode::OK, "{read}");
    assert_eq!(read["name"], first["name"]);
    assert!(read.get("registered_by").is_none(), "{read}");

    // Same OS ID with another spelling of the name: the same one.
    let (status, by_os) = app
        .post(
            "/api/v1/factories",
            &c2,
            json!({"name": "Bright Electronics SZ", "address": "elsewhere",
            "country": "CN", "os_id": "CN2019303BQ3FZP"}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{by_os}");
    assert_eq!(by_os["existing_id"], first["id"]);

    // Another country is another factory.
    let (status, other) = app
        .post(
            "/api/v1/factories",
            &c2,
            json!({"name": "Shenzhen Bright Electronics Co., Ltd.",
            "address": "12 Industrial Rd, Bao'an", "country": "VN"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    assert_ne!(id(&other), id(&first));

    // Renaming a factory onto another's identity is a conflict naming it; the registrant may
    // edit, others not.
    let path = format!("/api/v1/factories/{}", id(&other));
    let (status, _) = app.patch(&path, &c1, json!({"workers": 10})).await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "c1 did not register this factory"
    );
    let (status, problem) = app.patch(&path, &c2, json!({"country": "CN"})).await;
    assert_eq!(status, StatusCode::CONFLICT, "{problem}");
    assert_eq!(problem["existing_id"], first["id"]);
    let (status, problem) = app
        .patch(&path, &c2, json!({"os_id": "cn2019303bq3fzp"}))
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{problem}");
    assert_eq!(problem["existing_id"], first["id"]);
    let (status, changed) = app
        .patch(&path, &c2, json!({"workers": 450, "sector": "Cables"}))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(changed["workers"], 450);

    let (status, list) = app
        .get("/api/v1/factories?country=CN", &app.admin_token)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
}

/// The registry's filters (`os_id`, `q`, `country`) combine and page like every list.
async fn factory_filters_and_pages(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_, c1) = app.org("contractor", "C1").await;
    let (_, b) = app.org("buyer", "B").await;
    let mut ids = Vec::new();
    for (name, country) in [
        ("Acme Cables Ltd.", "CN"),
        ("ACME-CABLES (Dongguan)", "CN"),
        ("Acme Cables", "VN"),
        ("Fábrica Ñandú", "MX"),
        ("Other Works", "CN"),
    ] {
        let (s, f) = app
            .post(
                "/api/v1/factories",
                &c1,
                json!({"name": name, "address": "1 Acme Road", "country": country,
                    "os_id": format!("OS{}", ids.len())}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{f}");
        ids.push(id(&f));
    }
    let listed = |v: &serde_json::Value| -> Vec<String> {
        v["items"].as_array().unwrap().iter().map(id).collect()
    };
    for (query, want) in [
        ("q=acme%20cables", vec![0, 1, 2]),
        ("q=ACME%20cables&country=CN", vec![0, 1]),
        ("q=cables%20dongguan", vec![1]),
        ("q=f%C3%81BRICA%20%C3%B1and%C3%BA", vec![3]),
        ("q=road", vec![]),
        ("os_id=os4", vec![4]),
        ("os_id=OS4&country=VN", vec![]),
        ("country=MX", vec![3]),
    ] {
        let (s, page) = app.get(&format!("/api/v1/factories?{query}"), &b).await;
        assert_eq!(s, StatusCode::OK, "{query}: {page}");
        let want: Vec<String> = want.into_iter().map(|i| ids[i].clone()).collect();
        assert_eq!(listed(&page), want, "{query}");
    }
    // Pages of one, filtered, each factory once.
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/api/v1/factories?q=acme&limit=1&cursor={c}"),
            None => "/api/v1/factories?q=acme&limit=1".to_string(),
        };
        let (s, page) = app.get(&path, &b).await;
        assert_eq!(s, StatusCode::OK, "{page}");
        seen.extend(listed(&page));
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    assert_eq!(seen, ids[..3].to_vec());
    for bad in ["q=%20", "os_id=", "country=ZZ", "q=a%00b"] {
        let (s, problem) = app.get(&format!("/api/v1/factories?{bad}"), &b).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{bad}: {problem}");
        assert_eq!(
            problem["errors"][0]["field"],
            bad.split('=').next().unwrap()
        );
    }
}

async fn bill_of_materials_sources_and_cycles(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_, c1) = app.org("contractor", "C1").await;
    let (_, c2) = app.org("contractor", "C2").await;
    let (_, laptop) = app
        .post("/api/v1/components", &c1, json!({"name": "Laptop X"}))
        .await;
    let (status, battery) = app
        .post(
            "/api/v1/components",
            &c1,
            json!({"name": "Battery pack", "parent_id": id(&laptop)}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(battery["parent_id"], laptop["id"]);
    let (_, cell) = app
        .post(
            "/api/v1/components",
            &c1,
            json!({"name": "Cell", "parent_id": id(&battery)}),
        )
        .await;
    // Another contractor cannot hang parts under c1's components.
    let (status, problem) = app
        .post(
            "/api/v1/components",
            &c2,
            json!({"name": "Intruder", "parent_id": id(&laptop)}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(problem["errors"][0]["field"], "parent_id");

    // A cycle, direct or through the chain, is refused and changes nothing.
    for (target, parent) in [(&laptop, &cell), (&laptop, &battery), (&cell, &cell)] {
        let (status, problem) = app
            .patch(
                &format!("/api/v1/components/{}", id(target)),
                &c1,
                json!({"parent_id": id(parent)}),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
        assert_eq!(problem["errors"][0]["field"], "parent_id");
    }
    let (_, still) = app
        .get(&format!("/api/v1/components/{}", id(&laptop)), &c1)
        .await;
    assert!(still["parent_id"].is_null());
    // Re-parenting without a cycle works, and null detaches.
    let (_, tray) = app
        .post("/api/v1/components", &c1, json!({"name": "Tray"}))
        .await;
    let (status, moved) = app
        .patch(
            &format!("/api/v1/components/{}", id(&cell)),
            &c1,
            json!({"parent_id": id(&tray)}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(moved["parent_id"], tray["id"]);
    let (_, detached) = app
        .patch(
            &format!("/api/v1/components/{}", id(&cell)),
            &c1,
            json!({"parent_id": null}),
        )
        .await;
    assert!(detached["parent_id"].is_null());
    let (_, children) = app
        .get(
            &format!("/api/v1/components?parent_id={}", id(&laptop)),
            &c1,
        )
        .await;
    assert_eq!(children["items"].as_array().unwrap().len(), 1);

    // Sourcing links: tier >= 1, valid_to >= valid_from, factory must exist.
    let (_, factory) = app
        .post(
            "/api/v1/factories",
            &c1,
            json!({"name": "Cell Factory", "address": "1 Road", "country": "MY"}),
        )
        .await;
    let sources = format!("/api/v1/components/{}/sources", id(&battery));
    let (status, link) = app
        .post(&sources, &c1, json!({"factory_id": id(&factory), "tier": 2, "valid_from": "2025-01-01", "valid_to": "2027-12-31"}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{link}");
    assert_eq!(link["component_id"], battery["id"]);
    let (status, same) = app
        .post(&sources, &c1, json!({"factory_id": id(&factory), "tier": 2, "valid_from": "2025-01-01", "valid_to": "2027-12-31"}))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(same["id"], link["id"]);
    for (body, field) in [
        (
            json!({"factory_id": id(&factory), "tier": 0, "valid_from": "2025-01-01"}),
            "tier",
        ),
        (
            json!({"factory_id": id(&factory), "tier": 1, "valid_from": "2025-01-01", "valid_to": "2024-12-31"}),
            "valid_to",
        ),
        (
            json!({"factory_id": uuid::Uuid::now_v7(), "tier": 1, "valid_from": "2025-01-01"}),
            "factory_id",
        ),
        (
            json!({"factory_id": id(&factory), "tier": 1, "valid_from": "2025-02-30"}),
            "valid_from",
        ),
    ] {
        let (status, problem) = app.post(&sources, &c1, body).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
        assert_eq!(problem["errors"][0]["field"], field);
    }
    // Only the owner discloses sources of its components.
    let (status, _) = app
        .post(
            &sources,
            &c2,
            json!({"factory_id": id(&factory), "tier": 2, "valid_from": "2025-01-01"}),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, listed) = app.get(&sources, &c1).await;
    assert_eq!(listed["items"].as_array().unwrap().len(), 1);
}

async fn contracts_and_items(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (buyer_id, buyer) = app.org("buyer", "B").await;
    let (c1_id, c1) = app.org("contractor", "C1").await;
    let (_, c2) = app.org("contractor", "C2").await;
    let body = json!({"reference": "FW-2026/LOT1", "title": "Laptops", "buyer_id": buyer_id,
        "contractor_id": c1_id, "starts_on": "2026-01-01", "ends_on": "2029-12-31",
        "value": {"amount": "9400000.00", "currency": "eur"}, "ocds_id": "ocds-b5fd17-1"});
    let (status, contract) = app.post("/api/v1/contracts", &buyer, body.clone()).await;
    assert_eq!(status, StatusCode::CREATED, "{contract}");
    assert_eq!(
        contract["value"],
        json!({"amount": "9400000.00", "currency": "EUR"})
    );
    assert_eq!(contract["items"], json!([]));
    let (status, _) = app.post("/api/v1/contracts", &buyer, body.clone()).await;
    assert_eq!(
        status,
        StatusCode::CONFLICT,
        "reference is unique per buyer"
    );

    let mut bad = body.clone();
    bad["reference"] = json!("X");
    bad["ends_on"] = json!("2025-01-01");
    let (status, problem) = app.post("/api/v1/contracts", &buyer, bad).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(problem["errors"][0]["field"], "ends_on");
    let mut bad = body.clone();
    bad["reference"] = json!("Y");
    bad["contractor_id"] = json!(buyer_id);
    let (_, problem) = app.post("/api/v1/contracts", &buyer, bad).await;
    assert_eq!(problem["errors"][0]["field"], "contractor_id");
    let (status, _) = app.post("/api/v1/contracts", &c1, body.clone()).await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "contractors do not register contracts"
    );

    // Items: a component of the contract's contractor, added by either party, once.
    let (_, laptop) = app
        .post("/api/v1/components", &c1, json!({"name": "Laptop"}))
        .await;
    let (_, foreign) = app
        .post("/api/v1/components", &c2, json!({"name": "Other"}))
        .await;
    let items = format!("/api/v1/contracts/{}/items", id(&contract));
    let (status, item) = app
        .post(&items, &buyer, json!({"component_id": id(&laptop)}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{item}");
    let (status, again) = app
        .post(&items, &c1, json!({"component_id": id(&laptop)}))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(again["id"], item["id"]);
    let (status, problem) = app
        .post(&items, &c1, json!({"component_id": id(&foreign)}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(problem["errors"][0]["field"], "component_id");
    let (status, _) = app
        .post(&items, &c2, json!({"component_id": id(&foreign)}))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "c2 cannot see the contract");

    let (_, got) = app
        .get(&format!("/api/v1/contracts/{}", id(&contract)), &c1)
        .await;
    assert_eq!(got["items"][0]["component_id"], laptop["id"]);
    let (_, list) = app.get("/api/v1/contracts", &buyer).await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    assert_eq!(list["items"][0]["items"].as_array().unwrap().len(), 1);
}

/// A contract reference is unique per buyer ignoring case: "FW-2026/LOT1" and "fw-2026/lot1"
/// are one reference, refused with the same problem as an exact duplicate, also when the
/// requests race and also when a row is written past the service.
async fn contract_references_are_unique_ignoring_case(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (buyer_id, buyer) = app.org("buyer", "B").await;
    let (b2_id, b2) = app.org("buyer", "B2").await;
    let (c1_id, _) = app.org("contractor", "C1").await;
    let contract = |buyer_id: &str, reference: &str| {
        json!({"reference": reference, "title": "Laptops", "buyer_id": buyer_id,
            "contractor_id": c1_id, "starts_on": "2026-01-01", "ends_on": "2029-12-31"})
    };
    let (status, first) = app
        .post(
            "/api/v1/contracts",
            &buyer,
            contract(&buyer_id, "FW-2026/LOT1"),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{first}");
    let (status, exact) = app
        .post(
            "/api/v1/contracts",
            &buyer,
            contract(&buyer_id, "FW-2026/LOT1"),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{exact}");
    for variant in ["fw-2026/lot1", "Fw-2026/Lot1"] {
        let (status, problem) = app
            .post("/api/v1/contracts", &buyer, contract(&buyer_id, variant))
            .await;
        assert_eq!(status, StatusCode::CONFLICT, "{variant}: {problem}");
        assert_eq!(problem["type"], exact["type"]);
        assert_eq!(problem["title"], exact["title"]);
        assert!(
            problem["detail"]
                .as_str()
                .unwrap()
                .starts_with("this buyer already has a contract with reference"),
            "{problem}"
        );
    }
    // Another buyer's references are its own.
    let (status, other) = app
        .post("/api/v1/contracts", &b2, contract(&b2_id, "fw-2026/lot1"))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{other}");

    // Racing requests: one wins, the others get the same conflict (never a 5xx).
    let spellings = ["RACE-1", "race-1", "Race-1", "rACE-1", "RaCe-1", "rAcE-1"];
    let answers = futures_util::future::join_all(
        spellings
            .iter()
            .map(|r| app.post("/api/v1/contracts", &buyer, contract(&buyer_id, r))),
    )
    .await;
    let created = answers
        .iter()
        .filter(|(s, _)| *s == StatusCode::CREATED)
        .count();
    assert_eq!(created, 1, "{answers:?}");
    for (status, problem) in answers.iter().filter(|(s, _)| *s != StatusCode::CREATED) {
        assert_eq!(*status, StatusCode::CONFLICT, "{problem}");
        assert_eq!(problem["type"], exact["type"], "{problem}");
        assert!(
            problem["detail"]
                .as_str()
                .unwrap()
                .starts_with("this buyer already has a contract with reference"),
            "{problem}"
        );
    }

    // The database holds the rule too, whoever writes.
    let db = app.db.clone();
    let (buyer_id2, c1_id2) = (buyer_id.clone(), c1_id.clone());
    let refused = tokio::task::spawn_blocking(move || {
        use diesel::RunQueryDsl;
        let mut conn = db.get().unwrap();
        diesel::sql_query(
            "INSERT INTO contracts (id, buyer_id, contractor_id, reference, title, starts_on, \
             ends_on, created_at, updated_at) VALUES ($1, $2, $3, 'fW-2026/lOt1', 't', \
             '2026-01-01', '2026-12-31', '2026-06-01 09:00:00', '2026-06-01 09:00:00')",
        )
        .bind::<diesel::sql_types::Text, _>(uuid::Uuid::now_v7().to_string())
        .bind::<diesel::sql_types::Text, _>(buyer_id2)
        .bind::<diesel::sql_types::Text, _>(c1_id2)
        .execute(&mut *conn)
    })
    .await
    .unwrap();
    assert!(
        matches!(
            refused,
            Err(diesel::result::Error::DatabaseError(
                diesel::result::DatabaseErrorKind::UniqueViolation,
                _
            ))
        ),
        "{refused:?}"
    );
}

async fn pagination_walks_every_page_once(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_, c1) = app.org("contractor", "C1").await;
    let mut created = Vec::new();
    for i in 0..7 {
        let (_, c) = app
            .post(
                "/api/v1/components",
                &c1,
                json!({"name": format!("Part {i}")}),
            )
            .await;
        created.push(id(&c));
    }
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let path = match &cursor {
            Some(c) => format!("/api/v1/components?limit=3&cursor={c}"),
            None => "/api/v1/components?limit=3".to_string(),
        };
        let (status, page) = app.get(&path, &c1).await;
        assert_eq!(status, StatusCode::OK);
        pages += 1;
        let items = page["items"].as_array().unwrap();
        assert!(items.len() <= 3);
        seen.extend(items.iter().map(id));
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(seen, created, "every item once, in creation order");
    for bad in ["limit=0", "limit=501", "limit=abc", "cursor=nonsense"] {
        let (status, problem) = app.get(&format!("/api/v1/components?{bad}"), &c1).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}: {problem}");
        assert_eq!(
            problem["errors"][0]["field"],
            bad.split('=').next().unwrap()
        );
    }
}

on_both_backends!(
    organizations_and_tokens,
    factories_are_deduplicated,
    factory_filters_and_pages,
    bill_of_materials_sources_and_cycles,
    contracts_and_items,
    contract_references_are_unique_ignoring_case,
    pagination_walks_every_page_once,
);
