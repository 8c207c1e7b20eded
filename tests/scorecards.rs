//! The contractor scorecard on a hand-built world whose figures are worked out below: on-time
//! and late acknowledgements (one thanks to an extension), a plan rejected then accepted and
//! one accepted first time, a dispute, escalations by the sweep, cases just outside the
//! period; who may see it, and that each caller's case lists name only cases in its reach.

mod common;

use chrono::TimeDelta;
use common::{at, Backend, TestApp};
use reqwest::StatusCode;
use serde_json::{json, Value};

const T0: &str = "2026-06-01T09:00:00Z";

fn t(days: i64, hours: i64) -> chrono::DateTime<chrono::Utc> {
    at(T0) + TimeDelta::days(days) + TimeDelta::hours(hours)
}

struct World {
    app: TestApp,
    c: String,
    c_id: String,
    c2: String,
    b1: String,
    b2: String,
    b3: String,
    b1_id: String,
    m1: String,
    m2: String,
    k1: String,
    k2: String,
    /// The contractor's cases in the period, by letter.
    cases: std::collections::HashMap<char, String>,
}

/// Opens a case at `factory` at `when` as `monitor`; returns the case of contractor `c_id`.
async fn open(app: &TestApp, monitor: &str, factory: &str, severity: &str, c_id: &str) -> String {
    let f = app.finding(monitor, factory, severity, "2026-05-20").await;
    let case = f["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["contractor_id"] == c_id)
        .unwrap_or_else(|| panic!("no case of the contractor: {f}"));
    case["id"].as_str().unwrap().to_string()
}

async fn act(
    app: &TestApp,
    when: chrono::DateTime<chrono::Utc>,
    case: &str,
    token: &str,
    action: &str,
) {
    app.clock.set(when);
    let body = match action {
        "submit_plan" => json!({"action": action, "plan": {"root_cause": "r", "actions": [
            {"description": "d", "kind": "corrective", "owner": "o", "due_on": "2026-09-01"}]}}),
        "reject_plan" | "dispute" => json!({"action": action, "reason": "Reason given"}),
        "report_remediated" => json!({"action": action, "note": "Done", "evidence":
            [{"url": "https://evidence.example.org/p.pdf", "sha256": "a".repeat(64)}]}),
        _ => json!({"action": action}),
    };
    let (s, r) = app
        .post(&format!("/api/v1/cases/{case}/transitions"), token, body)
        .await;
    assert_eq!(s, StatusCode::OK, "{action}: {r}");
}

/// Contractor C supplies buyer B1 under K1 (items P1, tier-1 at factory FA: covered; Q1,
/// nothing disclosed) and buyer B2 under K2 (item P2, tier-1 at FB: covered); its contract K0
/// with B1 ended in 2025 (one undisclosed item, not counted). Competitor C2 supplies B1 from FA
/// too, so findings at FA open a case for each. Monitor M1 files at FA, M2 at FB; B3 holds no
/// contract with C. Period asked: 2026-06-01 to 2026-07-10; now is t(40) = 2026-07-11 09:00.
///
/// Cases of C (policy: critical ack 2 d / plan 7 d / remediation 30 d; major 7/14/90; minor
/// 14/30/180; submitting a plan stops the clock until the answer):
/// * A FA critical, t(0): ack t(0,10) (10 h, on time); plan t(1), accepted t(2) first time;
///   remediated t(10) (due t(31): on time). Level 0.
/// * B FB critical, t(0,1): ack t(3) (71 h, due t(2,1): late, escalated at t(2,2)); plan t(4)
///   rejected t(5), again t(6) accepted t(7) (not first time); remediation due t(32,1) (two
///   days paused) missed, escalated at t(33,1): level 2.
/// * D FA major, t(1): disputed t(2) (24 h, on time; the dispute stops the clock). Level 0.
/// * E FB minor, t(2): silent; ack due t(16) missed (level 1 at t(16,1)), plan due t(32)
///   (level 2 at t(33,1)); remediation due t(182) not yet.
/// * F FA critical, t(3): silent; ack t(5) and plan t(10) missed (level 2 at t(16,1)),
///   remediation t(33) (level 3 at t(33,1)).
/// * G FB major, t(3,1): ack due t(10,1), B2 extends it to t(12); ack t(11) (191 h, on time);
///   plan due t(17,1) missed (level 1 at t(33,1)).
/// * H FA major, t(38): ack due t(45) not yet passed: counted in no share.
///
/// Outside: X FA critical at 2026-05-31T23:59:59 (silent), Y FB critical at
/// 2026-07-11T00:00:00 (acknowledged at once).
async fn world(backend: Backend) -> World {
    let app = TestApp::spawn(backend).await;
    app.clock.set(at("2026-05-01T09:00:00Z"));
    let (b1_id, b1) = app.org("buyer", "Buyer One").await;
    let (b2_id, b2) = app.org("buyer", "Buyer Two").await;
    let (_, b3) = app.org("buyer", "Buyer Three").await;
    let (c_id, c) = app.org("contractor", "Contractor").await;
    let (c2_id, c2) = app.org("contractor", "Competitor").await;
    let (_, m1) = app.org("monitor", "Monitor One").await;
    let (_, m2) = app.org("monitor", "Monitor Two").await;
    let k1 = app
        .contract(&b1_id, &b1, &c_id, "K1", "2026-01-01", "2027-12-31")
        .await;
    let k2 = app
        .contract(&b2_id, &b2, &c_id, "K2", "2026-01-01", "2027-12-31")
        .await;
    let k0 = app
        .contract(&b1_id, &b1, &c_id, "K0", "2025-01-01", "2025-12-31")
        .await;
    let k3 = app
        .contract(&b1_id, &b1, &c2_id, "K3", "2026-01-01", "2027-12-31")
        .await;
    let fa = app.factory(&c, "FA").await;
    let fb = app.factory(&c, "FB").await;
    let tier1 = |component: String, factory: String, token: String| {
        let app = &app;
        async move {
            let (s, l) = app
                .post(
                    &format!("/api/v1/components/{component}/sources"),
                    &token,
                    json!({"factory_id": factory, "tier": 1, "valid_from": "2026-01-01"}),
                )
                .await;
            assert!(s.is_success(), "{l}");
        }
    };
    let p1 = app.component(&c, "P1", None).await;
    let q1 = app.component(&c, "Q1", None).await;
    let p2 = app.component(&c, "P2", None).await;
    let q0 = app.component(&c, "Q0", None).await;
    tier1(p1.clone(), fa.clone(), c.clone()).await;
    tier1(p2.clone(), fb.clone(), c.clone()).await;
    app.item(&c, &k1, &p1).await;
    app.item(&c, &k1, &q1).await;
    app.item(&c, &k2, &p2).await;
    app.item(&c, &k0, &q0).await;
    let r = app.component(&c2, "R", None).await;
    tier1(r.clone(), fa.clone(), c2.clone()).await;
    app.item(&c2, &k3, &r).await;

    let mut cases = std::collections::HashMap::new();
    app.clock.set(at("2026-05-31T23:59:59Z"));
    cases.insert('X', open(&app, &m1, &fa, "critical", &c_id).await);
    app.clock.set(t(0, 0));
    cases.insert('A', open(&app, &m1, &fa, "critical", &c_id).await);
    app.clock.set(t(0, 1));
    cases.insert('B', open(&app, &m2, &fb, "critical", &c_id).await);
    let (a, b) = (cases[&'A'].clone(), cases[&'B'].clone());
    act(&app, t(0, 10), &a, &c, "acknowledge").await;
    act(&app, t(1, 0), &a, &c, "submit_plan").await;
    cases.insert('D', open(&app, &m1, &fa, "major", &c_id).await);
    let d = cases[&'D'].clone();
    act(&app, t(2, 0), &a, &m1, "accept_plan").await;
    act(&app, t(2, 0), &d, &c, "dispute").await;
    cases.insert('E', open(&app, &m2, &fb, "minor", &c_id).await);
    app.sweep_at(t(2, 2), None).await;
    act(&app, t(3, 0), &b, &c, "acknowledge").await;
    cases.insert('F', open(&app, &m1, &fa, "critical", &c_id).await);
    app.clock.set(t(3, 1));
    cases.insert('G', open(&app, &m2, &fb, "major", &c_id).await);
    let g = cases[&'G'].clone();
    act(&app, t(4, 0), &b, &c, "submit_plan").await;
    let (s, e) = app
        .post(
            &format!("/api/v1/cases/{g}/extensions"),
            &b2,
            json!({"deadline": "acknowledge", "until": "2026-06-13T09:00:00Z", "reason": "Holiday"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{e}");
    act(&app, t(5, 0), &b, &m2, "reject_plan").await;
    act(&app, t(6, 0), &b, &c, "submit_plan").await;
    act(&app, t(7, 0), &b, &m2, "accept_plan").await;
    act(&app, t(10, 0), &a, &c, "report_remediated").await;
    act(&app, t(11, 0), &g, &c, "acknowledge").await;
    app.sweep_at(t(16, 1), None).await;
    app.sweep_at(t(33, 1), None).await;
    app.clock.set(t(38, 0));
    cases.insert('H', open(&app, &m1, &fa, "major", &c_id).await);
    app.clock.set(at("2026-07-11T00:00:00Z"));
    let y = open(&app, &m2, &fb, "critical", &c_id).await;
    act(&app, at("2026-07-11T01:00:00Z"), &y, &c, "acknowledge").await;
    cases.insert('Y', y);
    app.clock.set(t(40, 0));
    World {
        app,
        c,
        c_id,
        c2,
        b1,
        b2,
        b3,
        b1_id,
        m1,
        m2,
        k1,
        k2,
        cases,
    }
}

const PERIOD: &str = "?from=2026-06-01&to=2026-07-10";

async fn card(w: &World, query: &str, token: &str) -> Value {
    let (s, v) = w
        .app
        .get(
            &format!("/api/v1/organizations/{}/scorecard{query}", w.c_id),
            token,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    v
}

/// The ids of `letters`, in that order.
fn ids(w: &World, letters: &str) -> Value {
    json!(letters
        .chars()
        .map(|l| w.cases[&l].clone())
        .collect::<Vec<_>>())
}

/// The figures every reader gets alike (the counts are over all the contractor's cases).
fn assert_figures(v: &Value) {
    assert_eq!(v["from"], "2026-06-01");
    assert_eq!(v["to"], "2026-07-10");
    assert_eq!(v["cases_in_period"]["count"], 7);
    // K1 (P1 covered, Q1 not) and K2 (P2 covered) run on 2026-07-10; K0 ended: 2 of 3.
    let cov = &v["disclosure_coverage"];
    assert_eq!(
        (cov["numerator"].as_i64(), cov["denominator"].as_i64()),
        (Some(2), Some(3))
    );
    assert_eq!(cov["contracts"], 2);
    assert!((cov["value"].as_f64().unwrap() - 2.0 / 3.0).abs() < 1e-9);
    // On time: A, D, G; late or missed: B, E, F; H still within its deadline.
    let share = |k: &str| {
        (
            v[k]["numerator"].as_i64().unwrap(),
            v[k]["denominator"].as_i64().unwrap(),
            v[k]["value"].as_f64(),
        )
    };
    assert_eq!(share("acknowledged_on_time"), (3, 6, Some(0.5)));
    // A first time; B after a rejection.
    assert_eq!(share("plans_accepted_first_time"), (1, 2, Some(0.5)));
    // A on time; B and F missed their remediation deadline; D, E, G, H not due.
    let r = share("remediated_on_time");
    assert_eq!((r.0, r.1), (1, 3));
    assert!((r.2.unwrap() - 1.0 / 3.0).abs() < 1e-9);
    // Highest levels: B 2, E 2, F 3, G 1.
    let levels: Vec<(i64, i64)> = v["escalated"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["level"].as_i64().unwrap(), e["count"].as_i64().unwrap()))
        .collect();
    assert_eq!(levels, [(1, 4), (2, 3), (3, 1)]);
    assert_eq!(v["disputes"]["count"], 1);
    // 10, 24, 71 and 191 hours: nearest-rank median the 2nd (24), p90 the 4th (191).
    let tta = &v["time_to_acknowledge"];
    assert_eq!(
        (
            tta["count"].as_i64(),
            tta["median_hours"].as_f64(),
            tta["p90_hours"].as_f64()
        ),
        (Some(4), Some(24.0), Some(191.0))
    );
}

/// The case lists of a reader who sees `letters` of the cases (newest first: H, G, F, E, D,
/// B, A).
fn assert_lists(w: &World, v: &Value, letters: &str) {
    let of = |all: &str| -> String { all.chars().filter(|l| letters.contains(*l)).collect() };
    assert_eq!(v["cases_in_period"]["cases"], ids(w, &of("HGFEDBA")));
    assert_eq!(v["acknowledged_on_time"]["cases"], ids(w, &of("GDA")));
    assert_eq!(
        v["acknowledged_on_time"]["missed_cases"],
        ids(w, &of("FEB"))
    );
    assert_eq!(v["plans_accepted_first_time"]["cases"], ids(w, &of("A")));
    assert_eq!(
        v["plans_accepted_first_time"]["missed_cases"],
        ids(w, &of("B"))
    );
    assert_eq!(v["remediated_on_time"]["cases"], ids(w, &of("A")));
    assert_eq!(v["remediated_on_time"]["missed_cases"], ids(w, &of("FB")));
    assert_eq!(v["escalated"][0]["cases"], ids(w, &of("GFEB")));
    assert_eq!(v["escalated"][1]["cases"], ids(w, &of("FEB")));
    assert_eq!(v["escalated"][2]["cases"], ids(w, &of("F")));
    assert_eq!(v["disputes"]["cases"], ids(w, &of("D")));
    assert_eq!(v["time_to_acknowledge"]["cases"], ids(w, &of("GDBA")));
    assert_eq!(v["cases_in_period"]["complete"], true);
}

async fn every_figure_for_every_reader(backend: Backend) {
    let w = world(backend).await;
    // The contractor itself, the admin: every case.
    for token in [&w.c, &w.app.admin_token] {
        let v = card(&w, PERIOD, token).await;
        assert_figures(&v);
        assert_eq!(v["name"], "Contractor");
        assert_lists(&w, &v, "ABDEFGH");
        assert_eq!(
            v["disclosure_coverage"]["contract_ids"],
            json!([w.k1, w.k2])
        );
    }
    // Each buyer: the same figures, but only the cases on its own contracts, and only its
    // own contracts named.
    let v = card(&w, PERIOD, &w.b1).await;
    assert_figures(&v);
    assert_lists(&w, &v, "ADFH");
    assert_eq!(v["disclosure_coverage"]["contract_ids"], json!([w.k1]));
    let v = card(&w, PERIOD, &w.b2).await;
    assert_figures(&v);
    assert_lists(&w, &v, "BEG");
    assert_eq!(v["disclosure_coverage"]["contract_ids"], json!([w.k2]));
    // Each monitor: the cases of its own findings.
    let v = card(&w, PERIOD, &w.m1).await;
    assert_figures(&v);
    assert!(v["name"].is_null(), "monitors do not read the directory");
    assert_lists(&w, &v, "ADFH");
    let v = card(&w, PERIOD, &w.m2).await;
    assert_lists(&w, &v, "BEG");

    // No buyer's answer names a case of another buyer or of the competitor.
    let text = card(&w, PERIOD, &w.b1).await.to_string();
    for l in ['B', 'E', 'G', 'X', 'Y'] {
        assert!(!text.contains(&w.cases[&l]), "B1 sees case {l}");
    }
    assert!(!text.contains(&w.k2));

    // The default period: the twelve months up to today (2025-07-12 to 2026-07-11), so X
    // and Y count too.
    let v = card(&w, "", &w.c).await;
    assert_eq!(
        (v["from"].as_str(), v["to"].as_str()),
        (Some("2025-07-12"), Some("2026-07-11"))
    );
    assert_eq!(v["cases_in_period"]["count"], 9);
    // `to` alone: the twelve months before it.
    let v = card(&w, "?to=2026-05-31", &w.c).await;
    assert_eq!(v["from"], "2025-06-01");
    assert_eq!(v["cases_in_period"]["cases"], ids(&w, "X"));
    // Coverage on 2026-05-31: K1 and K2 run, their items were there: 2 of 3.
    assert_eq!(v["disclosure_coverage"]["denominator"], 3);
    assert_eq!(v["disclosure_coverage"]["numerator"], 2);
    // On 2025-12-31 only K0 ran, but its item was listed in 2026: nothing to cover then.
    let v = card(&w, "?to=2025-12-31", &w.c).await;
    assert_eq!(v["disclosure_coverage"]["contracts"], 1);
    assert_eq!(v["disclosure_coverage"]["denominator"], 0);
    assert!(v["disclosure_coverage"]["value"].is_null());
    // An empty period: nothing counts, every share null.
    let v = card(&w, "?from=2026-01-01&to=2026-01-31", &w.c).await;
    assert_eq!(v["cases_in_period"]["count"], 0);
    assert!(v["acknowledged_on_time"]["value"].is_null());
    assert!(v["time_to_acknowledge"]["median_hours"].is_null());
}

async fn who_may_ask_and_what_is_refused(backend: Backend) {
    let w = world(backend).await;
    let path = |org: &str, q: &str| format!("/api/v1/organizations/{org}/scorecard{q}");
    // A buyer without a contract with the contractor: 403; a competitor: 404.
    let (s, _) = w.app.get(&path(&w.c_id, ""), &w.b3).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = w.app.get(&path(&w.c_id, ""), &w.c2).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    // Not a contractor, or no such organization: 404, even for the admin.
    for org in [
        w.b1_id.clone(),
        "0190a0a0-0000-7000-8000-000000000000".to_string(),
    ] {
        let (s, _) = w.app.get(&path(&org, ""), &w.app.admin_token).await;
        assert_eq!(s, StatusCode::NOT_FOUND);
    }
    // from after to: 422 naming `to`; a date that does not parse: refused naming it.
    let (s, p) = w
        .app
        .get(&path(&w.c_id, "?from=2026-07-01&to=2026-06-01"), &w.c)
        .await;
    assert_eq!(
        (s, p["errors"][0]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("to")),
        "{p}"
    );
    for (q, field) in [
        ("?from=2026-13-01", "from"),
        ("?to=yesterday", "to"),
        ("?from=1/6/2026", "from"),
        // The API takes a value as sent: an empty one is no date (the page's empty field is
        // the default).
        ("?to=", "to"),
    ] {
        let (s, p) = w.app.get(&path(&w.c_id, q), &w.c).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{q}: {p}");
        assert_eq!(p["errors"][0]["field"], field, "{p}");
    }
    // `to` after today (2026-07-11), or `from` after today with `to` defaulted: 422 naming `to`.
    let (s, p) = w.app.get(&path(&w.c_id, "?to=2026-07-12"), &w.c).await;
    assert_eq!(
        (s, p["errors"][0]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("to")),
        "the future: {p}"
    );
    let (s, p) = w.app.get(&path(&w.c_id, "?from=2027-01-01"), &w.c).await;
    assert_eq!(
        (s, p["errors"][0]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("to"))
    );
}

async fn the_page_shows_the_figures_and_the_cases_behind_them(backend: Backend) {
    let w = world(backend).await;
    let (_, buyer) = w.app.person(&w.b1_id, "bea@one.example.org", "Bea").await;
    let page = w
        .app
        .page(
            &format!(
                "/organizations/{}/scorecard?from=2026-06-01&to=2026-07-10",
                w.c_id
            ),
            Some(&buyer),
        )
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert_eq!(page.headers["cache-control"], "no-store");
    let body = &page.body;
    assert!(body.contains("Scorecard of Contractor"), "{body}");
    assert!(body.contains("Acknowledged on time"));
    assert!(body.contains("50.0 %"), "{body}");
    assert!(body.contains("3 of 6 cases"));
    assert!(
        body.contains("median 24.0 h, 90th percentile 191.0 h"),
        "{body}"
    );
    for l in ['A', 'D', 'F', 'H'] {
        assert!(
            body.contains(&format!("<code>{}</code>", w.cases[&l])),
            "case {l} not listed"
        );
    }
    for l in ['B', 'E', 'G'] {
        assert!(
            !body.contains(&w.cases[&l]),
            "another buyer's case {l} listed"
        );
    }
    // The download, with the session only, the same figures one row per figure.
    let csv = w
        .app
        .page(
            &format!(
                "/organizations/{}/scorecard.csv?from=2026-06-01&to=2026-07-10",
                w.c_id
            ),
            Some(&buyer),
        )
        .await;
    assert_eq!(csv.status, StatusCode::OK);
    assert_eq!(csv.headers["cache-control"], "no-store");
    let rows: Vec<&str> = csv.body.lines().collect();
    assert_eq!(
        rows[0],
        "organization_id,from,to,figure,value,numerator,denominator,cases,missed_cases"
    );
    let ack = rows
        .iter()
        .find(|r| r.contains(",acknowledged_on_time,"))
        .unwrap();
    let (a, d, f) = (&w.cases[&'A'], &w.cases[&'D'], &w.cases[&'F']);
    assert_eq!(
        *ack,
        format!(
            "{},2026-06-01,2026-07-10,acknowledged_on_time,0.5,3,6,{d}; {a},{f}",
            w.c_id
        )
    );
    assert_eq!(rows.len(), 12, "{}", csv.body);
    // The API answers the same CSV to `Accept: text/csv`.
    let res = w
        .app
        .client
        .get(format!(
            "{}/api/v1/organizations/{}/scorecard?from=2026-06-01&to=2026-07-10",
            w.app.base, w.c_id
        ))
        .bearer_auth(&w.b1)
        .header("accept", "text/csv")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.text().await.unwrap(), csv.body);
    // The contractor's own page; refused as the API refuses.
    let (_, person) = w
        .app
        .person(&w.c_id, "cy@contractor.example.org", "Cy")
        .await;
    let own = w
        .app
        .page(
            &format!("/organizations/{}/scorecard", w.c_id),
            Some(&person),
        )
        .await;
    assert_eq!(own.status, StatusCode::OK);
    let bad = w
        .app
        .page(
            &format!(
                "/organizations/{}/scorecard?from=2026-07-01&to=2026-06-01",
                w.c_id
            ),
            Some(&buyer),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    let none = w
        .app
        .page(
            &format!("/organizations/{}/scorecard", w.b1_id),
            Some(&buyer),
        )
        .await;
    assert_eq!(none.status, StatusCode::NOT_FOUND);
}

/// 5,000 cases of one contractor, half acknowledged: the scorecard answers from aggregates
/// (a query per case would take seconds here, even in a debug build), and the lists stop at 500.
async fn five_thousand_cases_answer_quickly(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.clock.set(at(T0));
    let chain = app.chain(1).await;
    let (c_id, c, ..) = chain.contractors[0].clone();
    app.bulk_findings(&chain.monitor, &chain.factory, "major", 5_000)
        .await;
    // Half acknowledged after an hour (in place: the figures only read the case rows).
    let later = match backend {
        Backend::Sqlite => "datetime(opened_at, '+1 hour')",
        Backend::Postgres => "opened_at + INTERVAL '1 hour'",
    };
    let n = app
        .execute(&format!(
            "UPDATE cases SET acknowledged_at = {later} \
             WHERE id IN (SELECT id FROM cases ORDER BY id LIMIT 2500)"
        ))
        .await;
    assert_eq!(n, 2500);
    app.clock.set(t(30, 0));
    let path = format!("/api/v1/organizations/{c_id}/scorecard");
    let started = std::time::Instant::now();
    for _ in 0..5 {
        let (s, v) = app.get(&path, &c).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(v["cases_in_period"]["count"], 5_000);
        assert_eq!(v["cases_in_period"]["cases"].as_array().unwrap().len(), 500);
        assert_eq!(v["cases_in_period"]["complete"], false);
        assert_eq!(v["acknowledged_on_time"]["numerator"], 2500);
        assert_eq!(v["acknowledged_on_time"]["denominator"], 5_000);
        assert_eq!(v["time_to_acknowledge"]["median_hours"], 1.0);
    }
    let each = started.elapsed() / 5;
    eprintln!("{backend:?}: {each:?} per scorecard over 5,000 cases");
    assert!(each < std::time::Duration::from_secs(2), "{each:?}");
}

on_both_backends!(
    five_thousand_cases_answer_quickly,
    every_figure_for_every_reader,
    who_may_ask_and_what_is_refused,
    the_page_shows_the_figures_and_the_cases_behind_them,
);
