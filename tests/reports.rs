//! The yearly due-diligence report on a hand-built world across a year boundary; its figures
//! are worked out below. Also: later events leave a past report as it was, the framework
//! filter, the three formats, and who may ask.

#[path = "reports/access.rs"]
mod access;
mod common;
#[path = "reports/world.rs"]
mod world;

use common::{at, Backend};
use serde_json::json;
use world::{history_2026, months, report, world};

async fn two_years_by_hand(backend: Backend) {
    let mut w = world(backend).await;
    w.app.clock.set(at("2026-01-01T12:00:00Z"));
    let y2025 = report(&w, "from=2025-01-01&to=2025-12-31", &w.b.1).await;
    // Running in 2025: F1, K2, F2 (K3 starts in 2026, K4 ended in 2024; K9 is B2's).
    assert_eq!(y2025["contracts"]["count"], 3);
    assert_eq!(
        y2025["contracts"]["spend"],
        json!([{"currency": "EUR", "amount": "100.30", "contracts": 2}])
    );
    assert_eq!(y2025["contracts"]["without_value"], 1);
    // 2025-01-01: F1 (P3: no tier 1) and F2 (P2: FB only from 2026) run: 0 of 2.
    // 2025-12-31: also K2 (P1 at FA, valid through that day): 1 of 3.
    assert_eq!(
        (
            y2025["coverage_at_from"]["items"].as_i64(),
            y2025["coverage_at_from"]["covered"].as_i64()
        ),
        (Some(2), Some(0))
    );
    assert_eq!(
        (
            y2025["coverage_at_to"]["items"].as_i64(),
            y2025["coverage_at_to"]["covered"].as_i64()
        ),
        (Some(3), Some(1))
    );
    // Opened in 2025: A (critical) and A2 (minor); Z is B2's.
    let c = &y2025["cases"];
    assert_eq!(
        (
            c["opened"].as_i64(),
            c["remediated"].as_i64(),
            c["verified"].as_i64(),
            c["closed"].as_i64()
        ),
        (Some(2), Some(0), Some(0), Some(0))
    );
    assert_eq!(c["opened_by_severity"], json!({"critical": 1, "minor": 1}));
    assert_eq!(
        y2025["findings"]["by_category"],
        json!({"wages": 1, "working_hours": 1})
    );
    assert_eq!(y2025["findings"]["total"], 2);
    // At the end of 2025: A acknowledged at level 2 (overdue), A2 open at level 0.
    assert_eq!(
        (c["still_open"].as_i64(), c["overdue"].as_i64()),
        (Some(2), Some(1))
    );
    assert_eq!(c["open_by_state"], json!({"acknowledged": 1, "open": 1}));
    assert_eq!(
        y2025["escalations"],
        json!({"total": 2, "by_level": {"1": 1, "2": 1},
        "non_cooperation_reached": 0, "non_cooperation_open": 0})
    );
    assert_eq!(
        y2025["time_to_acknowledge"],
        json!({"count": 1, "median_hours": 96.0, "p90_hours": 96.0})
    );
    let mut expected = vec![(0, 0); 11];
    expected.push((2, 2));
    assert_eq!(months(&y2025), expected);
    let open: Vec<&str> = y2025["open_cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        open,
        [w.cases[0].as_str(), w.cases[1].as_str()],
        "most escalated first"
    );
    assert_eq!(y2025["open_cases"][0]["factory"], "FA");

    history_2026(&mut w).await;
    w.app.clock.set(at("2027-01-05T12:00:00Z"));
    // Everything since the end of 2025 leaves the 2025 report as it was.
    assert_eq!(
        report(&w, "from=2025-01-01&to=2025-12-31", &w.b.1).await,
        y2025
    );
    let y2026 = report(&w, "from=2026-01-01&to=2026-12-31", &w.b.1).await;
    assert_eq!(y2026["contracts"]["count"], 4);
    assert_eq!(
        y2026["contracts"]["spend"],
        json!([
        {"currency": "EUR", "amount": "100.30", "contracts": 2},
        {"currency": "USD", "amount": "50.00", "contracts": 1}])
    );
    // 2026-01-01: P3 no, P1 no (its link ended), P2 twice yes: 2 of 4; 2026-12-31 (K2 ended):
    // P3 no, P2 twice yes: 2 of 3.
    assert_eq!(
        (
            y2026["coverage_at_from"]["items"].as_i64(),
            y2026["coverage_at_from"]["covered"].as_i64()
        ),
        (Some(4), Some(2))
    );
    assert_eq!(y2026["coverage_at_from"]["share"], 0.5);
    assert_eq!(
        (
            y2026["coverage_at_to"]["items"].as_i64(),
            y2026["coverage_at_to"]["covered"].as_i64()
        ),
        (Some(3), Some(2))
    );
    let c = &y2026["cases"];
    assert_eq!(
        (
            c["opened"].as_i64(),
            c["remediated"].as_i64(),
            c["verified"].as_i64(),
            c["closed"].as_i64()
        ),
        (Some(1), Some(1), Some(1), Some(1))
    );
    assert_eq!(
        y2026["findings"]["by_category_and_severity"],
        json!([{"category": "health_and_safety", "severity": "major", "findings": 1}])
    );
    assert_eq!(
        (c["still_open"].as_i64(), c["overdue"].as_i64()),
        (Some(1), Some(0))
    );
    assert_eq!(c["open_by_state"], json!({"acknowledged": 1}));
    // A to 3 and A2 to 1 on 10 January; on 25 January B to 1, and A again to 3: the day its
    // plan waited on the monitor moved its missed remediation deadline, missed once more.
    // Events count each escalation, non-cooperation counts cases.
    assert_eq!(
        y2026["escalations"],
        json!({"total": 4, "by_level": {"1": 2, "3": 2},
        "non_cooperation_reached": 1, "non_cooperation_open": 0})
    );
    // Only B was first answered in 2026 (A in 2025).
    assert_eq!(
        y2026["time_to_acknowledge"],
        json!({"count": 1, "median_hours": 24.0, "p90_hours": 24.0})
    );
    // Open from 2025: A, A2. January: +B, -A2 = 2; February: -A (verified) = 1.
    let mut expected = vec![(1, 2), (0, 1)];
    expected.extend(vec![(0, 1); 10]);
    assert_eq!(months(&y2026), expected);
    assert_eq!(y2026["open_cases"][0]["id"], w.cases[2].as_str());

    // The framework filter: F1 and K2 carry A and A2; F2 and K3 carry B.
    let f1 = report(
        &w,
        &format!("from=2026-01-01&to=2026-12-31&framework={}", w.k[0]),
        &w.b.1,
    )
    .await;
    assert_eq!(f1["framework"]["reference"], "F1");
    assert_eq!(f1["contracts"]["count"], 2);
    assert_eq!(
        (
            f1["cases"]["opened"].as_i64(),
            f1["cases"]["verified"].as_i64(),
            f1["cases"]["closed"].as_i64(),
            f1["cases"]["still_open"].as_i64()
        ),
        (Some(0), Some(1), Some(1), Some(0))
    );
    assert_eq!(f1["escalations"]["by_level"], json!({"1": 1, "3": 2}));
    let f2 = report(
        &w,
        &format!("from=2026-01-01&to=2026-12-31&framework={}", w.k[2]),
        &w.b.1,
    )
    .await;
    assert_eq!(
        f2["contracts"]["spend"],
        json!([{"currency": "USD", "amount": "50.00", "contracts": 1}])
    );
    assert_eq!(f2["coverage_at_from"]["share"], 1.0);
    assert_eq!(
        (
            f2["cases"]["opened"].as_i64(),
            f2["cases"]["still_open"].as_i64()
        ),
        (Some(1), Some(1))
    );
    assert_eq!(f2["escalations"]["by_level"], json!({"1": 1}));
    // The admin asks for B by name and gets the same.
    let admin = report(
        &w,
        &format!("from=2026-01-01&to=2026-12-31&buyer={}", w.b.0),
        &w.app.admin_token,
    )
    .await;
    assert_eq!(admin, y2026);
    access::formats(&w).await;
    access::who_may_ask(&w, &y2026).await;
    access::in_a_browser(&w).await;
}

on_both_backends!(two_years_by_hand);
