//! The world of tests/leverage.rs, and what it adds up to.

use super::common::{at, id, Backend, TestApp};
use reqwest::StatusCode;
use serde_json::{json, Value};

pub const D: &str = "2026-06-15";

/// A contract to make: buyer, contractor (indexes), start, end, value, items.
type Planned<'a> = (
    usize,
    usize,
    &'a str,
    &'a str,
    Option<(&'a str, &'a str)>,
    Vec<&'a String>,
);

pub struct World {
    pub app: TestApp,
    pub admin: String,
    pub monitor: String,
    pub b: [(String, String); 3],
    pub c: [(String, String); 2],
    /// K1..K6 (index 0 is K1).
    pub k: Vec<String>,
    pub f: String,
    pub g: String,
    pub h: String,
    /// The cases at F: critical of C1, critical of C2, minor of C2 (the minor of C1 is closed).
    pub f_cases: [String; 3],
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
pub async fn world(backend: Backend) -> World {
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
    let plan: [Planned; 6] = [
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

pub fn ids(list: &Value) -> Vec<String> {
    let mut v: Vec<String> = list.as_array().unwrap().iter().map(id).collect();
    v.sort();
    v
}

pub fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}
