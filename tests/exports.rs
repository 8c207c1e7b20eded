//! The registry exports over HTTP: the factory registry as an Open Supply Hub list
//! (`GET /api/v1/factories/export.csv`) and the factories behind a buyer's contracts
//! (`GET /api/v1/supply-chain/factories[.csv]`): columns, who may download what, formula cells
//! neutralised, ended links left out, and a registry of 20,000 factories.

mod common;

use common::{id, Backend, TestApp};
use reqwest::StatusCode;
use serde_json::{json, Value};

const OSH_HEADER: [&str; 11] = [
    "country",
    "name",
    "address",
    "sector",
    "product_type",
    "facility_type",
    "processing_type",
    "number_of_workers",
    "parent_company",
    "lat",
    "lng",
];

const SUPPLY_CHAIN_HEADER: [&str; 15] = [
    "contract_id",
    "contract_reference",
    "contract_title",
    "contractor_id",
    "contractor_name",
    "component_path",
    "component_id",
    "factory_id",
    "factory_name",
    "factory_address",
    "factory_country",
    "os_id",
    "tier",
    "valid_from",
    "valid_to",
];

const EVIL: &str = "=HYPERLINK(\"http://evil\",\"x\")";

/// A GET with a token: status, content type and body as text.
async fn download(app: &TestApp, path: &str, token: &str) -> (StatusCode, String, String) {
    let res = app
        .client
        .get(format!("{}{path}", app.base))
        .bearer_auth(token)
        .send()
        .await
        .expect("request");
    let status = res.status();
    let content_type = res
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    (status, content_type, res.text().await.unwrap())
}

/// The CSV as a header and rows of cells, read as a spreadsheet would.
fn parse(text: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(text.as_bytes());
    let mut records = reader
        .records()
        .map(|r| r.unwrap().iter().map(str::to_string).collect::<Vec<_>>());
    let header = records.next().expect("a header row");
    (header, records.collect())
}

/// The rows whose cell under `column` is `value`.
fn rows_with<'a>(
    header: &[String],
    rows: &'a [Vec<String>],
    column: &str,
    value: &str,
) -> Vec<&'a Vec<String>> {
    let i = header.iter().position(|h| h == column).unwrap();
    rows.iter().filter(|r| r[i] == value).collect()
}

/// No cell a spreadsheet would evaluate: none starts with `=`, `+`, `@`, a tab or a carriage
/// return, and one starting with `-` is a plain number.
fn no_formula(rows: &[Vec<String>]) {
    for cell in rows.iter().flatten() {
        let formula = cell.starts_with(['=', '+', '@', '\t', '\r'])
            || (cell.starts_with('-') && cell.parse::<f64>().is_err());
        assert!(!formula, "a formula cell: {cell:?}");
    }
}

async fn register(app: &TestApp, token: &str, body: Value) -> String {
    let (s, f) = app.post("/api/v1/factories", token, body).await;
    assert_eq!(s, StatusCode::CREATED, "{f}");
    id(&f)
}

async fn the_registry_exports_as_an_open_supply_hub_list(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (monitor_id, monitor) = app.org("monitor", "Monitor").await;
    let (contractor_id, contractor) = app.org("contractor", "Contractor").await;
    let (_, buyer) = app.org("buyer", "Buyer").await;
    register(
        &app,
        &monitor,
        json!({"name": "Shenzhen Bright Electronics Co., Ltd.",
        "address": "12 Industrial Rd, Bao'an", "country": "cn", "os_id": "CN2019303BQ3FZP",
        "latitude": 22.5430961, "longitude": 114.0578, "sector": "Electronics", "workers": 3200,
        "parent_company": "Bright Group"}),
    )
    .await;
    register(
        &app,
        &monitor,
        json!({"name": EVIL, "address": "+cmd", "country": "VN", "sector": "@SUM(A1)"}),
    )
    .await;
    register(
        &app,
        &contractor,
        json!({"name": "+cmd", "address": "Av. Industria 5, Tijuana", "country": "MX",
            "latitude": 32.5149, "longitude": -117.0382}),
    )
    .await;

    let (s, content_type, text) = download(
        &app,
        "/api/v1/factories/export.csv?format=open-supply-hub",
        &monitor,
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{text}");
    assert!(content_type.starts_with("text/csv"), "{content_type}");
    // The header exactly as Open Supply Hub's list template names the columns.
    assert!(
        text.starts_with(&format!("{}\n", OSH_HEADER.join(","))),
        "{text}"
    );
    let (header, rows) = parse(&text);
    assert_eq!(header, OSH_HEADER);
    assert_eq!(rows.len(), 3, "{text}");
    // Each field in its column; no column for the OS ID or who registered the factory.
    let bright = rows_with(&header, &rows, "country", "CN");
    assert_eq!(
        bright[0],
        &[
            "CN",
            "Shenzhen Bright Electronics Co., Ltd.",
            "12 Industrial Rd, Bao'an",
            "Electronics",
            "",
            "",
            "",
            "3200",
            "Bright Group",
            "22.5430961",
            "114.0578",
        ]
    );
    // Formula cells are quoted, so a spreadsheet shows them as text; a negative coordinate
    // stays a number.
    let evil = rows_with(&header, &rows, "country", "VN");
    assert_eq!(evil[0][1], format!("'{EVIL}"));
    assert_eq!(evil[0][2], "'+cmd");
    assert_eq!(evil[0][3], "'@SUM(A1)");
    let plus = rows_with(&header, &rows, "country", "MX");
    assert_eq!(plus[0][1], "'+cmd");
    assert_eq!(plus[0][9..], ["32.5149", "-117.0382"]);
    no_formula(&rows);
    assert!(!text.contains(&monitor_id) && !text.contains(&contractor_id));

    // The format is the default; admins export too.
    let (s, _, same) = download(&app, "/api/v1/factories/export.csv", &app.admin_token).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(same, text);

    // Filters: one country; factories registered or changed since a day.
    let (s, _, vn) = download(&app, "/api/v1/factories/export.csv?country=vn", &monitor).await;
    assert_eq!(s, StatusCode::OK, "{vn}");
    let (_, vn_rows) = parse(&vn);
    assert_eq!(vn_rows.len(), 1);
    assert_eq!(vn_rows[0][0], "VN");
    app.clock.advance(chrono::TimeDelta::days(10)); // 2026-06-11
    let later = register(
        &app,
        &monitor,
        json!({"name": "Later Works", "address": "9 New Rd", "country": "TH"}),
    )
    .await;
    let (s, _, since) = download(
        &app,
        "/api/v1/factories/export.csv?since=2026-06-05",
        &monitor,
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{since}");
    let (_, since_rows) = parse(&since);
    assert_eq!(since_rows.len(), 1, "{since}");
    assert_eq!(since_rows[0][1], "Later Works");
    // A change counts as well.
    let mx = {
        let (_, list) = app.get("/api/v1/factories?country=MX", &monitor).await;
        id(&list["items"][0])
    };
    let (s, _) = app
        .patch(
            &format!("/api/v1/factories/{mx}"),
            &contractor,
            json!({"workers": 40}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let (_, _, since) = download(
        &app,
        "/api/v1/factories/export.csv?since=2026-06-05",
        &monitor,
    )
    .await;
    let (header, since_rows) = parse(&since);
    assert_eq!(since_rows.len(), 2, "{since}");
    assert_eq!(rows_with(&header, &since_rows, "country", "MX")[0][7], "40");

    // A contractor exports the factories it registered, and only those.
    let (s, _, own) = download(&app, "/api/v1/factories/export.csv", &contractor).await;
    assert_eq!(s, StatusCode::OK, "{own}");
    let (header, own_rows) = parse(&own);
    assert_eq!(header, OSH_HEADER);
    assert_eq!(own_rows.len(), 1, "{own}");
    assert_eq!(own_rows[0][0], "MX");
    // A buyer does not export the registry.
    let (s, content_type, refused) = download(&app, "/api/v1/factories/export.csv", &buyer).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{refused}");
    assert!(content_type.starts_with("application/problem+json"));

    // Bad parameters are named.
    for (query, field) in [
        ("format=xlsx", "format"),
        ("since=05/06/2026", "since"),
        ("country=XX1", "country"),
        ("limit=5", "limit"),
    ] {
        let (s, body) = app
            .get(&format!("/api/v1/factories/export.csv?{query}"), &monitor)
            .await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{query}: {body}");
        assert_eq!(body["errors"][0]["field"], field, "{query}: {body}");
    }
    // The export is no factory id: `/factories/{id}` still reads factories.
    let (s, f) = app.get(&format!("/api/v1/factories/{later}"), &buyer).await;
    assert_eq!(s, StatusCode::OK, "{f}");
}

async fn twenty_thousand_factories_export_in_pages(backend: Backend) {
    use diesel::RunQueryDsl;
    use ketenzorg::factories::{dedup_key, FactoryRow};
    use ketenzorg::values::{FactoryId, OrganizationId};

    let app = TestApp::spawn(backend).await;
    let (monitor_id, monitor) = app.org("monitor", "Monitor").await;
    let n = 20_000;
    let db = app.db.clone();
    let now = app.clock.now_naive();
    tokio::task::spawn_blocking(move || {
        let mut conn = db.get().unwrap();
        let owner: OrganizationId = monitor_id.parse().unwrap();
        ketenzorg::db::write_tx(&mut conn, |c| {
            for i in 0..n {
                let name = format!("Factory {i:05}");
                let address = format!("{i} Export Road");
                let row = FactoryRow {
                    id: FactoryId::new(),
                    dedup_key: dedup_key(&name, &address, "VN"),
                    name,
                    address,
                    country: "VN".into(),
                    os_id: None,
                    latitude: None,
                    longitude: None,
                    sector: Some("Electronics".into()),
                    workers: Some(i),
                    parent_company: None,
                    created_by: owner,
                    created_at: now,
                    updated_at: now,
                };
                diesel::insert_into(ketenzorg::schema::factories::table)
                    .values(&row)
                    .execute(c)?;
            }
            Ok(())
        })
        .unwrap();
    })
    .await
    .unwrap();
    let started = std::time::Instant::now();
    let (s, _, text) = download(&app, "/api/v1/factories/export.csv", &monitor).await;
    assert_eq!(s, StatusCode::OK);
    let (header, rows) = parse(&text);
    assert_eq!(header, OSH_HEADER);
    assert_eq!(rows.len(), n as usize);
    // Every factory once, across the pages.
    let mut workers: Vec<i32> = rows.iter().map(|r| r[7].parse().unwrap()).collect();
    workers.sort_unstable();
    assert!(workers.iter().copied().eq(0..n));
    assert!(
        started.elapsed() < std::time::Duration::from_secs(60),
        "{:?}",
        started.elapsed()
    );
}

/// A buyer's contract with one contractor: a product whose part and sub-part are made at
/// factories; returns (buyer id, buyer token, contractor id, contractor token, contract id).
async fn contract_world(app: &TestApp, who: &str) -> (String, String, String, String, String) {
    let (buyer_id, buyer) = app.org("buyer", &format!("Buyer {who}")).await;
    let (contractor_id, contractor) = app.org("contractor", &format!("Contractor {who}")).await;
    let k = app
        .contract(
            &buyer_id,
            &buyer,
            &contractor_id,
            &format!("K-{who}"),
            "2026-01-01",
            "2027-12-31",
        )
        .await;
    (buyer_id, buyer, contractor_id, contractor, k)
}

async fn link(
    app: &TestApp,
    token: &str,
    component: &str,
    factory: &str,
    tier: i32,
    to: Option<&str>,
) {
    let (s, body) = app
        .post(
            &format!("/api/v1/components/{component}/sources"),
            token,
            json!({"factory_id": factory, "tier": tier, "valid_from": "2026-01-01", "valid_to": to}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{body}");
}

async fn a_buyer_exports_the_factories_behind_its_own_contracts(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (a_id, buyer_a, ca_id, contractor_a, ka) = contract_world(&app, "A").await;
    let (b_id, buyer_b, _, contractor_b, kb) = contract_world(&app, "B").await;
    let (_, monitor) = app.org("monitor", "Monitor").await;

    // A's supply chain: Laptop > Mainboard > Battery cell, a factory at each level, one link
    // ended before today (2026-06-01) and one ending later.
    let laptop = app.component(&contractor_a, "Laptop 14", None).await;
    let board = app
        .component(&contractor_a, "Mainboard", Some(&laptop))
        .await;
    let cell = app
        .component(&contractor_a, "Battery cell", Some(&board))
        .await;
    app.item(&contractor_a, &ka, &laptop).await;
    let assembly = register(
        &app,
        &contractor_a,
        json!({"name": "Assembly Works",
        "address": "1 Assembly Rd", "country": "CN", "os_id": "CN2019303BQ3FZP"}),
    )
    .await;
    let evil = register(
        &app,
        &contractor_a,
        json!({"name": EVIL, "address": "+cmd", "country": "TW"}),
    )
    .await;
    let ended = register(
        &app,
        &contractor_a,
        json!({"name": "Former Cells Ltd", "address": "3 Old Rd", "country": "KR"}),
    )
    .await;
    let cells = register(
        &app,
        &contractor_a,
        json!({"name": "Current Cells Ltd", "address": "4 New Rd", "country": "KR"}),
    )
    .await;
    link(&app, &contractor_a, &laptop, &assembly, 1, None).await;
    link(&app, &contractor_a, &board, &evil, 2, None).await;
    link(&app, &contractor_a, &cell, &ended, 3, Some("2026-05-01")).await;
    link(&app, &contractor_a, &cell, &cells, 3, Some("2026-12-31")).await;
    // B's: a tablet made at a factory of its own.
    let tablet = app.component(&contractor_b, "Tablet 10", None).await;
    app.item(&contractor_b, &kb, &tablet).await;
    let b_factory = register(
        &app,
        &contractor_b,
        json!({"name": "Tablet Factory of B", "address": "5 B Rd", "country": "VN"}),
    )
    .await;
    link(&app, &contractor_b, &tablet, &b_factory, 1, None).await;

    let (s, content_type, text) =
        download(&app, "/api/v1/supply-chain/factories.csv", &buyer_a).await;
    assert_eq!(s, StatusCode::OK, "{text}");
    assert!(content_type.starts_with("text/csv"), "{content_type}");
    let (header, rows) = parse(&text);
    assert_eq!(header, SUPPLY_CHAIN_HEADER);
    assert_eq!(rows.len(), 3, "{text}");
    // By component path: the product, then its part, then the part's part.
    let row = |i: usize| -> Vec<&str> { rows[i].iter().map(String::as_str).collect() };
    assert_eq!(
        row(0),
        [
            ka.as_str(),
            "K-A",
            "Lot",
            ca_id.as_str(),
            "Contractor A",
            "Laptop 14",
            laptop.as_str(),
            assembly.as_str(),
            "Assembly Works",
            "1 Assembly Rd",
            "CN",
            "CN2019303BQ3FZP",
            "1",
            "2026-01-01",
            "",
        ]
    );
    assert_eq!(row(1)[5], "Laptop 14 > Mainboard");
    assert_eq!(row(1)[8], format!("'{EVIL}"));
    assert_eq!(row(1)[9], "'+cmd");
    assert_eq!(row(1)[12], "2");
    assert_eq!(row(2)[5], "Laptop 14 > Mainboard > Battery cell");
    assert_eq!(row(2)[8], "Current Cells Ltd");
    assert_eq!(row(2)[14], "2026-12-31");
    no_formula(&rows);
    // The ended link is not in it; nor anything of the other buyer.
    assert!(!text.contains("Former Cells Ltd") && !text.contains(&ended));
    assert!(!text.contains("Tablet Factory of B") && !text.contains(&b_factory));
    assert!(!text.contains("K-B") && !text.contains("Contractor B"));

    // The same rows as JSON.
    let (s, json) = app.get("/api/v1/supply-chain/factories", &buyer_a).await;
    assert_eq!(s, StatusCode::OK, "{json}");
    assert_eq!(json["as_of"], "2026-06-01");
    let items = json["items"].as_array().unwrap();
    assert_eq!(items.len(), 3);
    assert_eq!(items[0]["factory_id"], assembly.as_str());
    assert_eq!(items[0]["contractor_name"], "Contractor A");
    assert_eq!(
        items[1]["factory_name"], EVIL,
        "JSON carries the name as it is"
    );
    assert_eq!(items[2]["tier"], 3);
    assert_eq!(items[2]["valid_to"], "2026-12-31");
    assert!(!json.to_string().contains("Tablet Factory of B"));

    // The other buyer sees its own and none of A's.
    let (s, _, b_text) = download(&app, "/api/v1/supply-chain/factories.csv", &buyer_b).await;
    assert_eq!(s, StatusCode::OK);
    let (_, b_rows) = parse(&b_text);
    assert_eq!(b_rows.len(), 1, "{b_text}");
    assert_eq!(b_rows[0][1], "K-B");
    assert_eq!(b_rows[0][8], "Tablet Factory of B");
    for a_word in [
        "Assembly Works",
        "Current Cells",
        "HYPERLINK",
        "K-A",
        "Laptop",
    ] {
        assert!(!b_text.contains(a_word), "{a_word} in {b_text}");
    }
    // A buyer names no other buyer.
    let (s, body) = app
        .get(
            &format!("/api/v1/supply-chain/factories.csv?buyer={b_id}"),
            &buyer_a,
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{body}");
    let (s, _, own) = download(
        &app,
        &format!("/api/v1/supply-chain/factories.csv?buyer={a_id}"),
        &buyer_a,
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(own, text);

    // A contractor gets the rows of its own contracts.
    let (s, _, c_text) = download(&app, "/api/v1/supply-chain/factories.csv", &contractor_a).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(c_text, text);
    let (s, _, cb_text) = download(&app, "/api/v1/supply-chain/factories.csv", &contractor_b).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(cb_text, b_text);

    // Monitors read no contracts as such: refused.
    let (s, body) = app
        .get("/api/v1/supply-chain/factories.csv", &monitor)
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{body}");
    let (s, _) = app.get("/api/v1/supply-chain/factories", &monitor).await;
    assert_eq!(s, StatusCode::FORBIDDEN);

    // Admins see every contract, or one buyer's; a buyer id that names no buyer is a 404.
    let admin = app.admin_token.clone();
    let (s, _, all) = download(&app, "/api/v1/supply-chain/factories.csv", &admin).await;
    assert_eq!(s, StatusCode::OK);
    let (_, all_rows) = parse(&all);
    assert_eq!(all_rows.len(), 4, "{all}");
    let (s, _, only_a) = download(
        &app,
        &format!("/api/v1/supply-chain/factories.csv?buyer={a_id}"),
        &admin,
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(only_a, text);
    let (s, body) = app
        .get(
            &format!("/api/v1/supply-chain/factories?buyer={ca_id}"),
            &admin,
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{body}");
    let (s, body) = app
        .get("/api/v1/supply-chain/factories?buyer=nobody", &admin)
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["errors"][0]["field"], "buyer");

    // A link ends when its last day has passed: on 2027-01-01 the cells' factory is gone.
    app.clock.set(common::at("2027-01-01T08:00:00Z"));
    let (_, _, later) = download(&app, "/api/v1/supply-chain/factories.csv", &buyer_a).await;
    let (_, later_rows) = parse(&later);
    assert_eq!(later_rows.len(), 2, "{later}");
    assert!(!later.contains("Current Cells Ltd"), "{later}");
}

/// The buyer's portfolio page links to the export, and the link works with the session.
async fn the_portfolio_page_links_to_the_export(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (a_id, _, _, contractor_a, ka) = contract_world(&app, "A").await;
    let laptop = app.component(&contractor_a, "Laptop 14", None).await;
    app.item(&contractor_a, &ka, &laptop).await;
    let factory = app.factory(&contractor_a, "Assembly Works").await;
    link(&app, &contractor_a, &laptop, &factory, 1, None).await;
    let (_, session) = app
        .person(&a_id, "bea@buyer-a.example.org", "Bea Buyer")
        .await;
    let page = app.page("/contracts", Some(&session)).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(
        page.body
            .contains("href=\"/api/v1/supply-chain/factories.csv\" download>Factories behind these contracts (CSV)</a>"),
        "{}",
        page.body
    );
    let csv = app
        .page("/api/v1/supply-chain/factories.csv", Some(&session))
        .await;
    assert_eq!(csv.status, StatusCode::OK, "{}", csv.body);
    assert!(csv.body.contains("Assembly Works"), "{}", csv.body);
}

/// Both exports are in the OpenAPI document.
async fn the_exports_are_documented(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (s, doc) = app
        .request(reqwest::Method::GET, "/api/v1/openapi.json", None, None)
        .await;
    assert_eq!(s, StatusCode::OK);
    for path in [
        "/api/v1/factories/export.csv",
        "/api/v1/supply-chain/factories",
        "/api/v1/supply-chain/factories.csv",
    ] {
        let get = &doc["paths"][path]["get"];
        assert!(get.is_object(), "{path} is documented");
        assert!(get["responses"]["200"].is_object(), "{path}");
    }
    let export = &doc["paths"]["/api/v1/factories/export.csv"]["get"];
    assert!(export["responses"]["200"]["content"]["text/csv"].is_object());
    let names: Vec<&str> = export["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["format", "country", "since"]);
}

on_both_backends!(
    the_registry_exports_as_an_open_supply_hub_list,
    twenty_thousand_factories_export_in_pages,
    a_buyer_exports_the_factories_behind_its_own_contracts,
    the_portfolio_page_links_to_the_export,
    the_exports_are_documented,
);
