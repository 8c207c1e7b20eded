//! The ranking per role, its orders, filters and pages, CSV and bad parameters.

use super::common::Backend;
use super::world::{world, D};
use reqwest::StatusCode;
use serde_json::{json, Value};

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

pub async fn ranking_per_role(backend: Backend) {
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
        vec![g.clone()]
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

    // Bad parameters: 400 naming the field.
    for (q, field) in [
        ("at=15-06-2026", "at"),
        ("country=XYZ", "country"),
        ("sort=cheapest", "sort"),
    ] {
        let (s, p) = app.get(&format!("/api/v1/leverage?{q}"), &w.monitor).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{q}: {p}");
        assert_eq!(p["errors"][0]["field"], field, "{p}");
    }
}
