//! A case shared by contracts of two buyers, and two monitors with findings at one factory.
//! Buyers are not told of each other: each sees its own contracts, its own words and what the
//! contractor and the monitor say; another buyer's comments are not shown to it (nor mailed),
//! its extensions are shown without actor and reason. A monitor's contract figures count every
//! case but list and recount the history of its own cases only. A factory's exposure, the
//! leverage ranking, the contractor's scorecard and the yearly report show each buyer its own
//! contract and of the other only a count.

mod common;

use common::{id, Backend, Credential, TestApp};
use reqwest::StatusCode;
use serde_json::{json, Value};

struct World {
    app: TestApp,
    b1: (String, String),
    b2: (String, String),
    contractor: (String, String),
    m1: (String, String),
    m2: (String, String),
    k1: String,
    k2: String,
    /// The case of m1's finding, listing k1 and k2.
    case: String,
    /// The case of m2's finding.
    other: String,
}

const B2_WORDS: &str = "B2 budget line 7 is at risk";
const B2_REASON: &str = "B2 internal audit calendar";

async fn world(backend: Backend) -> World {
    let app = TestApp::spawn(backend).await;
    let b1 = app.org("buyer", "Stad Gent").await;
    let b2 = app.org("buyer", "Provincie Antwerpen").await;
    let contractor = app.org("contractor", "Laptops NV").await;
    let m1 = app.org("monitor", "Electronics Watch").await;
    let m2 = app.org("monitor", "Other Watch").await;
    let factory = app.factory(&contractor.1, "Shared Factory").await;
    let product = app.component(&contractor.1, "Laptop X", None).await;
    app.source(&contractor.1, &product, &factory, "2026-01-01", None)
        .await;
    let k1 = app
        .contract(
            &b1.0,
            &b1.1,
            &contractor.0,
            "GENT-1",
            "2026-01-01",
            "2027-12-31",
        )
        .await;
    let k2 = app
        .contract(
            &b2.0,
            &b2.1,
            &contractor.0,
            "ANT-1",
            "2026-01-01",
            "2027-12-31",
        )
        .await;
    app.item(&contractor.1, &k1, &product).await;
    app.item(&contractor.1, &k2, &product).await;
    let f = app.finding(&m1.1, &factory, "major", "2026-05-01").await;
    assert_eq!(f["cases"].as_array().unwrap().len(), 1, "{f}");
    let case = id(&f["cases"][0]);
    let mut ks = vec![k1.clone(), k2.clone()];
    ks.sort();
    assert_eq!(
        f["cases"][0]["contract_ids"],
        json!(ks),
        "one case, both contracts"
    );
    let f2 = app.finding(&m2.1, &factory, "minor", "2026-05-02").await;
    let other = id(&f2["cases"][0]);
    let w = World {
        app,
        b1,
        b2,
        contractor,
        m1,
        m2,
        k1,
        k2,
        case,
        other,
    };
    // Each buyer comments; the contractor answers; the second buyer extends a deadline.
    let c = &w.case;
    for (token, text) in [
        (&w.b1.1, "B1 asks for the audit report"),
        (&w.b2.1, B2_WORDS),
        (&w.contractor.1, "The audit is planned"),
    ] {
        let (s, body) = w
            .app
            .post(
                &format!("/api/v1/cases/{c}/comments"),
                token,
                json!({"text": text}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{body}");
    }
    let (s, body) = w
        .app
        .post(
            &format!("/api/v1/cases/{c}/extensions"),
            &w.b2.1,
            json!({"deadline": "plan", "until": "2026-09-01T00:00:00Z", "reason": B2_REASON}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    w
}

/// The whole answer as text: what must not be in it must not be anywhere in it.
fn text(v: &Value) -> String {
    v.to_string()
}

async fn a_buyer_sees_nothing_of_the_other_buyer(backend: Backend) {
    let w = world(backend).await;
    let c = &w.case;
    let app = &w.app;
    let secrets = [w.b2.0.as_str(), w.k2.as_str(), B2_WORDS, B2_REASON];

    let (s, case) = app.get(&format!("/api/v1/cases/{c}"), &w.b1.1).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(case["contract_ids"], json!([w.k1]));
    assert_eq!(case["contractor_name"], "Laptops NV");
    let (s, history) = app
        .get(&format!("/api/v1/cases/{c}/events?limit=500"), &w.b1.1)
        .await;
    assert_eq!(s, StatusCode::OK);
    let (_, comments) = app
        .get(&format!("/api/v1/cases/{c}/comments"), &w.b1.1)
        .await;
    let (_, list) = app.get("/api/v1/cases?limit=500", &w.b1.1).await;
    let (_, dd) = app
        .get(
            &format!("/api/v1/contracts/{}/due-diligence", w.k1),
            &w.b1.1,
        )
        .await;
    for (what, v) in [
        ("case", &case),
        ("history", &history),
        ("comments", &comments),
        ("list", &list),
        ("due diligence", &dd),
    ] {
        for secret in secrets {
            assert!(!text(v).contains(secret), "{what} shows {secret:?}: {v}");
        }
    }
    let items = history["items"].as_array().unwrap();
    let kinds: Vec<&str> = items.iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!(
        kinds,
        ["opened", "comment", "comment", "extension_granted"],
        "the other buyer's comment is not shown"
    );
    assert_eq!(items[0]["payload"]["contract_ids"], json!([w.k1]));
    assert_eq!(items[0]["redacted"], true);
    assert_eq!(items[1]["redacted"], false);
    let ext = &items[3];
    assert!(ext["actor_organization_id"].is_null() && ext["payload"].get("reason").is_none());
    assert_eq!(
        ext["payload"]["until"], "2026-09-01T00:00:00Z",
        "the new deadline is shown"
    );
    assert_eq!(ext["redacted"], true);
    let texts: Vec<&str> = comments["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["payload"]["text"].as_str().unwrap())
        .collect();
    assert_eq!(
        texts,
        ["B1 asks for the audit report", "The audit is planned"]
    );
    // The contract's recent activity counts the same events.
    let dd_comments = dd["history"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|h| h["kind"] == "comment")
        .count();
    assert_eq!(dd_comments, 2, "{dd}");

    // A filter on the other buyer's contract is refused like the contract itself.
    let (s, body) = app
        .get(&format!("/api/v1/cases?contract_id={}", w.k2), &w.b1.1)
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{body}");
    let (s, own) = app
        .get(&format!("/api/v1/cases?contract_id={}", w.k1), &w.b1.1)
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        own["items"].as_array().unwrap().len(),
        2,
        "both monitors' cases list it"
    );
    let (s, _) = app
        .get(
            &format!("/api/v1/cases?contract_id={}", w.k1),
            &w.contractor.1,
        )
        .await;
    assert_eq!(
        s,
        StatusCode::OK,
        "the contractor of the contract may filter on it"
    );

    // The second buyer sees its own words whole, and the first buyer's comment not at all.
    let (_, h2) = app
        .get(&format!("/api/v1/cases/{c}/events?limit=500"), &w.b2.1)
        .await;
    assert!(text(&h2).contains(B2_WORDS) && text(&h2).contains(B2_REASON));
    assert!(!text(&h2).contains("B1 asks") && !text(&h2).contains(&w.k1));

    // The contractor and the monitor read everything.
    for token in [&w.contractor.1, &w.m1.1] {
        let (_, h) = app
            .get(&format!("/api/v1/cases/{c}/events?limit=500"), token)
            .await;
        for needle in [B2_WORDS, B2_REASON, "B1 asks", w.b2.0.as_str()] {
            assert!(text(&h).contains(needle), "{needle}: {h}");
        }
        assert!(h["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["redacted"] == false));
    }
}

/// The outbox rows of a case as (recipient organization, kind, payload), read from the table
/// (the admin API does not show payloads).
fn outbox(app: &TestApp, case: &str) -> Vec<(String, String, String)> {
    use diesel::prelude::*;
    use ketenzorg::schema::notifications as n;
    let mut conn = app.db.get().unwrap();
    n::table
        .filter(n::case_id.eq(case))
        .select((n::recipient_organization_id, n::kind, n::payload))
        .load(&mut *conn)
        .unwrap()
}

async fn mails_follow_what_each_buyer_may_read(backend: Backend) {
    let w = world(backend).await;
    let rows = outbox(&w.app, &w.case);
    let to = |org: &str, kind: &str| -> Vec<String> {
        rows.iter()
            .filter(|r| r.0 == org && r.1 == kind)
            .map(|r| r.2.clone())
            .collect()
    };
    // The second buyer's comment reaches the contractor and the monitor, not the first buyer.
    assert_eq!(
        to(&w.b1.0, "comment").len(),
        1,
        "only the contractor's comment"
    );
    assert!(to(&w.b1.0, "comment")[0].contains("The audit is planned"));
    assert_eq!(to(&w.contractor.0, "comment").len(), 2);
    assert_eq!(to(&w.m1.0, "comment").len(), 3);
    // Its extension reaches the first buyer without its reason and its name.
    assert_eq!(to(&w.b1.0, "extension_granted").len(), 1);
    let all_b1: String = rows
        .iter()
        .filter(|r| r.0 == w.b1.0)
        .map(|r| r.2.clone())
        .collect();
    for secret in [w.b2.0.as_str(), w.k2.as_str(), B2_WORDS, B2_REASON] {
        assert!(
            !all_b1.contains(secret),
            "a mail to B1 carries {secret:?}: {all_b1}"
        );
    }
    let contractor = to(&w.contractor.0, "extension_granted").concat();
    assert!(
        contractor.contains(B2_REASON) && contractor.contains(&w.b2.0),
        "the contractor is told who and why: {contractor}"
    );
}

async fn a_monitor_lists_only_the_cases_of_its_findings(backend: Backend) {
    let w = world(backend).await;
    let app = &w.app;
    let (s, dd) = app
        .get(
            &format!("/api/v1/contracts/{}/due-diligence", w.k1),
            &w.m2.1,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{dd}");
    assert_eq!(
        dd["cases"]["total"], 2,
        "the figures count every case: {dd}"
    );
    let open: Vec<&str> = dd["cases"]["open_cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(open, [w.other.as_str()]);
    assert_eq!(dd["cases"]["open_cases"][0]["title"], "Excessive overtime");
    assert!(
        dd["history"]
            .as_array()
            .unwrap()
            .iter()
            .all(|h| h["case_id"] == w.other.as_str()),
        "{dd}"
    );
    assert!(
        !text(&dd).contains(&w.case),
        "the other monitor's case: {dd}"
    );
    // The same in the past view and in the CSV.
    let (_, past) = app
        .get(
            &format!("/api/v1/contracts/{}/due-diligence?at=2026-06-01", w.k1),
            &w.m2.1,
        )
        .await;
    assert!(!text(&past).contains(&w.case), "{past}");
    let csv = app
        .client
        .get(format!(
            "{}/api/v1/contracts/{}/due-diligence",
            app.base, w.k1
        ))
        .bearer_auth(&w.m2.1)
        .header("Accept", "text/csv")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!csv.contains(&w.case), "{csv}");
    // The first monitor lists its own, and the buyer both.
    let (_, dd1) = app
        .get(
            &format!("/api/v1/contracts/{}/due-diligence", w.k1),
            &w.m1.1,
        )
        .await;
    assert!(text(&dd1).contains(&w.case) && !text(&dd1).contains(&w.other));
    let (_, db) = app
        .get(
            &format!("/api/v1/contracts/{}/due-diligence", w.k1),
            &w.b1.1,
        )
        .await;
    assert_eq!(db["cases"]["open_cases"].as_array().unwrap().len(), 2);
    // A case names its contractor to the monitor.
    let (_, case) = app
        .get(&format!("/api/v1/cases/{}", w.other), &w.m2.1)
        .await;
    assert_eq!(case["contractor_name"], "Laptops NV");
}

/// People: another buyer's person who acts on the shared case is as unknown to a buyer (its
/// token and its people) as that buyer itself; the contractor sees who acted.
async fn another_buyer_s_person_is_never_named(backend: Backend) {
    let w = world(backend).await;
    let app = &w.app;
    let c = &w.case;
    let (b2_person_id, b2_person) = app
        .person(&w.b2.0, "inkoper@antwerpen.example.be", "Ilse Inkoper")
        .await;
    let (_, b1_person) = app.person(&w.b1.0, "an@gent.example.be", "An Gent").await;
    let as_b2 = Credential::Session(b2_person);
    for (path, body) in [
        (
            "extensions",
            json!({"deadline": "plan", "until": "2026-10-01T00:00:00Z", "reason": B2_REASON}),
        ),
        ("comments", json!({"text": B2_WORDS})),
    ] {
        let (s, answer) = app
            .request_as(
                reqwest::Method::POST,
                &format!("/api/v1/cases/{c}/{path}"),
                &as_b2,
                Some(&body),
            )
            .await;
        assert!(s.is_success(), "{path}: {s} {answer}");
    }
    // The contractor sees the person behind the extension.
    let (_, history) = app
        .get(&format!("/api/v1/cases/{c}/events"), &w.contractor.1)
        .await;
    let text = history.to_string();
    assert!(
        text.contains("Ilse Inkoper") && text.contains(&b2_person_id),
        "{text}"
    );
    // The other buyer, by token and as a person, reads the case, its history and comments
    // without the person's id or name.
    for reader in [
        Credential::Bearer(w.b1.1.clone()),
        Credential::Session(b1_person),
    ] {
        for tail in ["", "/events", "/comments"] {
            let (s, answer) = app
                .request_as(
                    reqwest::Method::GET,
                    &format!("/api/v1/cases/{c}{tail}"),
                    &reader,
                    None,
                )
                .await;
            assert_eq!(s, StatusCode::OK, "{tail}: {answer}");
            let text = answer.to_string();
            assert!(
                !text.contains("Ilse Inkoper") && !text.contains(&b2_person_id),
                "{tail} names the other buyer's person: {text}"
            );
        }
    }
}

/// The shared case in the views of issue 17: a factory's exposure, the leverage ranking, the
/// contractor's scorecard and the yearly report (JSON, CSV and printable), as each buyer reads
/// them: its own contract and the shared case, and of the other buyer only a count.
async fn each_buyer_s_exposure_ranking_scorecard_and_report(backend: Backend) {
    let w = world(backend).await;
    let app = &w.app;
    let (_, case) = app.get(&format!("/api/v1/cases/{}", w.case), &w.b1.1).await;
    let factory = case["factory_id"].as_str().unwrap().to_string();
    let buyers = [(&w.b1, &w.k1, "GENT-1"), (&w.b2, &w.k2, "ANT-1")];
    for (me, (buyer, own, own_ref)) in buyers.iter().enumerate() {
        let (other, other_k, other_ref) = buyers[1 - me];
        let token = &buyer.1;
        let mut answers = Vec::new();
        let (s, e) = app
            .get(
                &format!("/api/v1/factories/{factory}/exposure?at=2026-06-01"),
                token,
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{e}");
        assert_eq!(
            (e["exposed_buyers"].clone(), e["other_buyers"].clone()),
            (json!(2), json!(1)),
            "{e}"
        );
        let ks: Vec<&str> = e["contracts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| k["id"].as_str().unwrap())
            .collect();
        assert_eq!(ks, [own.as_str()], "{e}");
        answers.push(("exposure", text(&e)));
        let (s, r) = app.get("/api/v1/leverage?at=2026-06-01", token).await;
        assert_eq!(s, StatusCode::OK, "{r}");
        assert_eq!(r["items"][0]["exposed_buyers"], 2, "{r}");
        assert_eq!(r["items"][0]["contracts"], 1, "{r}");
        answers.push(("ranking", text(&r)));
        let path = format!("/api/v1/organizations/{}/scorecard", w.contractor.0);
        let (s, c) = app.get(&path, token).await;
        assert_eq!(s, StatusCode::OK, "{c}");
        assert!(
            text(&c).contains(&w.case),
            "the shared case is in reach: {c}"
        );
        answers.push(("scorecard", text(&c)));
        let (s, r) = app
            .get(
                "/api/v1/reports/due-diligence?from=2026-01-01&to=2026-06-01",
                token,
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{r}");
        assert_eq!(r["cases"]["opened"], 2, "{r}");
        assert!(text(&r).contains(*own_ref), "{r}");
        assert!(text(&r).contains(&w.case), "{r}");
        answers.push(("report", text(&r)));
        for (what, accept) in [("report CSV", "text/csv"), ("report page", "text/html")] {
            let res = app
                .client
                .get(format!(
                    "{}/api/v1/reports/due-diligence?from=2026-01-01&to=2026-06-01",
                    app.base
                ))
                .bearer_auth(token)
                .header("Accept", accept)
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), StatusCode::OK, "{what}");
            let body = res.text().await.unwrap();
            assert!(body.contains(&w.case), "{what}: {body}");
            answers.push((what, body));
        }
        for (what, body) in answers {
            let other_name = ["Stad Gent", "Provincie Antwerpen"][1 - me];
            for leak in [other.0.as_str(), other_k.as_str(), other_ref, other_name] {
                assert!(
                    !body.contains(leak),
                    "{what} of buyer {} shows {leak} of the other buyer: {body}",
                    me + 1
                );
            }
        }
    }
}

on_both_backends!(
    each_buyer_s_exposure_ranking_scorecard_and_report,
    another_buyer_s_person_is_never_named,
    a_buyer_sees_nothing_of_the_other_buyer,
    mails_follow_what_each_buyer_may_read,
    a_monitor_lists_only_the_cases_of_its_findings,
);
