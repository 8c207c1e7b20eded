//! Factory exposure and the leverage ranking on a hand-built world whose figures are worked out
//! in `leverage/world.rs`, per role; the day's rules (contracts running, links valid, both ends
//! included); CSV; the pages; bad parameters.

mod common;
#[path = "leverage/ranking.rs"]
mod ranking;
#[path = "leverage/world.rs"]
mod world;

use common::{Backend, Credential};
use ranking::ranking_per_role;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use world::{ids, sorted, world, D};

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
    // The monitor on H: the other monitor's case is counted, not listed.
    let (_, mh) = app
        .get(
            &format!("/api/v1/factories/{}/exposure?at={D}", w.h),
            &w.monitor,
        )
        .await;
    assert_eq!(
        (mh["open_cases"].clone(), mh["cases"].clone()),
        (json!(1), json!([]))
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
    // No such factory: 404; a bad day: 400 naming `at`, as every query parameter that does not parse.
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
        (StatusCode::BAD_REQUEST, json!("at"))
    );
}

/// (factory, exposed buyers, contracts, value, open cases, highest severity) of each row.
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
    // The form sends its empty fields: they mean "any" on the page (the API refuses them).
    let (s, page) = app
        .request_as(
            Method::GET,
            "/leverage?at=&country=&sector=&sort=name",
            &who,
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.as_str().unwrap().contains("Binh Duong Boards"));
    let (s, _) = app.get("/api/v1/leverage?country=", &w.monitor).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
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

/// The ranking keeps its walk of the supply chain and its open-case counts between requests
/// (leverage/cache.rs): a change to either is seen by the next request.
async fn ranking_follows_changes(backend: Backend) {
    let w = world(backend).await;
    let app = &w.app;
    let path = format!("/api/v1/leverage?at={D}");
    let row = |r: &Value, f: &str| {
        let i = r["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["factory"]["id"] == f)
            .cloned()
            .unwrap_or_else(|| panic!("{f} not ranked in {r}"));
        (
            i["exposed_buyers"].as_i64().unwrap(),
            i["open_cases"].as_i64().unwrap(),
        )
    };
    let (s, r) = app.get(&path, &w.monitor).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert_eq!((row(&r, &w.f), row(&r, &w.g)), ((2, 3), (1, 1)));
    // Asked again, unchanged: the same answer.
    let (_, again) = app.get(&path, &w.monitor).await;
    assert_eq!(again, r);
    // A case closed: F's open cases drop.
    let (s, body) = app
        .post(
            &format!("/api/v1/cases/{}/transitions", w.f_cases[0]),
            &w.monitor,
            json!({"action": "close", "reason": "remediated on site"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let (_, r) = app.get(&path, &w.monitor).await;
    assert_eq!((row(&r, &w.f), row(&r, &w.g)), ((2, 2), (1, 1)));
    // C2 sources a new part from G, then puts it on K2 (Buyer Two's): G gains a buyer.
    let fan = app.component(&w.c[1].1, "Fan", None).await;
    app.source(&w.c[1].1, &fan, &w.g, "2026-01-01", None).await;
    let (_, r) = app.get(&path, &w.monitor).await;
    assert_eq!(row(&r, &w.g), (1, 1), "the part is on no contract yet");
    // On K2, G's open finding reaches C2 too (late routing): a second open case at G.
    app.item(&w.c[1].1, &w.k[1], &fan).await;
    let (_, r) = app.get(&path, &w.monitor).await;
    assert_eq!((row(&r, &w.f), row(&r, &w.g)), ((2, 2), (2, 2)));
}

on_both_backends!(
    exposure_per_role,
    ranking_per_role,
    pages,
    ranking_follows_changes
);
