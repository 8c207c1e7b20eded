//! Every class of bad input answers a 4xx application/problem+json naming what is wrong,
//! never a 500.

mod common;

use common::{Backend, TestApp};
use reqwest::StatusCode;
use serde_json::{json, Value};

/// Sends a raw request and checks the answer is a problem document with `status`.
async fn problem(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<Vec<u8>>,
    status: StatusCode,
) -> Value {
    let mut req = app.client.request(method, format!("{}{path}", app.base));
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    if let Some(b) = body {
        req = req.body(b);
    }
    let res = req.send().await.unwrap();
    let got = res.status();
    if got != status {
        panic!(
            "{path}: {got} != {status}: {}",
            res.text().await.unwrap_or_default()
        );
    }
    assert_eq!(
        res.headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("application/problem+json"),
        "{path}"
    );
    let body: Value = res.json().await.unwrap();
    for key in ["type", "title", "status", "detail"] {
        assert!(body.get(key).is_some(), "problem without {key}: {body}");
    }
    assert_eq!(body["status"], status.as_u16());
    assert!(!body["detail"].as_str().unwrap().is_empty());
    body
}

fn field(p: &Value) -> &str {
    p["errors"][0]["field"].as_str().unwrap_or("")
}

async fn each_class_of_bad_input(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let auth = format!("Bearer {}", app.admin_token);
    let json_h = [
        ("authorization", auth.as_str()),
        ("content-type", "application/json"),
    ];
    let post = reqwest::Method::POST;
    let orgs = "/api/v1/organizations";

    // Malformed JSON, trailing garbage, invalid UTF-8, empty body: 400.
    for body in [&b"{\"name\": "[..], b"{} {}", b"\xff\xfe{}", b""] {
        problem(
            &app,
            post.clone(),
            orgs,
            &json_h,
            Some(body.to_vec()),
            StatusCode::BAD_REQUEST,
        )
        .await;
    }
    // Deep nesting is refused at the first level that does not fit, without recursing into it;
    // unbalanced deep nesting is malformed.
    let deep = "[".repeat(5000) + &"]".repeat(5000);
    problem(
        &app,
        post.clone(),
        orgs,
        &json_h,
        Some(deep.into_bytes()),
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    let unbalanced = "[".repeat(5000);
    problem(
        &app,
        post.clone(),
        orgs,
        &json_h,
        Some(unbalanced.into_bytes()),
        StatusCode::BAD_REQUEST,
    )
    .await;
    // Wrong or missing content type: 415.
    problem(
        &app,
        post.clone(),
        orgs,
        &[("authorization", &auth), ("content-type", "text/plain")],
        Some(b"{}".to_vec()),
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
    )
    .await;
    problem(
        &app,
        post.clone(),
        orgs,
        &[("authorization", &auth)],
        Some(b"{}".to_vec()),
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
    )
    .await;
    // Oversized body (the test limit is 64 KiB): 413.
    let big = json!({"name": "x".repeat(70_000)}).to_string().into_bytes();
    problem(
        &app,
        post.clone(),
        orgs,
        &json_h,
        Some(big),
        StatusCode::PAYLOAD_TOO_LARGE,
    )
    .await;

    // Well-formed JSON that does not fit: 422 naming the field.
    let valid =
        json!({"name": "B", "kind": "buyer", "country": "BE", "notification_emails": ["a@b.org"]});
    let cases: Vec<(Value, &str)> = vec![
        (
            json!({"kind": "buyer", "country": "BE", "notification_emails": ["a@b.org"]}),
            "name",
        ),
        (merge(&valid, json!({"surprise": 1})), "surprise"),
        (merge(&valid, json!({"kind": "overlord"})), "kind"),
        (merge(&valid, json!({"country": "Belgium"})), "country"),
        (merge(&valid, json!({"name": "   "})), "name"),
        (merge(&valid, json!({"name": "x".repeat(201)})), "name"),
        (merge(&valid, json!({"name": "two\nlines"})), "name"),
        (merge(&valid, json!({"name": 42})), "name"),
        (
            merge(
                &valid,
                json!({"notification_emails": ["ok@example.org", "not-an-email"]}),
            ),
            "notification_emails[1]",
        ),
        (
            merge(&valid, json!({"notification_emails": []})),
            "notification_emails",
        ),
        (merge(&valid, json!({"language": "es"})), "language"),
        (json!([1, 2]), "body"),
    ];
    for (body, expected) in cases {
        let p = problem(
            &app,
            post.clone(),
            orgs,
            &json_h,
            Some(body.to_string().into_bytes()),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
        assert_eq!(field(&p), expected, "{body}: {p}");
    }
    // Nested values: money and coordinates.
    let (_, c) = app
        .post(
            orgs,
            &app.admin_token,
            merge(&valid, json!({"kind": "contractor"})),
        )
        .await;
    let (_, b) = app
        .post(orgs, &app.admin_token, merge(&valid, json!({"name": "B2"})))
        .await;
    let contract = json!({"reference": "R", "title": "T", "buyer_id": b["id"], "contractor_id": c["id"],
        "starts_on": "2026-01-01", "ends_on": "2026-12-31", "value": {"amount": "12,5", "currency": "EUR"}});
    let p = problem(
        &app,
        post.clone(),
        "/api/v1/contracts",
        &json_h,
        Some(contract.to_string().into_bytes()),
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(field(&p), "value.amount");
    let contract = merge(
        &contract,
        json!({"value": {"amount": "12.50", "currency": "EUX"}}),
    );
    let p = problem(
        &app,
        post.clone(),
        "/api/v1/contracts",
        &json_h,
        Some(contract.to_string().into_bytes()),
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(field(&p), "value.currency");
    let factory = json!({"name": "F", "address": "A", "country": "CN", "latitude": 91.0});
    let p = problem(
        &app,
        post.clone(),
        "/api/v1/factories",
        &json_h,
        Some(factory.to_string().into_bytes()),
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(field(&p), "latitude");

    // Path, query, routes and methods.
    let get = reqwest::Method::GET;
    let auth_h = [("authorization", auth.as_str())];
    let p = problem(
        &app,
        get.clone(),
        "/api/v1/factories/not-a-uuid",
        &auth_h,
        None,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(field(&p), "id");
    let p = problem(
        &app,
        get.clone(),
        "/api/v1/factories?country=ZZ",
        &auth_h,
        None,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(field(&p), "country");
    problem(
        &app,
        get.clone(),
        &format!("/api/v1/factories/{}", uuid::Uuid::now_v7()),
        &auth_h,
        None,
        StatusCode::NOT_FOUND,
    )
    .await;
    problem(
        &app,
        get.clone(),
        "/api/v1/nothing-here",
        &auth_h,
        None,
        StatusCode::NOT_FOUND,
    )
    .await;
    problem(
        &app,
        reqwest::Method::PUT,
        "/api/v1/factories",
        &auth_h,
        None,
        StatusCode::METHOD_NOT_ALLOWED,
    )
    .await;
    // A NUL byte in a free-text query parameter went on to PostgreSQL, which refuses it in
    // text with an error: a 500 (found by schemathesis). The parameter is an address now.
    let p = problem(
        &app,
        get.clone(),
        "/api/v1/suppressions?after=%00x",
        &auth_h,
        None,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(field(&p), "after");
    // Every 405 names the methods the resource does take (RFC 9110; schemathesis checks it).
    for (method, path, allow) in [
        (reqwest::Method::PUT, "/api/v1/factories", "POST, GET"),
        (
            reqwest::Method::DELETE,
            "/api/v1/factories/{id}",
            "GET, PATCH",
        ),
        (reqwest::Method::TRACE, "/healthz", "GET"),
        (reqwest::Method::GET, "/api/v1/tokens/{id}", "DELETE"),
    ] {
        let path = path.replace("{id}", &uuid::Uuid::now_v7().to_string());
        let res = app
            .client
            .request(method.clone(), format!("{}{path}", app.base))
            .header("authorization", auth.as_str())
            .send()
            .await
            .unwrap();
        assert_eq!(
            res.status(),
            StatusCode::METHOD_NOT_ALLOWED,
            "{method} {path}"
        );
        assert_eq!(
            res.headers().get("allow").and_then(|v| v.to_str().ok()),
            Some(allow),
            "{method} {path}"
        );
    }

    // Authentication: missing, malformed, unknown.
    for headers in [
        vec![],
        vec![("authorization", "Basic abc")],
        vec![("authorization", "Bearer kz_nope")],
        vec![("authorization", "Bearer ")],
    ] {
        problem(
            &app,
            get.clone(),
            "/api/v1/me",
            &headers,
            None,
            StatusCode::UNAUTHORIZED,
        )
        .await;
    }
}

/// What schemathesis found the document got wrong, each pinned on both sides: the document
/// states the constraint, and the server holds to it.
async fn the_document_says_what_the_server_accepts(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_, doc) = app
        .request(reqwest::Method::GET, "/api/v1/openapi.json", None, None)
        .await;
    let schemas = &doc["components"]["schemas"];
    let admin = app.admin_token.clone();

    // Only statuses the code can give: /me refuses no role (but, as every operation, refuses
    // an unknown query parameter with 400).
    let me = &doc["paths"]["/api/v1/me"]["get"]["responses"];
    assert!(me["403"].is_null(), "{me}");
    assert!(me["400"].is_object(), "{me}");
    let tokens = &doc["paths"]["/api/v1/tokens"]["post"]["responses"];
    assert!(tokens["403"]["content"]["application/problem+json"].is_object());
    // 429 (failed authentications) and 503 can come from every operation, with Retry-After.
    assert!(me["429"]["headers"]["Retry-After"].is_object(), "{me}");
    assert!(me["503"]["headers"]["Retry-After"].is_object(), "{me}");

    // Codes are the lists the server checks against, not any two letters.
    let countries = schemas["CountryCode"]["enum"].as_array().unwrap();
    assert_eq!(countries.len(), 249);
    assert!(!countries.contains(&json!("AA")));
    let (s, _) = app.get("/api/v1/factories?country=AA", &admin).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(schemas["TimeZone"]["enum"]
        .as_array()
        .unwrap()
        .contains(&json!("Europe/Brussels")));
    // An hour is 0-23, also where it may be null.
    let hour = &schemas["OrganizationPatch"]["properties"]["digest_hour"];
    assert!(
        hour.to_string().contains("#/components/schemas/Hour"),
        "{hour}"
    );
    assert_eq!(schemas["Hour"]["maximum"], json!(23));
    // Every address in a list is an email, and a notification list is not empty.
    let field = &schemas["NewOrganization"]["properties"]["notification_emails"];
    assert_eq!(
        field["$ref"],
        json!("#/components/schemas/NonEmptyEmailList"),
        "{field}"
    );
    let emails = &schemas["NonEmptyEmailList"];
    assert_eq!(emails["minItems"], json!(1), "{emails}");
    assert_eq!(emails["items"]["format"], json!("email"), "{emails}");

    // Text: no control characters (C1 included) but white space at the ends, which is
    // trimmed; not only white space (no-break space too); the length as sent.
    let pattern = schemas["Name"]["pattern"].as_str().unwrap();
    assert!(pattern.contains("\\u007f-\\u009f") && pattern.contains("\\u00a0"));
    assert_eq!(schemas["Name"]["maxLength"], json!(200));
    let (s, f) = app
        .post(
            "/api/v1/factories",
            &admin,
            json!({"name": "\u{85}Acme\t", "address": "1 Road", "country": "CN"}),
        )
        .await;
    assert_eq!((s, f["name"].as_str()), (StatusCode::CREATED, Some("Acme")));
    let padded = format!("Acme{}", " ".repeat(197));
    for bad in ["Ac\u{85}me", "\u{a0}", padded.as_str()] {
        let (s, p) = app
            .post(
                "/api/v1/factories",
                &admin,
                json!({"name": bad, "address": "1 Road", "country": "CN"}),
            )
            .await;
        assert_eq!(
            (s, p["errors"][0]["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("name")),
            "{bad:?}"
        );
    }

    // A cursor is what the server issues: 16 bytes base64url (22 characters, the last one
    // with its 4 unused bits zero) or 24 bytes (32 characters).
    let cursor = doc["paths"]["/api/v1/organizations"]["get"]["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "cursor")
        .unwrap()
        .clone();
    assert!(cursor.to_string().contains("#/components/schemas/Cursor"));
    assert!(schemas["Cursor"]["pattern"]
        .as_str()
        .unwrap()
        .contains("{21}[AQgw]"));
    let ok = "A".repeat(22);
    let (s, _) = app
        .get(&format!("/api/v1/organizations?cursor={ok}"), &admin)
        .await;
    assert_eq!(s, StatusCode::OK);
    let trailing_bits = format!("{}B", "A".repeat(21));
    let (s, _) = app
        .get(
            &format!("/api/v1/organizations?cursor={trailing_bits}"),
            &admin,
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);

    // An evidence URL of up to 2000 characters: characters, not bytes (it was bytes).
    let (_, monitor) = app.org("monitor", "Monitor").await;
    let factory = app.factory(&admin, "Far Away Works").await;
    let url = format!("https://example.org/{}", "\u{e9}".repeat(1900));
    assert!(url.chars().count() <= 2000 && url.len() > 2000);
    let (s, f) = app
        .post(
            "/api/v1/findings",
            &monitor,
            json!({"factory_id": factory, "category": "wages", "severity": "minor",
                "title": "t", "description": "d", "observed_on": "2026-05-01",
                "evidence": [{"url": url}]}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{f}");
    assert_eq!(
        schemas["EvidenceUrl"]["maxLength"],
        json!(2000),
        "{}",
        schemas["EvidenceUrl"]
    );
}

/// Cursors are opaque, but a client can send any string of the documented shape. A forged
/// one gives a page or a 400, never a 500: a time key before 4713 BC reached PostgreSQL,
/// which refused it with an error (found by schemathesis).
async fn a_forged_cursor_is_a_page_or_a_400(backend: Backend) {
    use ketenzorg::pagination::Cursor;
    let app = TestApp::spawn(backend).await;
    let chain = app.chain(1).await;
    let finding = app
        .finding(&chain.monitor, &chain.factory, "major", "2026-05-01")
        .await;
    let case = finding["cases"][0]["id"].as_str().unwrap().to_string();
    let id = uuid::Uuid::now_v7().to_string();
    for key in [i64::MIN, -(1 << 62), -1, 0, 1 << 40, 1 << 62, i64::MAX] {
        let cursor = Cursor::encode_with_key(&id, key).unwrap();
        for path in [
            "/api/v1/cases?sort=next_deadline&cursor=",
            "/api/v1/cases?cursor=",
            "/api/v1/organizations?cursor=",
            "/api/v1/due-diligence?cursor=",
            &format!("/api/v1/cases/{case}/events?cursor="),
        ] {
            let (s, body) = app.get(&format!("{path}{cursor}"), &app.admin_token).await;
            assert!(
                s == StatusCode::OK || s == StatusCode::BAD_REQUEST,
                "{path}{cursor} (key {key}): {s} {body}"
            );
        }
    }
    // The earliest and the latest key bracket every case.
    let page = |key: i64| {
        let cursor = Cursor::encode_with_key(&id, key).unwrap();
        let app = &app;
        async move {
            let (_, body) = app
                .get(
                    &format!("/api/v1/cases?sort=next_deadline&cursor={cursor}"),
                    &app.admin_token,
                )
                .await;
            body["items"].as_array().unwrap().len()
        }
    };
    assert_eq!(page(i64::MIN).await, 1);
    assert_eq!(page(i64::MAX).await, 0);
    // An events cursor past i32 (2^32 wraps to 0 when narrowed) is after every event: an
    // empty page, not the first page again.
    let events = |key: i64| {
        let cursor = Cursor::encode_with_key(&id, key).unwrap();
        let (app, case) = (&app, &case);
        async move {
            let (s, body) = app
                .get(
                    &format!("/api/v1/cases/{case}/events?cursor={cursor}"),
                    &app.admin_token,
                )
                .await;
            assert_eq!(s, StatusCode::OK, "{body}");
            body["items"].as_array().unwrap().len()
        }
    };
    assert_eq!(events(1 << 32).await, 0);
    assert_eq!(events(i64::MIN).await, 1, "the case's one event");
}

fn merge(base: &Value, patch: Value) -> Value {
    let mut out = base.clone();
    for (k, v) in patch.as_object().unwrap() {
        out[k] = v.clone();
    }
    out
}

/// Dates outside years 1-9999 or in another shape are a 422 naming the field and saying the
/// format expected, in every body that carries a date or an instant.
async fn dates_are_refused_at_the_edge_with_the_format(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let chain = app.chain(1).await;
    let (contractor_id, contractor, _, _, part) = chain.contractors[0].clone();
    let f = app
        .finding(&chain.monitor, &chain.factory, "major", "2026-05-01")
        .await;
    let case = common::id(&f["cases"][0]);
    let contract = json!({"reference": "K-D", "title": "Lot", "buyer_id": chain.buyer_id,
        "contractor_id": contractor_id, "starts_on": "2026-01-01", "ends_on": "2027-12-31"});
    let finding = json!({"factory_id": chain.factory, "category": "working_hours",
        "severity": "minor", "title": "Overtime", "description": "Long weeks",
        "observed_on": "2026-05-01"});
    let source = json!({"factory_id": chain.factory, "tier": 2, "valid_from": "2026-01-01"});
    let plan = |due: Value| {
        json!({"action": "submit_plan", "plan": {"root_cause": "No controls", "actions":
            [{"description": "Cap overtime", "kind": "corrective", "owner": "Plant manager",
              "due_on": due}]}})
    };
    let extension = json!({"deadline": "acknowledge", "until": "2026-06-30T00:00:00Z",
        "reason": "the audit is in June"});
    let sources = format!("/api/v1/components/{part}/sources");
    let transitions = format!("/api/v1/cases/{case}/transitions");
    let extensions = format!("/api/v1/cases/{case}/extensions");
    let bad_dates = [
        json!("+10000-01-01"),
        json!("-0001-01-01"),
        json!("0000-01-01"),
        json!("14/10/2026"),
        json!(20261001),
    ];
    for bad in &bad_dates {
        let sends: Vec<(&str, &str, Value, &str)> = vec![
            (
                "/api/v1/contracts",
                &chain.buyer,
                merge(&contract, json!({"starts_on": bad})),
                "starts_on",
            ),
            (
                "/api/v1/contracts",
                &chain.buyer,
                merge(&contract, json!({"ends_on": bad})),
                "ends_on",
            ),
            (
                "/api/v1/findings",
                &chain.monitor,
                merge(&finding, json!({"observed_on": bad})),
                "observed_on",
            ),
            (
                &sources,
                &contractor,
                merge(&source, json!({"valid_from": bad})),
                "valid_from",
            ),
            (
                &sources,
                &contractor,
                merge(&source, json!({"valid_to": bad})),
                "valid_to",
            ),
            (
                &transitions,
                &contractor,
                plan(bad.clone()),
                "plan.actions[0].due_on",
            ),
        ];
        for (path, token, body, name) in sends {
            let (st, p) = app.post(path, token, body).await;
            assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{path} {bad}: {p}");
            assert_eq!(field(&p), name, "{p}");
            let detail = p["errors"][0]["message"].as_str().unwrap_or_default();
            assert!(
                detail.contains("YYYY-MM-DD") && detail.contains("2026-12-01"),
                "{p}"
            );
        }
    }
    for bad in [
        "+10000-01-01T00:00:00Z",
        "9999-12-31T23:00:00-02:00",
        "0001-01-01T00:00:00+01:00",
        "14/10/2026 09:00",
        "2026-06-30",
    ] {
        let (st, p) = app
            .post(
                &extensions,
                &contractor,
                merge(&extension, json!({"until": bad})),
            )
            .await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {p}");
        assert_eq!(field(&p), "until", "{p}");
        let detail = p["errors"][0]["message"].as_str().unwrap_or_default();
        assert!(
            detail.contains("RFC 3339") && detail.contains("2026-12-01T09:00:00Z"),
            "{p}"
        );
    }
    // The extremes that fit are taken, and the view of the past says the format too.
    let (st, p) = app
        .post(
            "/api/v1/contracts",
            &chain.buyer,
            merge(
                &contract,
                json!({"starts_on": "0001-01-01", "ends_on": "9999-12-31"}),
            ),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{p}");
    let k = common::id(&p);
    let (st, p) = app
        .get(
            &format!("/api/v1/contracts/{k}/due-diligence?at=14/10/2026"),
            &chain.buyer,
        )
        .await;
    assert_eq!((st, field(&p)), (StatusCode::BAD_REQUEST, "at"), "{p}");
    assert!(p["detail"].as_str().unwrap().contains("YYYY-MM-DD"), "{p}");
}

/// A byte-order mark before a JSON body is read past; an unknown query parameter is refused
/// naming it and the known ones, as an unknown body field is; `/` says what this is.
async fn first_use_rough_edges(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let mut body = b"\xEF\xBB\xBF".to_vec();
    body.extend(
        json!({"name": "BOM Buyer", "kind": "buyer", "country": "BE",
            "notification_emails": ["a@b.org"]})
        .to_string()
        .into_bytes(),
    );
    let res = app
        .client
        .post(format!("{}/api/v1/organizations", app.base))
        .bearer_auth(&app.admin_token)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);

    let auth = format!("Bearer {}", app.admin_token);
    let get = reqwest::Method::GET;
    let p = problem(
        &app,
        get.clone(),
        "/api/v1/cases?stat=open",
        &[("authorization", &auth)],
        None,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(field(&p), "stat");
    let detail = p["detail"].as_str().unwrap();
    assert!(
        detail.contains("state") && detail.contains("overdue"),
        "{detail}"
    );
    let p = problem(
        &app,
        get.clone(),
        "/api/v1/me?verbose=1",
        &[("authorization", &auth)],
        None,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(field(&p), "verbose");
    // Every parameter a list documents is taken.
    let (st, p) = app
        .get(
            "/api/v1/cases?state=open&overdue=false&sort=newest&limit=5",
            &app.admin_token,
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{p}");

    let res = app
        .client
        .get(format!("{}/", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let home: Value = res.json().await.unwrap();
    assert_eq!(home["links"]["documentation"], "/docs/");
    assert_eq!(home["links"]["openapi"], "/api/v1/openapi.json");
    let res = app
        .client
        .get(format!("{}/", app.base))
        .header("accept", "text/html,application/xhtml+xml")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    let html = res.text().await.unwrap();
    assert!(html.contains("href=\"/docs/\"") && html.contains("href=\"/api/v1/openapi.json\""));
    for link in ["/docs/", "/api/v1/openapi.json", "/healthz"] {
        let res = app
            .client
            .get(format!("{}{link}", app.base))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{link}");
    }
}

on_both_backends!(
    dates_are_refused_at_the_edge_with_the_format,
    first_use_rough_edges,
    each_class_of_bad_input,
    the_document_says_what_the_server_accepts,
    a_forged_cursor_is_a_page_or_a_400,
);

/// The OpenAPI document names enum values as they are on the wire.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_openapi_document_matches_the_wire() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let (_, doc) = app
        .request(reqwest::Method::GET, "/api/v1/openapi.json", None, None)
        .await;
    let schemas = &doc["components"]["schemas"];
    assert_eq!(
        schemas["Severity"]["enum"],
        json!(["critical", "major", "minor"])
    );
    assert_eq!(
        schemas["OrgKind"]["enum"],
        json!(["admin", "buyer", "contractor", "monitor"])
    );
    assert_eq!(schemas["Status"]["enum"], json!(["green", "amber", "red"]));
    assert!(schemas["CaseState"]["enum"]
        .as_array()
        .unwrap()
        .contains(&json!("plan_submitted")));
    // Every operation under /api/v1 is documented with its problem answers.
    for (path, ops) in doc["paths"].as_object().unwrap() {
        if path.starts_with("/api/v1/") && path != "/api/v1/openapi.json" {
            for (_, op) in ops.as_object().unwrap() {
                assert!(op["responses"]["401"].is_object(), "{path}");
            }
        }
    }
}
