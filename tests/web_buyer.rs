//! The buyer's pages: the portfolio (status words, sorting, filtering, CSV with the session)
//! and a contract's page (coverage gaps, factories by country and tier, its cases, the chart),
//! each showing what the due-diligence API shows the buyer and nothing of another buyer's.

mod common;

use common::{id, Backend, Chain, Session, TestApp};
use reqwest::StatusCode;
use serde_json::json;

/// Three contracts of one buyer: K0 with its product made at a disclosed tier-1 factory
/// (covered, green), K1 without (amber), K9 ending soonest with no items (amber); a finding at
/// the shared factory opens a case on K0 and K1. Another buyer has a contract with the same
/// contractor.
struct World {
    chain: Chain,
    buyer: Session,
    other_buyer: Session,
    other_contract: String,
    finding: serde_json::Value,
}

async fn world(app: &TestApp) -> World {
    let chain = app.chain(2).await;
    let (_, ctoken, _, product0, _) = &chain.contractors[0];
    let (s, body) = app
        .post(
            &format!("/api/v1/components/{product0}/sources"),
            ctoken,
            json!({"factory_id": chain.factory, "tier": 1, "valid_from": "2026-01-01"}),
        )
        .await;
    assert!(s.is_success(), "{body}");
    let finding = app
        .finding(&chain.monitor, &chain.factory, "major", "2026-05-20")
        .await;
    assert_eq!(finding["cases"].as_array().unwrap().len(), 2, "{finding}");
    // A third contract of the buyer, ending soonest, without items.
    app.contract(
        &chain.buyer_id,
        &chain.buyer,
        &chain.contractors[0].0,
        "K9",
        "2026-01-01",
        "2026-09-30",
    )
    .await;
    let (other_id, other_token) = app.org("buyer", "Other Buyer").await;
    let other_contract = app
        .contract(
            &other_id,
            &other_token,
            &chain.contractors[0].0,
            "OTHER-7",
            "2026-01-01",
            "2027-12-31",
        )
        .await;
    let (_, buyer) = app
        .person(&chain.buyer_id, "bea@buyer.example.org", "Bea Buyer")
        .await;
    let (_, other_buyer) = app
        .person(&other_id, "otto@other.example.org", "Otto Other")
        .await;
    World {
        chain,
        buyer,
        other_buyer,
        other_contract,
        finding,
    }
}

/// The order in which `needles` first appear in `body`.
fn position(body: &str, needle: &str) -> usize {
    body.find(needle)
        .unwrap_or_else(|| panic!("{needle:?} not in the page:\n{body}"))
}

async fn the_portfolio_lists_sorts_filters_and_downloads(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let w = world(&app).await;
    let k0 = &w.chain.contractors[0].2;
    let k1 = &w.chain.contractors[1].2;

    let page = app.page("/contracts", Some(&w.buyer)).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let body = &page.body;
    assert!(
        body.contains(&format!("href=\"/contracts/{k0}\">K0</a>")),
        "{body}"
    );
    assert!(body.contains(&format!("href=\"/contracts/{k1}\">K1</a>")));
    assert!(
        !body.contains("OTHER-7"),
        "another buyer's contract is listed"
    );
    // Status as a word, with the reason.
    assert!(body.contains(r#"<span class="badge green">Green</span>"#));
    assert!(body.contains(r#"<span class="badge amber">Amber</span>"#));
    assert!(body.contains("Disclosure incomplete: items without a tier-1 factory"));
    // Default order: by status, amber (K1) before green (K0).
    assert!(position(body, ">K1</a>") < position(body, ">K0</a>"));
    // The summary cards count the contracts by status.
    assert!(
        body.contains(r#"<div class="figure">3</div><div class="label">Contracts</div>"#),
        "{body}"
    );
    assert!(body
        .contains(r#"<div class="figure">2</div><div class="label"><span class="badge amber">"#));

    let by_reference = app.page("/contracts?sort=reference", Some(&w.buyer)).await;
    assert_eq!(by_reference.status, StatusCode::OK);
    assert!(position(&by_reference.body, ">K0</a>") < position(&by_reference.body, ">K1</a>"));
    assert!(position(&by_reference.body, ">K1</a>") < position(&by_reference.body, ">K9</a>"));
    // By end date: K9 (2026-09-30) first; its end date shown.
    let by_end = app.page("/contracts?sort=ends_on", Some(&w.buyer)).await;
    assert!(position(&by_end.body, ">K9</a>") < position(&by_end.body, ">K0</a>"));
    assert!(by_end.body.contains(r#"<time datetime="2026-09-30">"#));

    let amber = app.page("/contracts?status=amber", Some(&w.buyer)).await;
    assert!(amber.body.contains(">K1</a>"));
    assert!(
        !amber.body.contains(">K0</a>"),
        "the status filter keeps green"
    );
    let text = app.page("/contracts?q=k0", Some(&w.buyer)).await;
    assert!(text.body.contains(">K0</a>"));
    assert!(!text.body.contains(">K1</a>"), "the text filter keeps K1");
    // The filter form shows what is filtered.
    assert!(amber.body.contains(r#"<option value="amber" selected>"#));

    // The CSV link, followed with the session cookie only (a browser's link).
    // (minijinja escapes the slash in attributes.)
    assert!(
        page.body
            .contains("contracts.csv?sort=status\" download>Download as CSV"),
        "{}",
        page.body
    );
    let csv = app
        .page("/contracts.csv?sort=reference", Some(&w.buyer))
        .await;
    assert_eq!(csv.status, StatusCode::OK, "{}", csv.body);
    assert!(csv.headers["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    let lines: Vec<&str> = csv.body.lines().collect();
    assert_eq!(lines.len(), 4, "{}", csv.body);
    assert!(lines[0].starts_with("contract_id,"), "{}", lines[0]);
    assert!(
        lines[1].contains(",K0,") && lines[1].contains(",green,"),
        "{}",
        lines[1]
    );
    assert!(
        lines[2].contains(",K1,") && lines[2].contains(",amber,"),
        "{}",
        lines[2]
    );
    let only_amber = app
        .page("/contracts.csv?status=amber", Some(&w.buyer))
        .await;
    assert_eq!(only_amber.body.lines().count(), 3, "{}", only_amber.body);
    assert!(!only_amber.body.contains(",K0,"));
    assert!(!csv.body.contains("OTHER-7"));
    // Without a session the CSV is not given.
    let anonymous = app.page("/contracts.csv", None).await;
    assert_ne!(anonymous.status, StatusCode::OK);
    // As CSV cells or page text, not inside a random token of the sign-in page.
    assert!(!anonymous.body.contains(",K0,") && !anonymous.body.contains(">K0"));

    // The other buyer sees its own contract only.
    let other = app.page("/contracts", Some(&w.other_buyer)).await;
    assert!(other.body.contains("OTHER-7"));
    assert!(!other.body.contains(">K0</a>"));
    let _ = &w.other_contract;
}

async fn the_contract_page_shows_coverage_factories_cases_and_a_chart(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let w = world(&app).await;
    let (cid1, _, k1, _, _) = &w.chain.contractors[1];
    let case = w.finding["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["contractor_id"] == json!(cid1))
        .map(id)
        .expect("a case for contractor 1");

    let page = app.page(&format!("/contracts/{k1}"), Some(&w.buyer)).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let body = &page.body;
    assert!(body.contains("<h1>K1: Lot</h1>"), "{body}");
    // The buyer reaches the contractor's scorecard from the contract; it opens.
    let scorecard = format!("/organizations/{cid1}/scorecard");
    assert!(
        body.contains(&format!(
            "<p><a href=\"{scorecard}\">The contractor&#x27;s scorecard</a>"
        )),
        "{body}"
    );
    let opened = app.page(&scorecard, Some(&w.buyer)).await;
    assert_eq!(opened.status, StatusCode::OK, "{}", opened.body);
    assert!(body.contains(r#"<span class="badge amber">Amber</span>"#));
    // Coverage: the item's product lacks a tier-1 factory.
    assert!(body.contains("0 of 1 items have a tier-1 factory"));
    let gaps = &body[position(body, "id=\"coverage-gaps\"")..];
    assert!(
        gaps[..gaps.find("</ul>").unwrap()].contains("Product 1"),
        "{gaps}"
    );
    // The supply chain by country and tier.
    let chain = &body[position(body, "Country: CN")..];
    assert!(chain.find("Tier 2").unwrap() < chain.find("Shared Factory").unwrap());
    // Its case, linked to the case page, with state and severity.
    assert!(
        body.contains(&format!("href=\"/cases/{case}\">Excessive overtime</a>")),
        "{body}"
    );
    let cases = &body[position(body, "id=\"open-cases\"")..];
    assert!(cases.contains("<td>Open</td>") && cases.contains("<td>Major</td>"));
    // The chart: an accessible inline SVG with twelve weeks of bars, the case open in the last.
    assert!(body.contains(r#"role="img" aria-labelledby="cases-chart-title cases-chart-desc""#));
    assert!(
        body.contains(r#"<title id="cases-chart-title">Open and overdue cases over time</title>"#)
    );
    assert_eq!(body.matches(r#"class="bar open""#).count(), 12);
    assert!(body.contains(": Open 1</title>"), "the case open now");
    assert_eq!(
        body.matches(": Open 1</title>").count(),
        1,
        "opened this week only"
    );
    // The same figures as a table.
    let table = &body[position(body, "id=\"chart-data\"")..];
    assert_eq!(table.matches("<tr>").count(), 13);
    // No other contract's figures: the covered K0's page is green.
    let k0 = &w.chain.contractors[0].2;
    let green = app.page(&format!("/contracts/{k0}"), Some(&w.buyer)).await;
    assert!(
        green.body.contains("Every item has a tier-1 factory"),
        "{}",
        green.body
    );

    // Another buyer: the 404 page, for this buyer's contract; its own contract it sees.
    let stranger = app
        .page(&format!("/contracts/{k1}"), Some(&w.other_buyer))
        .await;
    assert_eq!(stranger.status, StatusCode::NOT_FOUND);
    assert!(stranger.body.contains("<h1>Not found</h1>") || stranger.body.contains("Not found"));
    assert!(!stranger.body.contains("Excessive overtime"));
    // As text, not inside a random token of the page (a CSRF field may hold "K1" by chance).
    assert!(!stranger.body.contains(">K1"), "{}", stranger.body);
    let own = app
        .page(
            &format!("/contracts/{}", w.other_contract),
            Some(&w.other_buyer),
        )
        .await;
    assert_eq!(own.status, StatusCode::OK);
    assert!(own.body.contains("OTHER-7"));
    // The contractor of K1 sees its page (as the API lets it), not K0 of another contractor.
    let (_, contractor) = app
        .person(cid1, "carl@contractor1.example.org", "Carl Contractor")
        .await;
    let mine = app
        .page(&format!("/contracts/{k1}"), Some(&contractor))
        .await;
    assert_eq!(mine.status, StatusCode::OK, "{}", mine.body);
    assert!(mine.body.contains("0 of 1 items have a tier-1 factory"));
    assert!(
        !mine.body.contains(&format!("<p><a href=\"{scorecard}\">")),
        "the buyer's link only"
    );
    let not_mine = app
        .page(&format!("/contracts/{k0}"), Some(&contractor))
        .await;
    assert_eq!(not_mine.status, StatusCode::NOT_FOUND);
    // The buyer, the other way round.
    let theirs = app
        .page(&format!("/contracts/{}", w.other_contract), Some(&w.buyer))
        .await;
    assert_eq!(theirs.status, StatusCode::NOT_FOUND);
}

async fn overdue_cases_come_first_and_the_chart_follows_the_history(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let chain = app.chain(1).await;
    let k = &chain.contractors[0].2;
    let minor = app
        .finding(&chain.monitor, &chain.factory, "minor", "2026-05-20")
        .await;
    let critical = app
        .finding(&chain.monitor, &chain.factory, "critical", "2026-05-21")
        .await;
    let (minor, critical) = (id(&minor["cases"][0]), id(&critical["cases"][0]));
    // A third case, closed between the chart's last two points: open at the one, done at the
    // other (and not listed).
    let closed = app
        .finding(&chain.monitor, &chain.factory, "major", "2026-05-22")
        .await;
    let closed = id(&closed["cases"][0]);
    app.clock.set(common::at("2026-06-05T10:00:00Z"));
    let (st, r) = app
        .post(
            &format!("/api/v1/cases/{closed}/transitions"),
            &chain.monitor,
            json!({"action": "close", "reason": "Resolved"}),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{r}");
    // Nobody answers the critical case: level 2 (overdue) after seven days.
    let later = common::at("2026-06-08T10:00:00Z");
    app.sweep_at(later, None).await;
    app.clock.set(later);
    // Signed in after the week passed (a session idle that long has ended).
    let (_, buyer) = app
        .person(&chain.buyer_id, "bea@buyer.example.org", "Bea Buyer")
        .await;

    let page = app.page(&format!("/contracts/{k}"), Some(&buyer)).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let body = &page.body;
    assert!(body.contains(r#"<span class="badge red">Red</span>"#));
    assert!(body.contains("Critical cases overdue"));
    // The overdue case first, marked as such in words; then the other.
    let cases = &body[position(body, "id=\"open-cases\"")..];
    let (first, second) = (
        position(cases, &format!("/cases/{critical}")),
        position(cases, &format!("/cases/{minor}")),
    );
    assert!(first < second, "the overdue case is listed first");
    let row = &cases[..first];
    assert!(row[row.rfind("<tr").unwrap()..].starts_with(r#"<tr class="overdue">"#));
    assert!(cases[first..second].contains(r#"<span class="badge red">Overdue</span>"#));
    // The chart replays the history: three open a week ago (none yet overdue), two open and
    // one overdue now (the third closed since), nothing before.
    assert_eq!(body.matches(": Open 3</title>").count(), 1, "{body}");
    assert_eq!(body.matches(": Open 2</title>").count(), 1, "{body}");
    assert!(
        !body.contains(&format!("/cases/{closed}")),
        "a closed case is not listed"
    );
    assert_eq!(body.matches(": Overdue 1</title>").count(), 1);
    assert_eq!(body.matches(": Open 0</title>").count(), 10);

    // In the portfolio: red, with the overdue count.
    let portfolio = app
        .page("/contracts?sort=overdue_cases", Some(&buyer))
        .await;
    assert!(portfolio
        .body
        .contains(r#"<span class="badge red">Red</span>"#));
    assert!(portfolio.body.contains("<li>Critical cases overdue</li>"));
}

on_both_backends!(
    overdue_cases_come_first_and_the_chart_follows_the_history,
    the_portfolio_lists_sorts_filters_and_downloads,
    the_contract_page_shows_coverage_factories_cases_and_a_chart,
);
