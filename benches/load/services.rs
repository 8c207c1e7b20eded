//! The rows the seed makes through the library's services: organizations, tokens, contracts,
//! the template chain and finding (step 1), and the due-diligence benchmark's large contract.

use std::collections::HashMap;
use std::time::Instant;

use chrono::{NaiveDateTime, TimeDelta};
use diesel::prelude::*;
use ketenzorg::auth::Caller;
use ketenzorg::components::{ComponentRow, SourcingLinkRow};
use ketenzorg::contracts::ContractItemRow;
use ketenzorg::db::{write_tx, DbConnection};
use ketenzorg::error::Error;
use ketenzorg::escalation::{self, Policy};
use ketenzorg::factories::FactoryRow;
use ketenzorg::findings::service::Filed;
use ketenzorg::findings::FindingRow;
use ketenzorg::schema::{components, contract_items, factories, findings, sourcing_links};
use serde_json::{json, Value};

use crate::model::*;

/// Step 1 of the seed: organizations and tokens, contracts, one supply chain shared by two
/// contractors, one finding (two cases), an acknowledgement and a comment, all through the
/// services. Returns the model (registry still empty), the template rows and the admin token.
pub fn through_services(
    conn: &mut DbConnection,
    policy: &Policy,
    n_contracts: usize,
    now: NaiveDateTime,
) -> (Model, Templates, String) {
    write_tx(conn, |c| {
        escalation::register_policy(c, policy, now)?;
        let admin = make_org(c, "admin", 0, now)?;
        let buyers = (0..BUYERS)
            .map(|i| make_org(c, "buyer", i, now))
            .collect::<Result<Vec<_>, _>>()?;
        let contractors = (0..CONTRACTORS)
            .map(|i| make_org(c, "contractor", i, now))
            .collect::<Result<Vec<_>, _>>()?;
        let monitors = (0..MONITORS)
            .map(|i| make_org(c, "monitor", i, now))
            .collect::<Result<Vec<_>, _>>()?;
        let mut contracts = Vec::new();
        for j in 0..n_contracts {
            let contractor = j % CONTRACTORS;
            let buyer = (j / CONTRACTORS + j) % BUYERS;
            let k = ketenzorg::contracts::service::create(
                c,
                &buyers[buyer].caller,
                serde_json::from_value(json!({
                    "reference": format!("FW-ICT-2024/{:03}/LOT-{:02}", j / CONTRACTORS + 1, contractor + 1),
                    "title": format!("ICT framework agreement, lot {} ({})", contractor + 1,
                        ["laptops", "desktops", "monitors", "servers", "network equipment", "smartphones", "printers", "tablets", "storage", "docking stations"][j % 10]),
                    "buyer_id": buyers[buyer].id, "contractor_id": contractors[contractor].id,
                    "starts_on": "2024-01-01", "ends_on": "2030-12-31",
                    "value": {"amount": format!("{}.00", 250_000 + (j * 7_919) % 4_000_000), "currency": "EUR"},
                }))
                .unwrap(),
                now,
            )?;
            contracts.push(ContractM {
                id: k.id.to_string(),
                buyer,
                contractor,
            });
        }
        // The template chain: contractors 0 and 1 each have a product -> sub-assembly -> part
        // on their first contract, the parts made at one factory.
        let observed = (now - TimeDelta::days(3)).date().format("%Y-%m-%d").to_string();
        let factory = ketenzorg::factories::service::create(
            c,
            &contractors[0].caller,
            serde_json::from_value(json!({"name": "Shared Components Factory", "address": "1 Template Road, Longhua",
                "country": "CN", "sector": "electronics", "workers": 4200})).unwrap(),
            now,
        )?;
        let mut parts = Vec::new();
        for t in 0..2 {
            let who = &contractors[t].caller;
            let mut parent: Option<String> = None;
            let mut made = Vec::new();
            for name in ["Template laptop", "Template mainboard", "Template battery cell"] {
                let comp = ketenzorg::components::service::create(
                    c,
                    who,
                    serde_json::from_value(json!({"name": format!("{name} {t}"), "parent_id": parent})).unwrap(),
                    now,
                )?;
                parent = Some(comp.id.to_string());
                made.push(comp.id);
            }
            ketenzorg::contracts::service::add_item(
                c,
                who,
                contracts[t].id.parse().unwrap(),
                serde_json::from_value(json!({"component_id": made[0]})).unwrap(),
                now,
                policy,
            )?;
            ketenzorg::components::service::add_source(
                c,
                who,
                made[2],
                serde_json::from_value(json!({"factory_id": factory.id, "tier": 3, "valid_from": "2024-01-01"})).unwrap(),
                now,
                policy,
            )?;
            parts.push(made[2]);
        }
        let filed = ketenzorg::findings::service::file(
            c,
            &monitors[0].caller,
            serde_json::from_value(json!({"factory_id": factory.id, "category": "working_hours", "severity": "major",
                "title": "Excessive overtime", "description": "Workers report 72-hour weeks during the peak season.",
                "observed_on": observed, "evidence": [{"url": "https://evidence.example.org/reports/1", "label": "Audit report"}],
                "confidential_notes": "Source: worker interviews (do not disclose)"})).unwrap(),
            None,
            now,
            policy,
        )?;
        let Filed::Created(finding) = filed else {
            panic!("the template finding was replayed")
        };
        assert_eq!(finding.cases.len(), 2, "the template finding must reach two contractors");
        let case_of = |who: usize| {
            finding
                .cases
                .iter()
                .find(|k| k.contractor_id.to_string() == contractors[who].id)
                .map(|k| k.id)
                .expect("a case per contractor")
        };
        let acked = case_of(0);
        ketenzorg::cases::service::transition(
            c,
            &contractors[0].caller,
            acked,
            serde_json::from_value(json!({"action": "acknowledge", "note": "We are looking into it."})).unwrap(),
            None,
            now,
            policy,
        )?;
        ketenzorg::cases::service::comment(
            c,
            &monitors[0].caller,
            acked,
            serde_json::from_value(json!({"text": "Thank you; please share the overtime records."})).unwrap(),
            now,
        )?;
        let templates = Templates {
            finding: findings::table
                .filter(findings::id.eq(finding.id.to_string()))
                .select(FindingRow::as_select())
                .first(c)?,
            factory: factories::table
                .filter(factories::id.eq(factory.id.to_string()))
                .select(FactoryRow::as_select())
                .first(c)?,
            component: components::table
                .filter(components::id.eq(parts[0].to_string()))
                .select(ComponentRow::as_select())
                .first(c)?,
            link: sourcing_links::table
                .filter(sourcing_links::component_id.eq(parts[0].to_string()))
                .select(SourcingLinkRow::as_select())
                .first(c)?,
            item: contract_items::table
                .filter(contract_items::contract_id.eq(&contracts[0].id))
                .select(ContractItemRow::as_select())
                .first(c)?,
        };
        let model = Model {
            buyers,
            contractors,
            monitors,
            contracts,
            comps: Vec::new(),
            product_contracts: HashMap::new(),
            factories: Vec::new(),
            links: Vec::new(),
        };
        Ok((model, templates, admin.token))
    })
    .expect("seed through the services")
}

pub fn make_org(
    c: &mut DbConnection,
    kind: &str,
    i: usize,
    now: NaiveDateTime,
) -> Result<Org, Error> {
    let email = format!("{kind}{i}@{kind}{i}.bench.example.org");
    let language = ["en", "nl", "fr", "de"][i % 4];
    let name = match kind {
        "buyer" => format!("Public Buyer {i} (ICT procurement)"),
        "contractor" => format!("ICT Contractor {i} NV"),
        "monitor" => format!("Labour Monitor {i}"),
        _ => "Operator".to_string(),
    };
    let country = ["BE", "NL", "DE", "FR"][i % 4];
    let o = ketenzorg::organizations::service::insert(
        c,
        serde_json::from_value(json!({"name": name, "kind": kind, "country": country,
            "notification_emails": [email], "language": language}))
        .unwrap(),
        now,
    )?;
    let t = ketenzorg::auth::tokens::issue_unchecked(c, o.id, "load benchmark", now)?;
    Ok(Org {
        id: o.id.to_string(),
        caller: Caller {
            organization_id: o.id,
            kind: o.kind,
            token_id: Some(t.id),
            user: None,
        },
        token: t.token,
    })
}

/// The due-diligence benchmark's large contract (issue 6): a contractor of its own with one
/// contract of buyer 0 whose only product is made at a factory of its own, and
/// BENCH_BIG_CASES (default 10,000) findings there, each opening one case on that contract,
/// filed through the service; 70% are then acknowledged, 40% get a plan, 30% an accepted
/// plan. Returns the contract id.
pub fn big_contract(conn: &mut DbConnection, model: &Model, now: NaiveDateTime) -> String {
    let n: usize = std::env::var("BENCH_BIG_CASES")
        .ok()
        .map(|v| v.parse().expect("BENCH_BIG_CASES: a number"))
        .unwrap_or(10_000);
    let t = Instant::now();
    let policy = Policy::default();
    let buyer = &model.buyers[0];
    let monitor = &model.monitors[0];
    let (contractor, contract, factory) = write_tx(conn, |c| {
        let contractor = make_org(c, "contractor", CONTRACTORS, now)?;
        let k = ketenzorg::contracts::service::create(
            c,
            &buyer.caller,
            serde_json::from_value(json!({
                "reference": "FW-ICT-2024/BIG/LOT-01", "title": "ICT framework agreement, all laptops",
                "buyer_id": buyer.id, "contractor_id": contractor.id,
                "starts_on": "2024-01-01", "ends_on": "2030-12-31",
                "value": {"amount": "95000000.00", "currency": "EUR"},
            }))
            .unwrap(),
            now,
        )?;
        let factory = ketenzorg::factories::service::create(
            c,
            &contractor.caller,
            serde_json::from_value(json!({"name": "Big Contract Assembly Plant", "address": "9 Assembly Road, Kunshan",
                "country": "CN", "sector": "electronics", "workers": 31000})).unwrap(),
            now,
        )?;
        let product = ketenzorg::components::service::create(
            c,
            &contractor.caller,
            serde_json::from_value(json!({"name": "Big contract laptop"})).unwrap(),
            now,
        )?;
        ketenzorg::contracts::service::add_item(
            c,
            &contractor.caller,
            k.id,
            serde_json::from_value(json!({"component_id": product.id})).unwrap(),
            now,
            &policy,
        )?;
        ketenzorg::components::service::add_source(
            c,
            &contractor.caller,
            product.id,
            serde_json::from_value(json!({"factory_id": factory.id, "tier": 1, "valid_from": "2024-01-01"})).unwrap(),
            now,
            &policy,
        )?;
        Ok((contractor, k.id, factory.id))
    })
    .expect("the big contract");
    let observed = (now - TimeDelta::days(1))
        .date()
        .format("%Y-%m-%d")
        .to_string();
    let severities = ["minor", "major", "major", "critical"];
    let plan = json!({"root_cause": "Peak-season planning", "actions": [{"description": "Cap overtime at 60 hours",
        "kind": "corrective", "owner": "Plant HR manager", "due_on": "2027-06-30"}]});
    for chunk in (0..n).collect::<Vec<_>>().chunks(250) {
        write_tx(conn, |c| {
            for &i in chunk {
                let filed = ketenzorg::findings::service::file(
                    c,
                    &monitor.caller,
                    serde_json::from_value(json!({"factory_id": factory, "category": CATEGORIES[i % CATEGORIES.len()],
                        "severity": severities[i % 4], "title": format!("Finding {i} at the assembly plant"),
                        "description": "Reported by workers in interviews off-site.", "observed_on": observed})).unwrap(),
                    None,
                    now,
                    &policy,
                )?;
                let Filed::Created(f) = filed else {
                    panic!("a big-contract finding was replayed")
                };
                let case = f.cases[0].id;
                let mut act = |who: &Caller, body: Value| {
                    ketenzorg::cases::service::transition(
                        c,
                        who,
                        case,
                        serde_json::from_value(body).unwrap(),
                        None,
                        now,
                        &policy,
                    )
                    .map(|_| ())
                };
                if i % 10 < 7 {
                    act(&contractor.caller, json!({"action": "acknowledge"}))?;
                }
                if i % 10 < 4 {
                    act(&contractor.caller, json!({"action": "submit_plan", "plan": plan}))?;
                }
                if i % 10 < 3 {
                    act(&monitor.caller, json!({"action": "accept_plan"}))?;
                }
            }
            Ok(())
        })
        .expect("big-contract findings");
    }
    eprintln!(
        "seed: a contract with {n} cases through the service in {:.1}s",
        t.elapsed().as_secs_f64()
    );
    contract.to_string()
}

/// A person of `org` with a browser session, for the page measurements: the value of the
/// session cookie. Pages are shown to sessions only, never to API tokens.
pub fn page_session(conn: &mut DbConnection, org: &Org, now: NaiveDateTime) -> String {
    write_tx(conn, |c| {
        let email: ketenzorg::values::Email =
            serde_json::from_value(json!(format!("bench-{}@example.org", org.id))).unwrap();
        let name = serde_json::from_value(json!("Load benchmark")).unwrap();
        let user = ketenzorg::users::service::insert(
            c,
            org.caller.organization_id,
            &email,
            name,
            None,
            ketenzorg::values::UserRole::Manager,
            now,
        )?;
        let config = ketenzorg::auth::sessions::SessionConfig::default();
        Ok::<_, Error>(ketenzorg::auth::sessions::open(c, user.id, now, &config)?.token)
    })
    .expect("a page session")
}
