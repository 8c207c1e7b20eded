//! Disclosure lists as spreadsheets (issue 16): dry run, commit, the list sent again as a
//! diff, export -> import as the identity, near matches, XLSX, the template, bad files, and
//! who may import and export what. Every test on SQLite and, with TEST_DATABASE_URL, on
//! PostgreSQL.

mod common;

use common::{id, Backend, TestApp};
use reqwest::StatusCode;
use serde_json::{json, Value};

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
const HEADER: &str = "contract references;product model;component path;factory name;address;country;OS ID;tier;valid from;valid to";

impl TestApp {
    async fn upload(
        &self,
        token: &str,
        query: &str,
        content_type: &str,
        body: Vec<u8>,
    ) -> (StatusCode, Value) {
        let res = self
            .client
            .post(format!("{}/api/v1/disclosures{query}", self.base))
            .bearer_auth(token)
            .header("Content-Type", content_type)
            .body(body)
            .send()
            .await
            .expect("request");
        let status = res.status();
        let text = res.text().await.unwrap_or_default();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    async fn csv(&self, token: &str, query: &str, rows: &[&str]) -> (StatusCode, Value) {
        // As Excel saves "CSV UTF-8" in a Belgian locale: a byte order mark and semicolons.
        let mut text = String::from("\u{feff}");
        text.push_str(HEADER);
        for r in rows {
            text.push_str("\r\n");
            text.push_str(r);
        }
        self.upload(token, query, "text/csv", text.into_bytes())
            .await
    }

    async fn download(&self, token: &str, path: &str) -> (StatusCode, Vec<u8>) {
        let res = self
            .client
            .get(format!("{}{path}", self.base))
            .bearer_auth(token)
            .send()
            .await
            .expect("request");
        let status = res.status();
        (status, res.bytes().await.unwrap_or_default().to_vec())
    }
}

struct Setup {
    buyer_id: String,
    buyer: String,
    contractor_id: String,
    contractor: String,
    monitor: String,
    shenzhen: String,
}

async fn setup(app: &TestApp) -> Setup {
    let (buyer_id, buyer) = app.org("buyer", "Buyer").await;
    let (contractor_id, contractor) = app.org("contractor", "Contractor").await;
    let (_, monitor) = app.org("monitor", "Monitor").await;
    let (_, other) = app.org("contractor", "Other contractor").await;
    app.contract(
        &buyer_id,
        &buyer,
        &contractor_id,
        "K-1",
        "2026-01-01",
        "2027-12-31",
    )
    .await;
    let (s, f) = app
        .post(
            "/api/v1/factories",
            &other,
            json!({"name": "Shenzhen Precision Co., Ltd.",
            "address": "12 Industrial Rd", "country": "CN", "os_id": "CN2019000AAA"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{f}");
    Setup {
        buyer_id,
        buyer,
        contractor_id,
        contractor,
        monitor,
        shenzhen: id(&f),
    }
}

const FIRST: [&str; 4] = [
    "K-1;Laptop X14;Mainboard;SHENZHEN PRECISION CO LTD;12 Industrial Rd.;cn;;2;2026-01-01;",
    "K-1;Laptop X14;Mainboard > Battery cell;Hanoi Battery Works;5 Tran Phu;VN;;3;2026-02-01;",
    "k-1;Laptop X14;;Assembly Plant;9 Avenue;CN;CN2026999ZZZ;1;2026-01-01;",
    ";Dock D1;Cable;Cable Maker;3 Jalan Besar;MY;;2;2026-01-01;2026-12-31",
];

async fn list_is_dry_run_committed_and_sent_again_as_a_diff(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let s = setup(&app).await;
    // A finding at the Shenzhen factory, before the contractor disclosed it: no case yet.
    let finding = app
        .finding(&s.monitor, &s.shenzhen, "major", "2026-05-01")
        .await;
    assert_eq!(
        finding["cases"].as_array().map(Vec::len),
        Some(0),
        "{finding}"
    );

    let (status, dry) = app.csv(&s.contractor, "", &FIRST).await;
    assert_eq!(status, StatusCode::OK, "{dry}");
    assert_eq!(dry["dry_run"], true);
    assert_eq!(dry["committed"], false);
    assert_eq!(dry["format"], "csv");
    assert_eq!(
        (
            dry["rows"].as_u64(),
            dry["created"].as_u64(),
            dry["matched"].as_u64()
        ),
        (Some(4), Some(4), Some(1)),
        "{dry}"
    );
    assert_eq!(
        (
            dry["unchanged"].as_u64(),
            dry["ended"].as_u64(),
            dry["errors"].as_u64()
        ),
        (Some(0), Some(0), Some(0))
    );
    assert_eq!(
        dry["details"],
        json!({"factories_created": 3, "components_created": 5,
        "contract_items_created": 1, "cases_opened": 1})
    );
    assert_eq!(dry["listed"][0]["factory"], "name_address_country");
    assert_eq!(dry["listed"][0]["factory_id"], s.shenzhen.as_str());
    assert_eq!(dry["listed"][0]["new_contract_items"], json!(["K-1"]));
    assert_eq!(dry["listed"][2]["factory"], "new");
    // Nothing was written.
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM components").await, 0);
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM factories").await, 1);
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM cases").await, 0);

    let (status, done) = app.csv(&s.contractor, "?dry_run=false", &FIRST).await;
    assert_eq!(status, StatusCode::OK, "{done}");
    assert_eq!(done["committed"], true);
    assert_eq!(
        done["details"], dry["details"],
        "the dry run told what the commit did"
    );
    assert_eq!(done["created"], 4);
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM components").await, 5);
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM sourcing_links").await,
        4
    );
    // Routing ran: the finding now reaches the contractor, and the buyer sees the case.
    let (_, cases) = app.get("/api/v1/cases", &s.contractor).await;
    assert_eq!(cases["items"].as_array().map(Vec::len), Some(1), "{cases}");
    let (_, cases) = app.get("/api/v1/cases", &s.buyer).await;
    assert_eq!(cases["items"].as_array().map(Vec::len), Some(1), "{cases}");

    // The same file twice changes nothing.
    let (status, again) = app.csv(&s.contractor, "?dry_run=false", &FIRST).await;
    assert_eq!(status, StatusCode::OK, "{again}");
    assert_eq!(
        (
            again["created"].as_u64(),
            again["unchanged"].as_u64(),
            again["changed"].as_u64(),
            again["ended"].as_u64()
        ),
        (Some(0), Some(4), Some(0), Some(0)),
        "{again}"
    );
    assert_eq!(again["details"]["factories_created"], 0);
    assert_eq!(again["listed"], json!([]));

    // A changed list: the cable is gone, the battery cell moved to tier 2.
    let changed = [
        FIRST[0],
        "K-1;Laptop X14;Mainboard > Battery cell;Hanoi Battery Works;5 Tran Phu;VN;;2;2026-02-01;",
        FIRST[2],
    ];
    let (status, diff) = app.csv(&s.contractor, "?dry_run=false", &changed).await;
    assert_eq!(status, StatusCode::OK, "{diff}");
    assert_eq!(
        (
            diff["created"].as_u64(),
            diff["changed"].as_u64(),
            diff["unchanged"].as_u64(),
            diff["ended"].as_u64()
        ),
        (Some(0), Some(1), Some(2), Some(1)),
        "{diff}"
    );
    assert_eq!(diff["listed"][0]["change"], "tier 3 -> 2");
    assert_eq!(diff["ended_links"][0]["factory_name"], "Cable Maker");
    assert_eq!(diff["ended_links"][0]["product_model"], "Dock D1");
    assert_eq!(diff["ended_links"][0]["component_path"], "Cable");
    // Ended on the import's date (the test clock's day), not deleted.
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM sourcing_links").await,
        4
    );
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM sourcing_links WHERE valid_to = '2026-06-01'")
            .await,
        1
    );

    // Export -> import is the identity.
    let (status, csv) = app
        .download(&s.contractor, "/api/v1/disclosures/export.csv")
        .await;
    assert_eq!(status, StatusCode::OK);
    let text = String::from_utf8(csv.clone()).unwrap();
    assert_eq!(
        text.lines().count(),
        4,
        "a header and the three links in force: {text}"
    );
    assert!(text.contains("Hanoi Battery Works"), "{text}");
    assert!(
        !text.contains("Cable Maker"),
        "an ended link is not in the list: {text}"
    );
    let (status, same) = app
        .upload(&s.contractor, "?dry_run=false", "text/csv", csv)
        .await;
    assert_eq!(status, StatusCode::OK, "{same}");
    assert_eq!(
        (
            same["unchanged"].as_u64(),
            same["created"].as_u64(),
            same["changed"].as_u64(),
            same["ended"].as_u64()
        ),
        (Some(3), Some(0), Some(0), Some(0)),
        "{same}"
    );
    let _ = (&s.buyer_id, &s.contractor_id);
}

async fn bad_files_are_refused_with_their_reason(backend: Backend) {
    let app = TestApp::spawn_with(backend, &[("KETENZORG_MAX_UPLOAD_BYTES", "20000")]).await;
    let s = setup(&app).await;

    // Columns missing: the answer names them and the expected ones.
    let (status, p) = app
        .upload(
            &s.contractor,
            "",
            "text/csv",
            b"product model,factory name,colour\nA,B,red\n".to_vec(),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    assert_eq!(p["errors"][0]["field"], "file");
    let why = p["errors"][0]["message"].as_str().unwrap();
    assert!(
        why.contains("missing columns: contract references, component path, address"),
        "{why}"
    );
    assert!(why.contains("unknown columns: colour"), "{why}");

    for empty in [&b""[..], b"\xEF\xBB\xBF", b"  \n"] {
        let (status, p) = app
            .upload(&s.contractor, "", "text/csv", empty.to_vec())
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
        assert_eq!(p["errors"][0]["field"], "file", "{p}");
    }
    let (status, p) = app.csv(&s.contractor, "", &[]).await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "a header alone: {p}"
    );

    // Not a spreadsheet, whatever it claims to be.
    let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0".to_vec();
    let (status, p) = app.upload(&s.contractor, "", "text/csv", png).await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{p}");
    let (status, p) = app
        .upload(
            &s.contractor,
            "",
            XLSX,
            b"PK\x03\x04 not really a zip".to_vec(),
        )
        .await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{p}");
    let (status, p) = app
        .upload(&s.contractor, "", "application/json", b"{}".to_vec())
        .await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{p}");
    // Over the limit.
    let big = format!("{HEADER}\n{}", "x".repeat(30_000)).into_bytes();
    let (status, p) = app.upload(&s.contractor, "", "text/csv", big).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{p}");
    let (status, p) = app
        .upload(&s.contractor, "?dry_run=maybe", "text/csv", b"x".to_vec())
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{p}");

    // Row by row: each error with its row and column, the good rows still reported.
    let rows = [
        "K-1;Laptop;;Good Factory;1 Road;CN;;1;2026-01-01;",
        "K-1;Laptop;;Bad Country;1 Road;XX;;1;2026-01-01;",
        "K-1;Laptop;;Bad Date;1 Road;CN;;1;01/02/2026;",
        "K-1;Laptop;;Bad Tier;1 Road;CN;;0;2026-01-01;",
        "K-1;Laptop;Mainboard > laptop;Cycle;1 Road;CN;;2;2026-01-01;",
        "K-9;Laptop;;Unknown Contract;1 Road;CN;;1;2026-01-01;",
        "K-1;Laptop;;Backwards;1 Road;CN;;1;2026-03-01;2026-02-01",
    ];
    let (status, dry) = app.csv(&s.contractor, "", &rows).await;
    assert_eq!(status, StatusCode::OK, "{dry}");
    assert_eq!(
        (
            dry["rows"].as_u64(),
            dry["errors"].as_u64(),
            dry["created"].as_u64()
        ),
        (Some(7), Some(6), Some(1)),
        "{dry}"
    );
    let errors: Vec<(u64, String)> = dry["listed"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["outcome"] == "error")
        .map(|r| {
            (
                r["row"].as_u64().unwrap(),
                r["errors"][0]["column"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    assert_eq!(
        errors,
        vec![
            (3, "country".to_string()),
            (4, "valid_from".to_string()),
            (5, "tier".to_string()),
            (6, "component_path".to_string()),
            (7, "contract_references".to_string()),
            (8, "valid_to".to_string()),
        ]
    );
    let date_error = dry["listed"][2]["errors"][0]["message"].as_str().unwrap();
    assert!(date_error.contains("YYYY-MM-DD"), "{date_error}");
    // A commit with errors changes nothing and says why.
    let (status, p) = app.csv(&s.contractor, "?dry_run=false", &rows).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    assert_eq!(p["report"]["errors"], 6);
    assert_eq!(p["errors"][0]["field"], "row 3 country");
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM components").await, 0);
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM factories").await, 1);
    let _ = &s.buyer;
}

async fn only_the_contractor_and_the_admin_import_and_export_a_list(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let s = setup(&app).await;
    let (competitor_id, competitor) = app.org("contractor", "Competitor").await;
    let (status, _) = app.csv(&s.contractor, "?dry_run=false", &FIRST[..3]).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = app
        .csv(
            &competitor,
            "?dry_run=false",
            &[";Phone P1;;Competitor Plant;77 Road;TW;;1;2026-01-01;"],
        )
        .await;
    assert_eq!(status, StatusCode::OK);

    for who in [&s.buyer, &s.monitor] {
        let (status, p) = app.csv(who, "", &FIRST[..1]).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{p}");
        let (status, _) = app.download(who, "/api/v1/disclosures/export.csv").await;
        assert_eq!(status, StatusCode::FORBIDDEN);
    }
    // A contractor names only itself.
    let (status, _) = app
        .csv(
            &s.contractor,
            &format!("?contractor_id={competitor_id}"),
            &FIRST[..1],
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = app
        .download(
            &s.contractor,
            &format!("/api/v1/disclosures/export.csv?contractor_id={competitor_id}"),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // Each export holds its own links only.
    let (_, mine) = app
        .download(&s.contractor, "/api/v1/disclosures/export.csv")
        .await;
    let mine = String::from_utf8(mine).unwrap();
    assert!(
        mine.contains("Hanoi Battery Works") && !mine.contains("Competitor Plant"),
        "{mine}"
    );
    let (_, theirs) = app
        .download(&competitor, "/api/v1/disclosures/export.csv")
        .await;
    let theirs = String::from_utf8(theirs).unwrap();
    assert!(
        theirs.contains("Competitor Plant") && !theirs.contains("Hanoi"),
        "{theirs}"
    );
    // A competitor's contract reference is "none of your contracts", like one that does not exist.
    let (_, dry) = app
        .csv(
            &competitor,
            "",
            &["K-1;Phone P1;;Competitor Plant;77 Road;TW;;1;2026-01-01;"],
        )
        .await;
    assert_eq!(
        dry["listed"][0]["errors"][0]["message"],
        "none of your contracts has the reference \"K-1\""
    );
    // The admin names the contractor; without one, the list is the admin organization's own
    // (whose contracts K-1 is not).
    let (status, p) = app.csv(&app.admin_token, "", &FIRST[..1]).await;
    assert_eq!(status, StatusCode::OK, "{p}");
    assert_eq!(
        p["listed"][0]["errors"][0]["column"], "contract_references",
        "{p}"
    );
    let (status, p) = app
        .csv(
            &app.admin_token,
            &format!("?contractor_id={}", s.contractor_id),
            &FIRST[..3],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{p}");
    assert_eq!(p["unchanged"], 3);
    let (status, p) = app
        .csv(
            &app.admin_token,
            &format!("?contractor_id={}", s.buyer_id),
            &FIRST[..1],
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "a buyer has no list: {p}");
}

async fn near_matches_are_offered_and_confirmed(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let s = setup(&app).await;
    let (status, f) = app
        .post(
            "/api/v1/factories",
            &s.monitor,
            json!({"name": "Foxconn Precision Co., Ltd.",
            "address": "2 Donghuan Rd, Longhua, Shenzhen", "country": "CN"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{f}");
    let foxconn = id(&f);
    let row = ["K-1;Laptop X14;;Foxconn Precision Company Ltd;2 Donghuan Road, Longhua, Shenzhen;CN;;1;2026-01-01;"];
    let (_, dry) = app.csv(&s.contractor, "", &row).await;
    assert_eq!(dry["near_matches"], 1, "{dry}");
    assert_eq!(dry["listed"][0]["factory"], "new");
    let candidate = &dry["listed"][0]["candidates"][0];
    assert_eq!(candidate["factory_id"], foxconn.as_str(), "{dry}");
    assert!(candidate["score"].as_f64().unwrap() >= 0.6, "{candidate}");
    // The same row in another country is no near match.
    let (_, other) = app
        .csv(&s.contractor, "", &["K-1;Laptop X14;;Foxconn Precision Company Ltd;2 Donghuan Road, Longhua, Shenzhen;VN;;1;2026-01-01;"])
        .await;
    assert_eq!(other["near_matches"], 0, "{other}");
    // Confirmed: the existing factory, no new one.
    let (status, done) = app
        .csv(
            &s.contractor,
            &format!("?dry_run=false&confirm=2:{foxconn}"),
            &row,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{done}");
    assert_eq!(done["listed"][0]["factory"], "confirmed");
    assert_eq!(done["matched"], 1);
    assert_eq!(done["details"]["factories_created"], 0);
    let (status, p) = app.csv(&s.contractor, "?confirm=2:nope", &row).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{p}");
}

async fn xlsx_lists_templates_and_formula_cells(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let s = setup(&app).await;
    // An XLSX list with real date and number cells, as Excel saves them.
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    let header = [
        "contract references",
        "product model",
        "component path",
        "factory name",
        "address",
        "country",
        "OS ID",
        "tier",
        "valid from",
        "valid to",
        "longitude",
        "latitude",
    ];
    for (i, h) in header.iter().enumerate() {
        sheet.write_string(0, i as u16, *h).unwrap();
    }
    let date = rust_xlsxwriter::ExcelDateTime::from_ymd(2026, 1, 15).unwrap();
    let fmt = rust_xlsxwriter::Format::new().set_num_format("dd/mm/yyyy");
    for (r, name) in [
        (1u32, "=HYPERLINK(\"http://evil.example\",\"x\")"),
        (2, "+Plant Two"),
    ] {
        sheet.write_string(r, 0, "K-1").unwrap();
        sheet.write_string(r, 1, "Laptop X14").unwrap();
        sheet.write_string(r, 3, name).unwrap();
        sheet.write_string(r, 4, "1 Road").unwrap();
        sheet.write_string(r, 5, "CL").unwrap();
        sheet.write_number(r, 7, 1.0).unwrap();
        sheet.write_datetime_with_format(r, 8, &date, &fmt).unwrap();
        sheet.write_number(r, 10, -70.65).unwrap();
        sheet.write_number(r, 11, -33.45).unwrap();
    }
    let bytes = book.save_to_buffer().unwrap();
    let (status, done) = app
        .upload(&s.contractor, "?dry_run=false", XLSX, bytes)
        .await;
    assert_eq!(status, StatusCode::OK, "{done}");
    assert_eq!(
        (
            done["format"].as_str(),
            done["created"].as_u64(),
            done["errors"].as_u64()
        ),
        (Some("xlsx"), Some(2), Some(0)),
        "{done}"
    );
    let (_, links) = app.get("/api/v1/factories?country=CL", &s.contractor).await;
    assert_eq!(links["items"][0]["longitude"], -70.65, "{links}");

    // The CSV export neutralises formula cells (a plain negative number is none), and reads
    // back unchanged.
    let (_, csv) = app
        .download(&s.contractor, "/api/v1/disclosures/export.csv")
        .await;
    let text = String::from_utf8(csv.clone()).unwrap();
    assert!(
        text.contains("\"'=HYPERLINK(")
            && text.contains("'+Plant Two")
            && text.contains(",-33.45,-70.65"),
        "{text}"
    );
    let (_, again) = app.upload(&s.contractor, "", "text/csv", csv).await;
    assert_eq!(
        (again["unchanged"].as_u64(), again["errors"].as_u64()),
        (Some(2), Some(0)),
        "{again}"
    );
    // And the XLSX export too.
    let (status, xlsx) = app
        .download(&s.contractor, "/api/v1/disclosures/export.xlsx")
        .await;
    assert_eq!(status, StatusCode::OK);
    let (_, again) = app.upload(&s.contractor, "", XLSX, xlsx).await;
    assert_eq!(
        (again["unchanged"].as_u64(), again["errors"].as_u64()),
        (Some(2), Some(0)),
        "{again}"
    );

    // The templates: the headers in the asked language, then an example row that imports.
    let (status, t) = app
        .download(&s.contractor, "/api/v1/disclosures/template.csv?lang=nl")
        .await;
    assert_eq!(status, StatusCode::OK);
    let t = String::from_utf8(t).unwrap();
    assert!(t.starts_with("contractreferenties,productmodel,componentpad,naam fabriek,adres,land,OS ID,niveau,geldig vanaf,geldig tot"), "{t}");
    assert_eq!(t.lines().count(), 2);
    let (status, x) = app
        .download(&s.contractor, "/api/v1/disclosures/template.xlsx?lang=fr")
        .await;
    assert_eq!(status, StatusCode::OK);
    use calamine::Reader;
    let mut wb: calamine::Xlsx<_> = calamine::Xlsx::new(std::io::Cursor::new(x.clone())).unwrap();
    assert_eq!(
        wb.sheet_names().len(),
        2,
        "a second sheet explains the columns"
    );
    let first = wb.worksheet_range_at(0).unwrap().unwrap();
    assert_eq!(
        first.get((0, 0)).unwrap().to_string(),
        "références des marchés"
    );
    let help = wb.worksheet_range_at(1).unwrap().unwrap();
    assert!(help.rows().count() > 15);
    // The example row is a valid row (its contract reference is not this contractor's).
    let (_, dry) = app.upload(&s.contractor, "", XLSX, x).await;
    assert_eq!(dry["rows"], 1, "{dry}");
    assert_eq!(
        dry["listed"][0]["errors"][0]["column"], "contract_references",
        "{dry}"
    );
    let (status, _) = app
        .download(&s.contractor, "/api/v1/disclosures/template.csv?lang=xx")
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

on_both_backends!(
    list_is_dry_run_committed_and_sent_again_as_a_diff,
    bad_files_are_refused_with_their_reason,
    only_the_contractor_and_the_admin_import_and_export_a_list,
    near_matches_are_offered_and_confirmed,
    xlsx_lists_templates_and_formula_cells,
);
