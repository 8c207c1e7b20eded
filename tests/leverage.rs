//! Factory exposure and the leverage ranking on a hand-built world whose figures are worked out
//! below, per role; the day's rules (contracts running, links valid, both ends included); CSV;
//! the pages; bad parameters.

mod common;

use common::{at, id, Backend, Credential, TestApp};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

const D: &str = "2026-06-15";

struct World {
    app: TestApp,
    admin: String,
    monitor: String,
    b: [(String, String); 3],
    c: [(String, String); 2],
    /// K1..K6 (index 0 is K1).
    k: Vec<String>,
    f: String,
    g: String,
    h: String,
    /// The cases at F: critical of C1, critical of C2, minor of C2 (the minor of C1 is closed).
    f_cases: [String; 3],
}

/// Buyers B1, B2, B3; contractors C1 ("Contractor Alpha"), C2 ("Contractor Beta").
/// C1: Laptop > Mainboard > Chip; Chip is made at F, Laptop assembled at G.
/// C2: Cable made at F; Dock made at F only until 2026-03-31; Screen made at H.
/// Contracts (value):
/// * K1 B1/C1 2026-01-01..2027-12-31 EUR 1000.50, item Laptop  -> F (grandchild Chip), G
/// * K2 B2/C2 2026-01-01..2026-12-31 EUR 250.25,  item Cable   -> F
/// * K3 B2/C2 2026-02-01..2027-01-31 USD 300,     items Cable, Screen -> F, H
/// * K4 B1/C2 2026-01-01..2026-12-31 no value,    item Cable   -> F
/// * K5 B3/C2 2026-07-01..2027-06-30 EUR 999,     item Cable   -> F from July only
/// * K6 B3/C2 2026-01-01..2026-12-31 EUR 50,      item Dock    -> F until 2026-03-31
///
/// Findings observed on D at F (monitor M): one critical, one minor: each opens a case for C1
/// (K1) and for C2 (K2, K3, K4); C1's minor case is then closed. At G (M): a major, C1 (K1).
/// At H (another monitor): a major, C2 (K3).
async fn world(backend: Backend) -> World {
    let app = TestApp::spawn(backend).await;
    app.clock.set(at("2026-06-15T09:00:00Z"));
    let admin = app.admin_token.clone();
    let (_, monitor) = app.org("monitor", "Monitor").await;
    let (_, monitor2) = app.org("monitor", "Monitor Two").await;
    let b = [
        app.org("buyer", "Buyer One").await,
        app.org("buyer", "Buyer Two").await,
        app.org("buyer", "Buyer Three").await,
    ];
    let c = [
        app.org("contractor", "Contractor Alpha").await,
        app.org("contractor", "Contractor Beta").await,
    ];
    let (c1, c2) = (&c[0].1, &c[1].1);
    let factory =
        |name: &'static str, country: &'static str, sector: &'static str, workers: Value| {
            let app = &app;
            let token = c1.clone();
            async move {
                let (s, f) = app
                    .post(
                        "/api/v1/factories",
                        &token,
                        json!({"name": name, "address": "1 Road", "country": country,
                        "sector": sector, "workers": workers}),
                    )
                    .await;
                assert_eq!(s, StatusCode::CREATED, "{f}");
                id(&f)
            }
        };
    // Created in this order, so G's id sorts before H's (ties in the ranking go by id).
    let f = factory("Shenzhen Chips", "CN", "electronics", json!(1200)).await;
    let g = factory("Binh Duong Boards", "VN", "electronics", json!(300)).await;
    let h = factory("Anhui Screens", "CN", "displays", Value::Null).await;
    let laptop = app.component(c1, "Laptop", None).await;
    let board = app.component(c1, "Mainboard", Some(&laptop)).await;
    let chip = app.component(c1, "Chip", Some(&board)).await;
    app.source(c1, &chip, &f, "2026-01-01", None).await;
    app.source(c1, &laptop, &g, "2026-01-01", None).await;
    let cable = app.component(c2, "Cable", None).await;
    let dock = app.component(c2, "Dock", None).await;
    let screen = app.component(c2, "Screen", None).await;
    app.source(c2, &cable, &f, "2026-01-01", None).await;
    app.source(c2, &dock, &f, "2025-01-01", Some("2026-03-31"))
        .await;
    app.source(c2, &screen, &h, "2026-01-01", None).await;
    let plan: [(usize, usize, &str, &str, Option<(&str, &str)>, Vec<&String>); 6] = [
        (
            0,
            0,
            "2026-01-01",
            "2027-12-31",
            Some(("1000.50", "EUR")),
            vec![&laptop],
        ),
        (
            1,
            1,
            "2026-01-01",
            "2026-12-31",
            Some(("250.25", "EUR")),
            vec![&cable],
        ),
        (
            1,
            1,
            "2026-02-01",
            "2027-01-31",
            Some(("300", "USD")),
            vec![&cable, &screen],
        ),
        (0, 1, "2026-01-01", "2026-12-31", None, vec![&cable]),
        (
            2,
            1,
            "2026-07-01",
            "2027-06-30",
            Some(("999", "EUR")),
            vec![&cable],
        ),
        (
            2,
            1,
            "2026-01-01",
            "2026-12-31",
            Some(("50", "EUR")),
            vec![&dock],
        ),
    ];
    let mut k = Vec::new();
    for (i, (buyer, contractor, starts, ends, value, items)) in plan.into_iter().enumerate() {
        let value = value.map(|(a, cur)| json!({"amount": a, "currency": cur}));
        let (s, kv) = app
            .post(
                "/api/v1/contracts",
                &b[buyer].1,
                json!({"reference": format!("K{}", i + 1), "title": "Laptops", "buyer_id": b[buyer].0,
                    "contractor_id": c[contractor].0, "starts_on": starts, "ends_on": ends, "value": value}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{kv}");
        for item in items {
            app.item(&c[contractor].1, &id(&kv), item).await;
        }
        k.push(id(&kv));
    }
    let case_of = |finding: &Value, contractor: &str| {
        finding["cases"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["contractor_id"] == contractor)
            .map(id)
            .unwrap_or_else(|| panic!("no case of {contractor} in {finding}"))
    };
    let critical = app.finding(&monitor, &f, "critical", D).await;
    let minor = app.finding(&monitor, &f, "minor", D).await;
    assert_eq!(critical["cases"].as_array().unwrap().len(), 2, "{critical}");
    let closed = case_of(&minor, &c[0].0);
    let (s, body) = app
        .post(
            &format!("/api/v1/cases/{closed}/transitions"),
            &monitor,
            json!({"action": "close", "reason": "remediated on site"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    app.finding(&monitor, &g, "major", D).await;
    app.finding(&monitor2, &h, "major", D).await;
    let f_cases = [
        case_of(&critical, &c[0].0),
        case_of(&critical, &c[1].0),
        case_of(&minor, &c[1].0),
    ];
    World {
        app,
        admin,
        monitor,
        b,
        c,
        k,
        f,
        g,
        h,
        f_cases,
    }
}

fn ids(list: &Value) -> Vec<String> {
    let mut v: Vec<String> = list.as_array().unwrap().iter().map(id).collect();
    v.sort();
    v
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

async fn exposure_per_role(backend: Backend) {
    let w = world(backend).await;
    let app = &w.app;
    let k = |i: usize| w.k[i - 1].clone();
    let path = format!("/api/v1/factories/{}/exposure?at={D}", w.f);
    // Admin, on D: K1..K4 (K5 not started, K6's link ended on 2026-03-31); buyers B1 (K1, K4)
    // and B2 (K2, K3); EUR 1000.50 + 250.25 = 1250.75, USD 300, K4 without a value; open cases
    // 2 critical + 1 minor (C1's minor closed).
    let (s, e) = app.get(&path, &w.admin).await;
    assert_eq!(s, StatusCode::OK, "{e}");
    assert_eq!(e["at"], D);
    assert_eq!(e["factory"]["name"], "Shenzhen Chips");
    assert_eq!(e["factory"]["workers"], 1200);
    assert_eq!(ids(&e["contracts"]), sorted(vec![k(1), k(2), k(3), k(4)]));
    assert_eq!(
        (e["exposed_buyers"].clone(), e["other_buyers"].clone()),
        (json!(2), json!(0))
    );
    assert_eq!(
        e["buyers"],
        json!([{"id": w.b[0].0, "name": "Buyer One", "contracts": 2},
        {"id": w.b[1].0, "name": "Buyer Two", "contracts": 2}])
    );
    assert_eq!(
        e["contractors"],
        json!([{"id": w.c[0].0, "name": "Contractor Alpha", "contracts": 1},
        {"id": w.c[1].0, "name": "Contractor Beta", "contracts": 3}])
    );
    let names: Vec<&str> = e["components"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Cable", "Chip"]);
    assert_eq!(
        e["contracts"][0]["components"][0]["name"], "Chip",
        "K1 reaches F through its grandchild"
    );
    assert_eq!(
        e["value"],
        json!({"by_currency": {"EUR": "1250.75", "USD": "300"}, "without_value": 1})
    );
    assert_eq!(e["open_cases"], 3);
    assert_eq!(e["open_by_severity"], json!({"critical": 2, "minor": 1}));
    assert_eq!(e["highest_severity"], "critical");
    assert_eq!(ids(&e["cases"]), sorted(w.f_cases.to_vec()));

    // The monitor: the same figures; contractors by id only; its own findings' cases.
    let (_, m) = app.get(&path, &w.monitor).await;
    assert_eq!(m["value"], e["value"]);
    assert_eq!(m["exposed_buyers"], 2);
    assert_eq!(m["contractors"][0]["name"], Value::Null);
    assert!(
        !m.to_string().contains("Contractor Alpha") && !m.to_string().contains("Contractor Beta")
    );
    assert_eq!(ids(&m["cases"]), sorted(w.f_cases.to_vec()));

    // B1: its K1 and K4 only; EUR 1000.5 and K4 without a value; one other buyer, unnamed;
    // cases on its contracts: C1's critical (K1), C2's critical and minor (they list K4).
    let (_, b1) = app.get(&path, &w.b[0].1).await;
    assert_eq!(ids(&b1["contracts"]), sorted(vec![k(1), k(4)]));
    assert_eq!(
        (b1["exposed_buyers"].clone(), b1["other_buyers"].clone()),
        (json!(2), json!(1))
    );
    assert_eq!(
        b1["buyers"],
        json!([{"id": w.b[0].0, "name": "Buyer One", "contracts": 2}])
    );
    assert_eq!(
        b1["value"],
        json!({"by_currency": {"EUR": "1000.5"}, "without_value": 1})
    );
    assert_eq!(b1["open_cases"], 3);
    let text = b1.to_string();
    for secret in [
        &w.b[1].0,
        &k(2),
        &k(3),
        &"Buyer Two".to_string(),
        &"250.25".to_string(),
    ] {
        assert!(
            !text.contains(secret.as_str()),
            "B1 learns {secret}: {text}"
        );
    }
    // B2 on H: K3 (USD 300); the open case at H lists K3.
    let (_, b2h) = app
        .get(
            &format!("/api/v1/factories/{}/exposure?at={D}", w.h),
            &w.b[1].1,
        )
        .await;
    assert_eq!(ids(&b2h["contracts"]), vec![k(3)]);
    assert_eq!(
        (b2h["open_cases"].clone(), b2h["highest_severity"].clone()),
        (json!(1), json!("major"))
    );
    // B3: nothing of its own depends on F on D, so not even the count.
    let (_, b3) = app.get(&path, &w.b[2].1).await;
    assert_eq!(b3["contracts"], json!([]));
    assert_eq!(
        (
            b3["exposed_buyers"].clone(),
            b3["other_buyers"].clone(),
            b3["open_cases"].clone()
        ),
        (Value::Null, Value::Null, json!(0))
    );

    // C1: its K1 through Chip, its open critical case; nothing of C2, no buyer count.
    let (_, c1) = app.get(&path, &w.c[0].1).await;
    assert_eq!(ids(&c1["contracts"]), vec![k(1)]);
    assert_eq!(c1["exposed_buyers"], Value::Null);
    assert_eq!(
        c1["value"],
        json!({"by_currency": {"EUR": "1000.5"}, "without_value": 0})
    );
    assert_eq!(ids(&c1["cases"]), vec![w.f_cases[0].clone()]);
    let text = c1.to_string();
    for secret in [
        &w.c[1].0,
        &w.b[1].0,
        &"Contractor Beta".to_string(),
        &"Cable".to_string(),
    ] {
        assert!(
            !text.contains(secret.as_str()),
            "C1 learns {secret}: {text}"
        );
    }
    let (_, c2) = app.get(&path, &w.c[1].1).await;
    assert_eq!(ids(&c2["contracts"]), sorted(vec![k(2), k(3), k(4)]));
    assert!(!c2.to_string().contains(&w.c[0].0) && !c2.to_string().contains("\"Chip\""));

    // The day decides: on 2026-07-15 K5 has started (B3, EUR 999: 2249.75 in all); on
    // 2026-03-31 the Dock link still holds (its last day: K6, B3, EUR 50) and K3 runs; on
    // 2026-04-01 it does not.
    let on = |day: &'static str| format!("/api/v1/factories/{}/exposure?at={day}", w.f);
    let (_, july) = app.get(&on("2026-07-15"), &w.admin).await;
    assert_eq!(
        ids(&july["contracts"]),
        sorted(vec![k(1), k(2), k(3), k(4), k(5)])
    );
    assert_eq!(july["value"]["by_currency"]["EUR"], "2249.75");
    assert_eq!(july["exposed_buyers"], 3);
    let (_, march) = app.get(&on("2026-03-31"), &w.admin).await;
    assert_eq!(
        ids(&march["contracts"]),
        sorted(vec![k(1), k(2), k(3), k(4), k(6)])
    );
    assert_eq!(march["value"]["by_currency"]["EUR"], "1300.75");
    let (_, april) = app.get(&on("2026-04-01"), &w.admin).await;
    assert_eq!(april["exposed_buyers"], 2);
    // Today by default (the clock says D).
    let (_, today) = app
        .get(&format!("/api/v1/factories/{}/exposure", w.f), &w.admin)
        .await;
    assert_eq!(today, e);
    // No such factory: 404; a bad day: 422 naming `at`.
    let (s, _) = app
        .get(
            "/api/v1/factories/0190a0a0-0000-7000-8000-000000000000/exposure",
            &w.monitor,
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, p) = app
        .get(
            &format!("/api/v1/factories/{}/exposure?at=2026-13-01", w.f),
            &w.monitor,
        )
        .await;
    assert_eq!(
        (s, p["errors"][0]["field"].clone()),
        (StatusCode::UNPROCESSABLE_ENTITY, json!("at"))
    );
}

/// (factory, exposed buyers, contracts, value, open cases, highest severity) of each row.
fn rows(r: &Value) -> Vec<(String, i64, i64, Value, i64, Value)> {
    r["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["factory"]["id"].as_str().unwrap().to_string(),
                i["exposed_buyers"].as_i64().unwrap(),
                i["contracts"].as_i64().unwrap(),
                i["value"].clone(),
                i["open_cases"].as_i64().unwrap(),
                i["highest_severity"].clone(),
            )
        })
        .collect()
}

fn v(eur: Option<&str>, usd: Option<&str>, without: i64) -> Value {
    let mut by = serde_json::Map::new();
    if let Some(e) = eur {
        by.insert("EUR".into(), json!(e));
    }
    if let Some(u) = usd {
        by.insert("USD".into(), json!(u));
    }
    json!({"by_currency": by, "without_value": without})
}

async fn ranking_per_role(backend: Backend) {
    let w = world(backend).await;
    let app = &w.app;
    let (f, g, h) = (w.f.clone(), w.g.clone(), w.h.clone());
    let crit = json!("critical");
    let major = json!("major");
    // On D: F 2 buyers, 4 contracts, EUR 1250.75 + USD 300 + 1 without, 3 open (critical);
    // G: B1 by K1 (EUR 1000.5), 1 major; H: B2 by K3 (USD 300), 1 major (another monitor's).
    // By buyers: F, then G and H tie on everything, so by id (G was made first).
    let all = vec![
        (
            f.clone(),
            2,
            4,
            v(Some("1250.75"), Some("300"), 1),
            3,
            crit.clone(),
        ),
        (
            g.clone(),
            1,
            1,
            v(Some("1000.5"), None, 0),
            1,
            major.clone(),
        ),
        (h.clone(), 1, 1, v(None, Some("300"), 0), 1, major.clone()),
    ];
    for token in [&w.admin, &w.monitor] {
        let (s, r) = app.get(&format!("/api/v1/leverage?at={D}"), token).await;
        assert_eq!(s, StatusCode::OK, "{r}");
        assert_eq!((r["total"].clone(), rows(&r)), (json!(3), all.clone()));
        assert_eq!(r["items"][0]["rank"], 1);
    }
    let order = |r: &Value| rows(r).into_iter().map(|x| x.0).collect::<Vec<_>>();
    let get = |q: &'static str| {
        let app = &w.app;
        let m = w.monitor.clone();
        async move { app.get(&format!("/api/v1/leverage?at={D}&{q}"), &m).await.1 }
    };
    assert_eq!(
        order(&get("sort=workers").await),
        [f.clone(), g.clone(), h.clone()]
    ); // 1200, 300, none
    assert_eq!(
        order(&get("sort=name").await),
        [h.clone(), g.clone(), f.clone()]
    ); // Anhui, Binh, Shenzhen
    assert_eq!(
        order(&get("sort=severity").await),
        [f.clone(), g.clone(), h.clone()]
    );
    assert_eq!(order(&get("country=cn").await), [f.clone(), h.clone()]);
    assert_eq!(
        order(&get("sector=electronics&country=VN").await),
        [g.clone()]
    );
    // Pages of one, by cursor.
    let first = get("limit=2").await;
    assert_eq!(order(&first), [f.clone(), g.clone()]);
    let cursor = first["next_cursor"].as_str().unwrap().to_string();
    let (_, second) = app
        .get(
            &format!("/api/v1/leverage?at={D}&limit=2&cursor={cursor}"),
            &w.monitor,
        )
        .await;
    assert_eq!(
        (
            order(&second),
            second["items"][0]["rank"].clone(),
            second["next_cursor"].clone()
        ),
        (vec![h.clone()], json!(3), Value::Null)
    );

    // B1: F (all 2 buyers counted; its K1, K4: EUR 1000.5 and one without; its 3 cases) and G.
    let (_, b1) = app
        .get(&format!("/api/v1/leverage?at={D}"), &w.b[0].1)
        .await;
    assert_eq!(
        rows(&b1),
        vec![
            (f.clone(), 2, 2, v(Some("1000.5"), None, 1), 3, crit.clone()),
            (
                g.clone(),
                1,
                1,
                v(Some("1000.5"), None, 0),
                1,
                major.clone()
            ),
        ]
    );
    assert!(!b1.to_string().contains("1250.75") && !b1.to_string().contains(&w.b[1].0));
    // B2: F (its K2, K3: EUR 250.25, USD 300; C2's two cases list K2, K3) and H.
    let (_, b2) = app
        .get(&format!("/api/v1/leverage?at={D}"), &w.b[1].1)
        .await;
    assert_eq!(
        rows(&b2),
        vec![
            (
                f.clone(),
                2,
                2,
                v(Some("250.25"), Some("300"), 0),
                2,
                crit.clone()
            ),
            (h.clone(), 1, 1, v(None, Some("300"), 0), 1, major.clone()),
        ]
    );
    // B3: K5 has not started, K6's link has ended: nothing.
    let (_, b3) = app
        .get(&format!("/api/v1/leverage?at={D}"), &w.b[2].1)
        .await;
    assert_eq!(
        (b3["total"].clone(), b3["items"].clone()),
        (json!(0), json!([]))
    );
    // Contractors: 403.
    let (s, _) = app.get("/api/v1/leverage", &w.c[0].1).await;
    assert_eq!(s, StatusCode::FORBIDDEN);

    // CSV: the same figures.
    let res = app
        .client
        .get(format!("{}/api/v1/leverage?at={D}", app.base))
        .bearer_auth(&w.monitor)
        .header("Accept", "text/csv")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    let csv = res.text().await.unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], "rank,factory_id,name,country,sector,workers,exposed_buyers,contracts,value_by_currency,contracts_without_value,open_cases,highest_severity");
    assert_eq!(
        lines[1],
        format!("1,{f},Shenzhen Chips,CN,electronics,1200,2,4,EUR:1250.75;USD:300,1,3,critical")
    );
    assert_eq!(
        lines[3],
        format!("3,{h},Anhui Screens,CN,displays,,1,1,USD:300,0,1,major")
    );
    assert_eq!(lines.len(), 4);

    // Bad parameters: 422 naming the field.
    for (q, field) in [
        ("at=15-06-2026", "at"),
        ("country=XYZ", "country"),
        ("sort=cheapest", "sort"),
    ] {
        let (s, p) = app.get(&format!("/api/v1/leverage?{q}"), &w.monitor).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{q}: {p}");
        assert_eq!(p["errors"][0]["field"], field, "{p}");
    }
}

async fn pages(backend: Backend) {
    let w = world(backend).await;
    let app = &w.app;
    let (monitor_id, _) = app.org("monitor", "Planning Monitor").await;
    let (_, person) = app
        .person(&monitor_id, "planner@monitor.example.org", "Pat Planner")
        .await;
    let who = Credential::Session(person);
    let (s, page) = app
        .request_as(Method::GET, "/leverage?country=CN", &who, None)
        .await;
    assert_eq!(s, StatusCode::OK);
    let html = page.as_str().unwrap();
    assert!(
        html.contains("Shenzhen Chips")
            && html.contains("Anhui Screens")
            && !html.contains("Binh Duong")
    );
    assert!(html.contains(&format!("/factories/{}/exposure?at={D}", w.f)));
    assert!(html.contains("<a href=\"&#x2f;leverage\""), "the nav item");
    let (s, csv) = app
        .request_as(
            Method::GET,
            &format!("/leverage.csv?at={D}&sort=name"),
            &who,
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(csv
        .as_str()
        .unwrap()
        .lines()
        .nth(1)
        .unwrap()
        .contains("Anhui Screens"));
    let (s, page) = app
        .request_as(
            Method::GET,
            &format!("/factories/{}/exposure", w.f),
            &who,
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let html = page.as_str().unwrap();
    assert!(
        html.contains("Buyer One")
            && html.contains("EUR 1250.75")
            && !html.contains("Contractor Alpha")
    );
    // A buyer's person sees its own contracts and the count of the others on the exposure page.
    let (_, buyer) = app
        .person(&w.b[0].0, "staff@buyer-one.example.org", "Lou One")
        .await;
    let (s, page) = app
        .request_as(
            Method::GET,
            &format!("/factories/{}/exposure", w.f),
            &Credential::Session(buyer),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(!page.as_str().unwrap().contains("Buyer Two"));
    // A contractor's person: the ranking page is refused.
    let (_, contractor) = app
        .person(&w.c[0].0, "staff@alpha.example.org", "Chris Alpha")
        .await;
    let (s, _) = app
        .request_as(
            Method::GET,
            "/leverage",
            &Credential::Session(contractor),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
}

on_both_backends!(exposure_per_role, ranking_per_role, pages);
