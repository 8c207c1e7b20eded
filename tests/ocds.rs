//! The OCDS import of contracts (`POST /api/v1/contracts/import`, `ketenzorg import ocds`):
//! dry run and commit, framework agreements and their call-offs, re-import, bad input, who
//! may import, and the OCDS standard's own framework examples (tests/fixtures/ocds/).

mod common;

use common::{Backend, TestApp};
use reqwest::StatusCode;
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const GENT: (&str, &str) = ("BE-BCE_KBO", "0207451227");
const NOORDZEE: (&str, &str) = ("BE-BCE_KBO", "0456789123");

fn fixture(name: &str) -> Value {
    let path = format!("{}/tests/fixtures/ocds/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

/// The releases of several packages in one release package.
fn merged(names: &[&str]) -> Value {
    let releases: Vec<Value> = names
        .iter()
        .flat_map(|n| fixture(n)["releases"].as_array().unwrap().clone())
        .collect();
    json!({"version": "1.1", "releases": releases})
}

async fn import(app: &TestApp, token: &str, body: &Value, commit: bool) -> (StatusCode, Value) {
    app.post(
        &format!("/api/v1/contracts/import?dry_run={}", !commit),
        token,
        body.clone(),
    )
    .await
}

async fn put_ids(app: &TestApp, org: &str, token: &str, body: Value) -> (StatusCode, Value) {
    app.request(
        reqwest::Method::PUT,
        &format!("/api/v1/organizations/{org}/identifiers"),
        Some(token),
        Some(&body),
    )
    .await
}

/// Registers an organization's identifier, as the admin does before a buyer imports.
async fn identify(app: &TestApp, org: &str, (scheme, identifier): (&str, &str)) {
    let body = json!({"identifiers": [{"scheme": scheme, "id": identifier}]});
    let (s, answer) = put_ids(app, org, &app.admin_token, body).await;
    assert_eq!(s, StatusCode::OK, "{answer}");
}

async fn rows(app: &TestApp, table: &str) -> i64 {
    app.count(&format!("SELECT count(*) AS n FROM {table}"))
        .await
}

fn counts(report: &Value) -> [u64; 6] {
    [
        "created",
        "matched",
        "unchanged",
        "proposed",
        "skipped",
        "errors",
    ]
    .map(|k| {
        report[k]
            .as_u64()
            .unwrap_or_else(|| panic!("no {k} in {report}"))
    })
}

/// The report without what only a commit can know: the ids it gave and the dry-run flag.
fn without_ids(report: &Value) -> Value {
    fn strip(v: &mut Value) {
        match v {
            Value::Object(m) => {
                for k in ["organization_id", "contract_id", "framework_id", "dry_run"] {
                    m.remove(k);
                }
                m.values_mut().for_each(strip);
            }
            Value::Array(a) => a.iter_mut().for_each(strip),
            _ => {}
        }
    }
    let mut v = report.clone();
    strip(&mut v);
    v
}

fn contract<'a>(report: &'a Value, reference: &str) -> &'a Value {
    report["contracts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["reference"] == reference)
        .unwrap_or_else(|| panic!("no contract {reference} in {report}"))
}

async fn dry_run_changes_nothing_then_commit_links_call_offs(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let package = fixture("framework_laptops.json");
    let before = (
        rows(&app, "organizations").await,
        rows(&app, "contracts").await,
    );

    // The admin imports for any buyer: unknown parties become organizations.
    let (s, dry) = import(&app, &app.admin_token, &package, false).await;
    assert_eq!(s, StatusCode::OK, "{dry}");
    assert_eq!(dry["dry_run"], true);
    assert_eq!(counts(&dry), [4, 0, 0, 0, 0, 0], "{dry}");
    assert_eq!(
        (
            rows(&app, "organizations").await,
            rows(&app, "contracts").await
        ),
        before,
        "a dry run writes nothing"
    );
    assert_eq!(rows(&app, "organization_identifiers").await, 0);

    let (s, done) = import(&app, &app.admin_token, &package, true).await;
    assert_eq!(s, StatusCode::OK, "{done}");
    assert_eq!(done["dry_run"], false);
    assert_eq!(
        without_ids(&dry),
        without_ids(&done),
        "the dry run's report is the commit's"
    );
    assert_eq!(rows(&app, "organizations").await, before.0 + 2);
    assert_eq!(rows(&app, "contracts").await, before.1 + 2);

    let framework = contract(&done, "FW-2026-001-LOT1");
    let call_off = contract(&done, "CO-2026-0042-C1");
    let framework_id = framework["contract_id"].as_str().unwrap();
    assert_eq!(call_off["framework_id"], framework_id, "{call_off}");
    let (_, k) = app
        .get(
            &format!(
                "/api/v1/contracts/{}",
                call_off["contract_id"].as_str().unwrap()
            ),
            &app.admin_token,
        )
        .await;
    assert_eq!(k["framework_id"], framework_id);
    assert_eq!(k["ocds_id"], "ocds-b5fd17-co-2026-0042");
    assert_eq!(k["title"], "Afname 300 laptops voor de scholen");
    assert_eq!(k["starts_on"], "2026-03-01");
    assert_eq!(k["ends_on"], "2026-12-31");
    assert_eq!(k["value"], json!({"amount": "345000.5", "currency": "EUR"}));
    let (_, f) = app
        .get(
            &format!("/api/v1/contracts/{framework_id}"),
            &app.admin_token,
        )
        .await;
    assert_eq!(
        (&f["starts_on"], &f["ends_on"], &f["framework_id"]),
        (&json!("2026-01-01"), &json!("2029-12-31"), &Value::Null)
    );

    // The buyer sees the call-off under its framework.
    let buyer_id = done["parties"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["role"] == "buyer")
        .unwrap()["organization_id"]
        .as_str()
        .unwrap()
        .to_string();
    let (s, t) = app
        .post(
            "/api/v1/tokens",
            &app.admin_token,
            json!({"organization_id": buyer_id, "label": "gent"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{t}");
    let gent = t["token"].as_str().unwrap();
    let (s, list) = app
        .get(&format!("/api/v1/contracts?framework={framework_id}"), gent)
        .await;
    assert_eq!(s, StatusCode::OK, "{list}");
    let listed: Vec<&str> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["reference"].as_str().unwrap())
        .collect();
    assert_eq!(listed, ["CO-2026-0042-C1"]);

    // The same package again changes nothing.
    let (s, again) = import(&app, &app.admin_token, &package, true).await;
    assert_eq!(s, StatusCode::OK, "{again}");
    assert_eq!(counts(&again), [0, 0, 4, 0, 0, 0], "{again}");

    // A record package (compiled release) of a later call-off under the same framework.
    let (s, record) = import(&app, gent, &fixture("call_off_record.json"), true).await;
    assert_eq!(s, StatusCode::OK, "{record}");
    let later = contract(&record, "CO-2026-0057");
    assert_eq!(later["outcome"], "created", "{record}");
    assert_eq!(later["framework_id"], framework_id);
    let (_, k) = app
        .get(
            &format!(
                "/api/v1/contracts/{}",
                later["contract_id"].as_str().unwrap()
            ),
            gent,
        )
        .await;
    // A period given as a start and a duration.
    assert_eq!(
        (&k["starts_on"], &k["ends_on"]),
        (&json!("2026-05-15"), &json!("2026-08-13"))
    );
    let (_, list) = app
        .get(&format!("/api/v1/contracts?framework={framework_id}"), gent)
        .await;
    assert_eq!(list["items"].as_array().unwrap().len(), 2);
}

async fn a_buyer_imports_its_own_and_items_name_components(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (gent_id, gent) = app.org("buyer", "Stad Gent").await;
    let (noordzee_id, noordzee) = app.org("contractor", "Noordzee IT Solutions").await;
    identify(&app, &noordzee_id, NOORDZEE).await;
    let laptop = app.component(&noordzee, "Laptop ProBook 14", None).await;
    let package = fixture("framework_laptops.json");

    let (s, dry) = import(&app, &gent, &package, false).await;
    assert_eq!(s, StatusCode::OK, "{dry}");
    // Its own identifier is learnt (matched), the supplier matched by identifier, two contracts.
    assert_eq!(counts(&dry), [2, 1, 1, 0, 0, 0], "{dry}");
    let (s, done) = import(&app, &gent, &package, true).await;
    assert_eq!(s, StatusCode::OK, "{done}");
    assert_eq!(without_ids(&dry), without_ids(&done));
    for p in done["parties"].as_array().unwrap() {
        let want = if p["role"] == "buyer" {
            &gent_id
        } else {
            &noordzee_id
        };
        assert_eq!(p["organization_id"], json!(want), "{p}");
    }
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) AS n FROM organization_identifiers WHERE organization_id = '{gent_id}'"
        ))
        .await,
        1
    );

    // The item naming a component of the contractor is a contract item; the other is left
    // for the contractor to map.
    let call_off = contract(&done, "CO-2026-0042-C1");
    let items = call_off["items"].as_array().unwrap();
    assert_eq!(items[0]["outcome"], "added");
    assert_eq!(items[0]["component_id"], json!(laptop));
    assert_eq!(items[1]["outcome"], "unmapped");
    assert_eq!(items[1]["description"], "USB-C docking station");
    let (_, k) = app
        .get(
            &format!(
                "/api/v1/contracts/{}",
                call_off["contract_id"].as_str().unwrap()
            ),
            &noordzee,
        )
        .await;
    assert_eq!(k["items"][0]["component_id"], json!(laptop), "{k}");

    let (_, again) = import(&app, &gent, &package, true).await;
    assert_eq!(counts(&again), [0, 0, 4, 0, 0, 0], "{again}");
    assert_eq!(
        contract(&again, "CO-2026-0042-C1")["items"][0]["outcome"],
        "present"
    );

    // A changed package updates the contract it names (matched), nothing else.
    let mut changed = package.clone();
    changed["releases"][2]["contracts"][0]["period"]["endDate"] = json!("2027-03-31T00:00:00Z");
    let (s, report) = import(&app, &gent, &changed, true).await;
    assert_eq!(s, StatusCode::OK, "{report}");
    assert_eq!(counts(&report), [0, 1, 3, 0, 0, 0], "{report}");
    assert_eq!(
        contract(&report, "CO-2026-0042-C1")["reason"],
        "changed: period"
    );
}

async fn an_unknown_supplier_is_proposed_to_a_buyer_and_created_only_by_the_admin(
    backend: Backend,
) {
    let app = TestApp::spawn(backend).await;
    let (_, gent) = app.org("buyer", "Stad Gent").await;
    let package = fixture("framework_laptops.json");
    let (s, report) = import(&app, &gent, &package, true).await;
    assert_eq!(s, StatusCode::OK, "{report}");
    let supplier = report["parties"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["role"] == "supplier")
        .unwrap();
    assert_eq!(supplier["outcome"], "proposed");
    assert_eq!(supplier["organization_id"], Value::Null);
    assert_eq!(counts(&report), [0, 1, 0, 1, 2, 0], "{report}");
    assert_eq!(rows(&app, "contracts").await, 0);
    assert_eq!(
        app.count("SELECT count(*) AS n FROM organizations WHERE kind = 'contractor'")
            .await,
        0
    );

    // The admin's import would create it, unless one of that name exists without the
    // identifier: then it says where to record the identifier instead.
    let (s, report) = import(&app, &app.admin_token, &package, false).await;
    assert_eq!(s, StatusCode::OK, "{report}");
    assert_eq!(counts(&report), [3, 0, 1, 0, 0, 0], "{report}");
    let (noordzee_id, _) = app.org("contractor", "noordzee it solutions nv").await;
    let (_, report) = import(&app, &app.admin_token, &package, false).await;
    let supplier = report["parties"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["role"] == "supplier")
        .unwrap();
    assert_eq!(supplier["outcome"], "error", "{report}");
    assert!(
        supplier["reason"].as_str().unwrap().contains(&format!(
            "PUT /api/v1/organizations/{noordzee_id}/identifiers"
        )),
        "{supplier}"
    );
}

async fn bad_inputs_each_give_their_problem(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let url = format!("{}/api/v1/contracts/import", app.base);
    let raw = |body: &'static str| {
        app.client
            .post(&url)
            .bearer_auth(&app.admin_token)
            .header("content-type", "application/json")
            .body(body)
            .send()
    };
    let res = raw("{\"releases\": [").await.unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert_eq!(res.headers()["content-type"], "application/problem+json");
    let p: Value = res.json().await.unwrap();
    assert_eq!(p["errors"][0]["field"], "body", "{p}");

    let res = app
        .client
        .post(&url)
        .bearer_auth(&app.admin_token)
        .header("content-type", "text/csv")
        .body("a;b")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);

    let release = |r: Value| json!({"version": "1.1", "releases": [r]});
    let award = |a: Value| {
        release(
            json!({"ocid": "ocds-b5fd17-1", "id": "1", "date": "2026-01-01T00:00:00Z",
            "awards": [a]}),
        )
    };
    let cases: Vec<(Value, &str, &str)> = vec![
        (json!([1, 2]), "body", "JSON object"),
        (json!({"uri": "x", "version": "1.1"}), "releases", "records"),
        (json!({"releases": {}}), "releases", "array"),
        (
            release(json!({"id": "1", "date": "2026-01-01T00:00:00Z"})),
            "releases[0].ocid",
            "missing",
        ),
        (
            json!({"records": [{"releases": [{"url": "https://x.example/1"}]}]}),
            "records[0].ocid",
            "missing",
        ),
        (
            award(json!({"id": "A", "contractPeriod": {"startDate": "01/03/2026"}})),
            "releases[0].awards[0].contractPeriod.startDate",
            "ISO 8601",
        ),
        (
            release(json!({"ocid": "o", "date": "yesterday"})),
            "releases[0].date",
            "ISO 8601",
        ),
        (
            award(json!({"id": "A", "value": {"amount": 10, "currency": "EURO"}})),
            "releases[0].awards[0].value.currency",
            "ISO 4217",
        ),
        (
            award(json!({"id": "A", "value": {"amount": "ten thousand", "currency": "EUR"}})),
            "releases[0].awards[0].value.amount",
            "not a number",
        ),
        (
            award(json!({"id": "A", "value": {"amount": -5, "currency": "EUR"}})),
            "releases[0].awards[0].value.amount",
            "non-negative",
        ),
        (
            release(json!({"ocid": "o", "parties": [{"id": "1",
                "identifier": {"scheme": "BE-BCE_KBO", "id": "0".repeat(101)}}]})),
            "releases[0].parties[0].identifier.id",
            "at most 100 characters",
        ),
    ];
    for (body, field, words) in cases {
        let before = rows(&app, "contracts").await;
        let (s, p) = import(&app, &app.admin_token, &body, true).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {p}");
        assert_eq!(p["type"], "/problems/validation");
        let e = p["errors"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["field"] == field)
            .unwrap_or_else(|| panic!("{field} not named in {p}"));
        assert!(
            e["message"].as_str().unwrap().contains(words),
            "{field}: {e}"
        );
        assert_eq!(rows(&app, "contracts").await, before);
    }

    let (s, p) = app
        .post(
            "/api/v1/contracts/import?dry_run=maybe",
            &app.admin_token,
            fixture("framework_laptops.json"),
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(p["errors"][0]["field"], "dry_run");

    // Over the size limit (8 MiB): refused by its declared length, before it is read.
    let addr = app.base.trim_start_matches("http://").to_string();
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let head = format!(
        "POST /api/v1/contracts/import HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{{",
        app.admin_token,
        9 * 1024 * 1024
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    let read = async {
        let mut buf = [0u8; 4096];
        while !String::from_utf8_lossy(&answer).contains("\"status\"") {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => answer.extend_from_slice(&buf[..n]),
            }
        }
    };
    tokio::time::timeout(std::time::Duration::from_secs(10), read)
        .await
        .expect("an answer before the body is sent");
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(answer.contains("application/problem+json"), "{answer}");

    // A commit whose report has an error writes nothing and names it.
    let mut package = fixture("framework_laptops.json");
    package["releases"][2]["parties"][1]["identifier"] = Value::Null;
    let (s, dry) = import(&app, &app.admin_token, &package, false).await;
    assert_eq!(s, StatusCode::OK);
    assert!(counts(&dry)[5] > 0, "{dry}");
    let (s, p) = import(&app, &app.admin_token, &package, true).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    assert!(
        p["errors"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["field"] == "releases[2].parties[1]"
                && e["message"].as_str().unwrap().contains("no identifier")),
        "{p}"
    );
    assert_eq!(rows(&app, "contracts").await, 0);
    assert_eq!(rows(&app, "organization_identifiers").await, 0);
}

async fn contractors_and_monitors_get_403(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_, contractor) = app.org("contractor", "Noordzee IT Solutions").await;
    let (_, monitor) = app.org("monitor", "Electronics Watch").await;
    for token in [&contractor, &monitor] {
        for body in [fixture("framework_laptops.json"), json!({"not": "ocds"})] {
            let (s, p) = import(&app, token, &body, false).await;
            assert_eq!(s, StatusCode::FORBIDDEN, "{p}");
            assert_eq!(p["type"], "/problems/forbidden");
        }
    }
}

async fn a_buyer_cannot_touch_another_buyers_contracts(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (gent_id, gent) = app.org("buyer", "Stad Gent").await;
    let (brugge_id, brugge) = app.org("buyer", "Stad Brugge").await;
    let (noordzee_id, _) = app.org("contractor", "Noordzee IT Solutions").await;
    identify(&app, &noordzee_id, NOORDZEE).await;
    identify(&app, &gent_id, GENT).await;
    identify(&app, &brugge_id, ("BE-BCE_KBO", "0207528340")).await;
    let package = fixture("framework_laptops.json");
    let (s, mine) = import(&app, &gent, &package, true).await;
    assert_eq!(s, StatusCode::OK, "{mine}");
    assert_eq!(rows(&app, "contracts").await, 2);

    // Gent's package imported by Brugge: every contract is an error, nothing written.
    let (s, theirs) = import(&app, &brugge, &package, false).await;
    assert_eq!(s, StatusCode::OK, "{theirs}");
    assert_eq!(counts(&theirs)[5], 3, "{theirs}");
    let text = theirs.to_string();
    for c in mine["contracts"].as_array().unwrap() {
        assert!(!text.contains(c["contract_id"].as_str().unwrap()), "{text}");
    }
    assert!(!text.contains(&gent_id), "{text}");
    let (s, _) = import(&app, &brugge, &package, true).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(rows(&app, "contracts").await, 2);

    // Brugge's own package with Gent's references: Brugge's own contracts, created; Gent's
    // are neither changed nor revealed.
    let mut own = package.clone();
    for r in own["releases"].as_array_mut().unwrap() {
        let ocid = r["ocid"].as_str().unwrap().replace("b5fd17", "brugge");
        r["ocid"] = json!(ocid);
        r["buyer"] = json!({"id": "brugge"});
        r["parties"][0] = json!({"id": "brugge", "name": "Stad Brugge", "roles": ["buyer"],
            "identifier": {"scheme": "BE-BCE_KBO", "id": "0207528340"}});
        if let Some(rel) = r.get_mut("relatedProcesses") {
            rel[0]["identifier"] = json!("ocds-brugge-fw-2026-001");
        }
    }
    let (s, report) = import(&app, &brugge, &own, true).await;
    assert_eq!(s, StatusCode::OK, "{report}");
    assert_eq!(counts(&report), [2, 0, 2, 0, 0, 0], "{report}");
    let text = report.to_string();
    for c in mine["contracts"].as_array().unwrap() {
        assert!(!text.contains(c["contract_id"].as_str().unwrap()), "{text}");
    }
    let (_, k) = app
        .get(
            &format!(
                "/api/v1/contracts/{}",
                contract(&mine, "CO-2026-0042-C1")["contract_id"]
                    .as_str()
                    .unwrap()
            ),
            &gent,
        )
        .await;
    assert_eq!(k["buyer_id"], json!(gent_id));
    assert_eq!(k["ocds_id"], "ocds-b5fd17-co-2026-0042");
    // A supplier whose identifier is another buyer's is told as unknown: Brugge does not learn
    // that Gent is registered.
    let mut probe = own.clone();
    probe["releases"][2]["parties"][1]["identifier"] = json!({"scheme": GENT.0, "id": GENT.1});
    let (_, report) = import(&app, &brugge, &probe, false).await;
    let supplier = report["parties"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["role"] == "supplier" && p["identifier"] == GENT.1)
        .unwrap_or_else(|| panic!("{report}"));
    assert_eq!(supplier["outcome"], "proposed", "{report}");
    assert!(!report.to_string().contains(&gent_id), "{report}");

    // Each buyer lists its own call-offs only.
    let fw = contract(&report, "FW-2026-001-LOT1")["contract_id"]
        .as_str()
        .unwrap();
    let (_, list) = app
        .get(&format!("/api/v1/contracts?framework={fw}"), &gent)
        .await;
    assert_eq!(list["items"].as_array().unwrap().len(), 0);
}

/// The OCDS standard's worked examples of framework agreements (1.1 documentation), as
/// published. They name some suppliers without an identifier and some call-offs without a
/// contract period: the report says so, field by field, and a commit writes nothing.
async fn the_standards_framework_examples(backend: Backend) {
    let app = TestApp::spawn(backend).await;

    // Open framework, several suppliers and buyers, a call-off by mini-competition.
    let (cordillera_id, cordillera) = app.org("buyer", "SLEP Puerto Cordillera").await;
    identify(&app, &cordillera_id, ("CL-RUT", "619993209")).await;
    let (ravc_id, ravc) = app.org("contractor", "Grupo RAVC SpA").await;
    identify(&app, &ravc_id, ("CL-RUT", "76364678")).await;
    let (vidal_id, _) = app.org("contractor", "Rodrigo Vidal Campos").await;
    identify(&app, &vidal_id, ("CL-RUT", "12124463")).await;
    let pen = app.component(&ravc, "Lápiz pasta", None).await;
    let open = merged(&[
        "standard/open_multiple_first_stage.json",
        "standard/open_multiple_supplier.json",
        "standard/open_multiple_second_stage.json",
        "standard/open_multiple_award.json",
    ]);
    let (s, report) = import(&app, &cordillera, &open, false).await;
    assert_eq!(s, StatusCode::OK, "{report}");
    // The framework: one contract per supplier, its period the tender's.
    let both = contract(&report, "8603354/CL-RUT-76364678");
    assert_eq!(both["outcome"], "created", "{report}");
    assert_eq!(
        both["title"],
        "Convenio Marco de Artículos de Escritorio y Papelería"
    );
    assert_eq!(both["items"][0]["component_id"], json!(pen));
    assert_eq!(
        contract(&report, "8603354/CL-RUT-12124463")["outcome"],
        "created"
    );
    // The call-off has no contract period anywhere: an error that says so.
    let call_off = contract(&report, "1");
    assert_eq!(call_off["outcome"], "error");
    assert!(
        call_off["reason"]
            .as_str()
            .unwrap()
            .contains("no start date"),
        "{call_off}"
    );
    let (s, p) = import(&app, &cordillera, &open, true).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    assert_eq!(p["errors"][0]["field"], "releases[3].awards[0]", "{p}");
    assert_eq!(rows(&app, "contracts").await, 0);

    // The same call-off with its period: linked to the supplier's framework contract.
    let mut dated = open.clone();
    dated["releases"][3]["awards"][0]["contractPeriod"] =
        json!({"startDate": "2020-09-01T00:00:00Z", "endDate": "2020-12-31T00:00:00Z"});
    let (s, report) = import(&app, &cordillera, &dated, true).await;
    assert_eq!(s, StatusCode::OK, "{report}");
    let framework = contract(&report, "8603354/CL-RUT-76364678")["contract_id"].clone();
    assert_eq!(contract(&report, "1")["framework_id"], framework);

    // Closed framework with one supplier: the examples name the supplier without an identifier.
    let closed = merged(&[
        "standard/closed_single_first_stage.json",
        "standard/closed_single_supplier.json",
        "standard/closed_single_award.json",
    ]);
    let (s, report) = import(&app, &app.admin_token, &closed, false).await;
    assert_eq!(s, StatusCode::OK, "{report}");
    let supplier = report["parties"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["role"] == "supplier")
        .unwrap();
    assert_eq!(supplier["name"], "Movianto UK");
    assert_eq!(supplier["outcome"], "error");
    assert!(supplier["reason"]
        .as_str()
        .unwrap()
        .contains("no identifier"));
    // The buyer has an identifier but no address to notify: not created either.
    let buyer = report["parties"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["role"] == "buyer")
        .unwrap();
    assert_eq!(
        (&buyer["scheme"], &buyer["identifier"], &buyer["outcome"]),
        (&json!("GB-NHS"), &json!("YA7"), &json!("error"))
    );
    assert!(buyer["reason"]
        .as_str()
        .unwrap()
        .contains("contactPoint.email"));
    assert_eq!(rows(&app, "contracts").await, 3);

    // A process still at its tender has nothing to import: no party is matched or created.
    let orgs = rows(&app, "organizations").await;
    let tender = fixture("standard/closed_single_first_stage.json");
    let (s, report) = import(&app, &app.admin_token, &tender, true).await;
    assert_eq!(s, StatusCode::OK, "{report}");
    assert_eq!(counts(&report), [0; 6], "{report}");
    assert_eq!(report["parties"], json!([]));
    assert_eq!(rows(&app, "organizations").await, orgs);
}

async fn the_command_line_imports_as_the_admin_or_a_buyer(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (gent_id, _) = app.org("buyer", "Stad Gent").await;
    let (noordzee_id, _) = app.org("contractor", "Noordzee IT Solutions").await;
    identify(&app, &noordzee_id, NOORDZEE).await;
    let file = format!(
        "{}/tests/fixtures/ocds/framework_laptops.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_ketenzorg"))
            .args(["import", "ocds"])
            .args(args)
            .env("DATABASE_URL", &app.test_db.url)
            .env("LOG_LEVEL", "error")
            .output()
            .unwrap()
    };
    let out = run(&[&file, "--as", &gent_id]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["dry_run"], true);
    assert_eq!(counts(&report), [2, 1, 1, 0, 0, 0], "{report}");
    assert_eq!(rows(&app, "contracts").await, 0);

    let out = run(&[&file, "--as", &gent_id, "--commit"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(rows(&app, "contracts").await, 2);
    // The admin (the default) finds the same contracts: nothing to do.
    let out = run(&[&file, "--commit"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(counts(&report), [0, 0, 4, 0, 0, 0], "{report}");

    let out = run(&["/nonexistent/package.json"]);
    assert!(!out.status.success());
    let out = run(&[&file, "--as", &noordzee_id]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("may not import"));
}

async fn only_the_admin_sets_identifiers(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (gent_id, gent) = app.org("buyer", "Stad Gent").await;
    let (noordzee_id, noordzee) = app.org("contractor", "Noordzee IT Solutions").await;
    let (s, list) = put_ids(
        &app,
        &noordzee_id,
        &app.admin_token,
        json!({"identifiers": [{"scheme": "be-bce_kbo", "id": " 0456789123 "},
            {"scheme": "BE-BCE_KBO", "id": "0456789123"}]}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{list}");
    assert_eq!(
        list,
        json!({"identifiers": [{"scheme": "BE-BCE_KBO", "id": "0456789123"}]})
    );
    // The buyer reads the contractor directory but sets no identifier; a contractor sets not
    // even its own, and does not learn that a buyer it has no contract with exists.
    let (s, _) = put_ids(&app, &noordzee_id, &gent, json!({"identifiers": []})).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = put_ids(&app, &noordzee_id, &noordzee, json!({"identifiers": []})).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = put_ids(&app, &gent_id, &noordzee, json!({"identifiers": []})).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    // One identifier names one organization.
    let (s, p) = put_ids(
        &app,
        &gent_id,
        &app.admin_token,
        json!({"identifiers": [{"scheme": "BE-BCE_KBO", "id": "0456789123"}]}),
    )
    .await;
    assert_eq!(s, StatusCode::CONFLICT, "{p}");
    let (s, p) = put_ids(
        &app,
        &noordzee_id,
        &app.admin_token,
        json!({"identifiers": [{"scheme": "", "id": "1"}]}),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(p["errors"][0]["field"], "identifiers[0].scheme");
    let many: Vec<Value> = (0..21)
        .map(|i| json!({"scheme": "XI-TEST", "id": format!("{i}")}))
        .collect();
    let (s, p) = put_ids(
        &app,
        &noordzee_id,
        &app.admin_token,
        json!({ "identifiers": many }),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(p["errors"][0]["field"], "identifiers");
    // Replaced as a whole.
    let (s, list) = put_ids(
        &app,
        &noordzee_id,
        &app.admin_token,
        json!({"identifiers": []}),
    )
    .await;
    assert_eq!((s, list), (StatusCode::OK, json!({"identifiers": []})));
}

on_both_backends!(
    only_the_admin_sets_identifiers,
    dry_run_changes_nothing_then_commit_links_call_offs,
    a_buyer_imports_its_own_and_items_name_components,
    an_unknown_supplier_is_proposed_to_a_buyer_and_created_only_by_the_admin,
    bad_inputs_each_give_their_problem,
    contractors_and_monitors_get_403,
    a_buyer_cannot_touch_another_buyers_contracts,
    the_standards_framework_examples,
    the_command_line_imports_as_the_admin_or_a_buyer,
);
