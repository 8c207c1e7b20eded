//! `ketenzorg demo`: a realistic sample, loaded through the same services the API uses.
//! A regional buyer with an ICT framework contract in lots, two contractors, factories in
//! several countries behind a bill of materials two levels deep, and a monitor.

use diesel::prelude::*;
use serde_json::json;

use crate::auth::{tokens, Caller};
use crate::cases::service as cases;
use crate::clock::Clock;
use crate::components::service as components;
use crate::contracts::service as contracts;
use crate::db::{write_tx, Db, DbConnection};
use crate::error::Error;
use crate::escalation::Policy;
use crate::factories::service as factories;
use crate::findings::service::{self as findings, Filed};
use crate::findings::Finding;
use crate::organizations::service as organizations;
use crate::values::{ComponentId, ContractId, FactoryId};

mod people;
pub use people::{people, People};

/// Builds a typed request from JSON, exactly as the API would parse it.
fn parse<T: serde::de::DeserializeOwned>(v: serde_json::Value) -> Result<T, Error> {
    crate::http::extract::parse_json(v.to_string().as_bytes())
}

/// The sample's organizations with a token each, in the order they are printed.
const ORGANIZATIONS: [(&str, &str); 5] = [
    ("admin", "Demo operator"),
    ("buyer", "Vlaamse Aankoopcentrale ICT"),
    ("contractor", "Noord-IT Solutions NV"),
    ("contractor", "EuroDisplay Systèmes SA"),
    ("monitor", "Electronics Watch"),
];

/// (role, organization name, token) per organization of the sample.
pub type Tokens = Vec<(String, String, String)>;

/// What `load` did.
pub enum Loaded {
    Now(Tokens),
    /// The sample was there already; nothing was added and each organization got a new token
    /// (the first ones were printed once and are stored only as hashes).
    Already(Tokens),
}

/// Loads the sample, once per database.
pub fn load(db: &Db, clock: &Clock, policy: &Policy) -> Result<Loaded, Error> {
    let mut conn = db.get()?;
    write_tx(&mut conn, |conn| match reissue(conn, clock)? {
        Some(tokens) => Ok(Loaded::Already(tokens)),
        None => load_in(conn, clock, policy).map(Loaded::Now),
    })
}

/// New tokens for the sample's organizations when the sample is loaded, else `None`.
fn reissue(conn: &mut DbConnection, clock: &Clock) -> Result<Option<Tokens>, Error> {
    use crate::schema::organizations::dsl as o;
    let mut found = Vec::new();
    for (role, name) in ORGANIZATIONS {
        let id: Option<crate::values::OrganizationId> = o::organizations
            .filter(o::name.eq(name).and(o::kind.eq(role)))
            .select(o::id)
            .first(conn)
            .optional()?;
        match id {
            Some(id) => found.push((role, name, id)),
            // All five or it is not the sample (a real monitor may well be called so).
            None => return Ok(None),
        }
    }
    let mut tokens = Vec::new();
    for (role, name, id) in found {
        let issued = tokens::issue_unchecked(conn, id, "demo", clock.now_naive())?;
        tokens.push((role.to_string(), name.to_string(), issued.token));
    }
    Ok(Some(tokens))
}

struct Org {
    caller: Caller,
    name: String,
    token: String,
}

fn org(conn: &mut DbConnection, clock: &Clock, body: serde_json::Value) -> Result<Org, Error> {
    let org = organizations::insert(conn, parse(body)?, clock.now_naive())?;
    let issued = tokens::issue_unchecked(conn, org.id, "demo", clock.now_naive())?;
    Ok(Org {
        caller: Caller {
            organization_id: org.id,
            kind: org.kind,
            token_id: Some(issued.id),
            user: None,
        },
        name: org.name,
        token: issued.token,
    })
}

fn load_in(conn: &mut DbConnection, clock: &Clock, policy: &Policy) -> Result<Tokens, Error> {
    let now = clock.now_naive();
    let policy = policy.clone();
    let admin = org(
        conn,
        clock,
        json!({"name": "Demo operator", "kind": "admin", "country": "BE",
        "notification_emails": ["ops@demo.ketenzorg.example.org"], "language": "en"}),
    )?;
    let buyer = org(
        conn,
        clock,
        json!({"name": "Vlaamse Aankoopcentrale ICT", "kind": "buyer",
        "country": "BE", "notification_emails": ["ketenzorg@aankoopcentrale.example.be"], "language": "nl",
        "escalation_emails": ["juridische.dienst@aankoopcentrale.example.be"]}),
    )?;
    let laptops = org(
        conn,
        clock,
        json!({"name": "Noord-IT Solutions NV", "kind": "contractor",
        "country": "BE", "notification_emails": ["csr@noord-it.example.be"], "language": "nl",
        "escalation_emails": ["ceo@noord-it.example.be"]}),
    )?;
    let displays = org(
        conn,
        clock,
        json!({"name": "EuroDisplay Systèmes SA", "kind": "contractor",
        "country": "FR", "notification_emails": ["conformite@eurodisplay.example.fr"], "language": "fr"}),
    )?;
    let monitor = org(
        conn,
        clock,
        json!({"name": "Electronics Watch", "kind": "monitor",
        "country": "NL", "notification_emails": ["monitoring@electronicswatch.example.org"], "language": "en"}),
    )?;

    // Factories in several countries; one is shared by both contractors' supply chains.
    let factory = |conn: &mut DbConnection,
                   by: &Caller,
                   body: serde_json::Value|
     -> Result<FactoryId, Error> {
        // A factory already in the registry is a 409 naming it; take that one, as a client
        // would.
        match factories::create(conn, by, parse(body)?, now) {
            Ok(f) => Ok(f.id),
            Err(Error::Conflict {
                extra: Some(extra), ..
            }) => extra["existing_id"]
                .as_str()
                .map(FactoryId::from_db)
                .unwrap_or_else(|| Err(Error::internal("a factory conflict without existing_id"))),
            Err(e) => Err(e),
        }
    };
    let assembly_cn = factory(
        conn,
        &laptops.caller,
        json!({"name": "Chongqing Precision Assembly Co., Ltd.",
        "address": "88 Xiyong Avenue, Shapingba District, Chongqing", "country": "CN",
        "os_id": "CN2019303BQ3FZP", "latitude": 29.57, "longitude": 106.29, "sector": "Electronics",
        "workers": 42000, "parent_company": "Precision Holdings"}),
    )?;
    let battery_my = factory(
        conn,
        &laptops.caller,
        json!({"name": "Penang Cell Technologies Sdn Bhd",
        "address": "Plot 12, Bayan Lepas Free Industrial Zone, Penang", "country": "MY",
        "sector": "Batteries", "workers": 3100}),
    )?;
    let panel_vn = factory(
        conn,
        &laptops.caller,
        json!({"name": "Bac Ninh Display Panel JSC",
        "address": "Yen Phong Industrial Park, Bac Ninh", "country": "VN", "sector": "Displays",
        "workers": 8700}),
    )?;
    let assembly_cz = factory(
        conn,
        &displays.caller,
        json!({"name": "Pardubice Monitor Works s.r.o.",
        "address": "Průmyslová 5, 530 03 Pardubice", "country": "CZ", "sector": "Electronics",
        "workers": 1200}),
    )?;
    let backlight_th = factory(
        conn,
        &displays.caller,
        json!({"name": "Ayutthaya LED Components Co.",
        "address": "Rojana Industrial Park, Ayutthaya", "country": "TH", "workers": 2300}),
    )?;
    // The same panel maker, registered again by the second contractor: the registry already
    // has it.
    let panel_vn_again = factory(
        conn,
        &displays.caller,
        json!({"name": "BAC NINH DISPLAY PANEL JSC.",
        "address": "Yen Phong industrial park,  Bac Ninh", "country": "vn"}),
    )?;
    debug_assert_eq!(panel_vn, panel_vn_again);

    // Bill of materials, two levels below each product.
    let component = |conn: &mut DbConnection,
                     by: &Caller,
                     name: &str,
                     parent: Option<ComponentId>|
     -> Result<ComponentId, Error> {
        Ok(components::create(
            conn,
            by,
            parse(json!({"name": name, "parent_id": parent}))?,
            now,
        )?
        .id)
    };
    let laptop = component(conn, &laptops.caller, "Laptop NX-14 (14\", 16 GB)", None)?;
    let battery = component(conn, &laptops.caller, "Battery pack 56 Wh", Some(laptop))?;
    let cells = component(conn, &laptops.caller, "Li-ion cells 18650", Some(battery))?;
    let laptop_panel = component(
        conn,
        &laptops.caller,
        "Display panel 14\" IPS",
        Some(laptop),
    )?;
    let monitor_27 = component(conn, &displays.caller, "Monitor VistaPro 27", None)?;
    let panel_27 = component(
        conn,
        &displays.caller,
        "Display panel 27\" IPS",
        Some(monitor_27),
    )?;
    let backlight = component(conn, &displays.caller, "LED backlight unit", Some(panel_27))?;

    let source = |conn: &mut DbConnection,
                  by: &Caller,
                  c: ComponentId,
                  f: FactoryId,
                  tier: i32|
     -> Result<(), Error> {
        components::add_source(
            conn,
            by,
            c,
            parse(json!({"factory_id": f, "tier": tier,
            "valid_from": "2025-01-01"}))?,
            now,
            &policy,
        )?;
        Ok(())
    };
    source(conn, &laptops.caller, laptop, assembly_cn, 1)?;
    source(conn, &laptops.caller, battery, battery_my, 2)?;
    source(conn, &laptops.caller, cells, battery_my, 3)?;
    source(conn, &laptops.caller, laptop_panel, panel_vn, 2)?;
    source(conn, &displays.caller, monitor_27, assembly_cz, 1)?;
    source(conn, &displays.caller, panel_27, panel_vn, 2)?;
    source(conn, &displays.caller, backlight, backlight_th, 3)?;

    // A framework agreement in lots, one contract per lot.
    let contract = |conn: &mut DbConnection,
                    reference: &str,
                    title: &str,
                    contractor: &Caller,
                    amount: &str|
     -> Result<ContractId, Error> {
        Ok(contracts::create(conn, &buyer.caller, parse(json!({
            "reference": reference, "title": title, "buyer_id": buyer.caller.organization_id,
            "contractor_id": contractor.organization_id, "starts_on": "2025-03-01", "ends_on": "2029-02-28",
            "value": {"amount": amount, "currency": "EUR"}, "ocds_id": format!("ocds-b5fd17-{reference}")}))?, now)?.id)
    };
    let lot1 = contract(
        conn,
        "FW-ICT-2025-01/LOT1",
        "Raamovereenkomst ICT-eindgebruikersapparatuur, perceel 1: laptops",
        &laptops.caller,
        "9400000.00",
    )?;
    let lot2 = contract(
        conn,
        "FW-ICT-2025-01/LOT2",
        "Raamovereenkomst ICT-eindgebruikersapparatuur, perceel 2: beeldschermen",
        &displays.caller,
        "2150000.00",
    )?;
    contracts::add_item(
        conn,
        &laptops.caller,
        lot1,
        parse(json!({"component_id": laptop}))?,
        now,
        &policy,
    )?;
    contracts::add_item(
        conn,
        &buyer.caller,
        lot2,
        parse(json!({"component_id": monitor_27}))?,
        now,
        &policy,
    )?;

    // Findings of each severity. The panel maker supplies both contractors (two cases); the
    // cell and backlight findings reach one contractor each through two levels of the bill
    // of materials; the adapter factory is disclosed by nobody (unrouted).
    let adapters = factory(
        conn,
        &admin.caller,
        json!({"name": "Dongguan Power Adapter Works",
        "address": "Chang'an Town, Dongguan, Guangdong", "country": "CN", "workers": 900}),
    )?;
    let finding = |conn: &mut DbConnection, body: serde_json::Value| -> Result<Finding, Error> {
        match findings::file(conn, &monitor.caller, parse(body)?, None, now, &policy)? {
            Filed::Created(f) => Ok(*f),
            Filed::Replayed(_) => Err(Error::internal("demo findings carry no idempotency key")),
        }
    };
    let critical = finding(
        conn,
        json!({"factory_id": battery_my, "category": "forced_labour", "severity": "critical",
        "title": "Recruitment fees and retained passports of migrant workers",
        "description": "Interviews with 23 migrant workers from Nepal and Myanmar: recruitment fees of 3 to 5 months' wages, passports held by the employer.",
        "observed_on": "2026-10-14", "worker_protection": true,
        "evidence": [{"url": "https://monitoring.example.org/reports/2026-PEN-07.pdf", "label": "Monitoring report 2026-PEN-07"}],
        "confidential_notes": "Contact: worker representative via local partner; do not share names."}),
    )?;
    finding(
        conn,
        json!({"factory_id": panel_vn, "category": "working_hours", "severity": "major",
        "title": "Excessive overtime in peak season",
        "description": "Payroll records show 72-hour weeks for 6 consecutive weeks on the panel lines.",
        "observed_on": "2026-09-30"}),
    )?;
    finding(
        conn,
        json!({"factory_id": backlight_th, "category": "health_and_safety", "severity": "minor",
        "title": "Blocked emergency exit in warehouse B",
        "description": "One of two emergency exits of warehouse B was blocked by pallets during the visit.",
        "observed_on": "2026-10-02"}),
    )?;
    finding(
        conn,
        json!({"factory_id": adapters, "category": "wages", "severity": "major",
        "title": "Wages below the legal minimum for probation workers",
        "description": "Probation workers are paid 80% of the Dongguan minimum wage for up to six months.",
        "observed_on": "2026-10-20"}),
    )?;
    // The laptop contractor acknowledges the critical case and proposes a plan.
    let case_id = critical
        .cases
        .iter()
        .find(|c| c.contractor_id == laptops.caller.organization_id)
        .map(|c| c.id)
        .ok_or_else(|| Error::internal("critical finding not routed"))?;
    cases::transition(
        conn,
        &laptops.caller,
        case_id,
        parse(json!({"action": "acknowledge",
        "note": "Received; our supplier manager contacts the factory today."}))?,
        None,
        now,
        &policy,
    )?;
    cases::transition(
        conn,
        &laptops.caller,
        case_id,
        parse(json!({"action": "submit_plan", "plan": {
        "root_cause": "Recruitment through agencies in sending countries without fee controls.",
        "actions": [
            {"description": "Reimburse all recruitment fees to affected workers", "kind": "corrective", "owner": "Factory HR director", "due_on": "2026-12-15"},
            {"description": "Return passports and install personal lockers", "kind": "corrective", "owner": "Factory HR director", "due_on": "2026-11-30"},
            {"description": "Employer-pays policy in all agency contracts, audited yearly", "kind": "preventive", "owner": "Noord-IT supplier manager", "due_on": "2027-03-31"}
        ]}}))?,
        None,
        now,
        &policy,
    )?;

    Ok([
        ("admin", &admin),
        ("buyer", &buyer),
        ("contractor", &laptops),
        ("contractor", &displays),
        ("monitor", &monitor),
    ]
    .into_iter()
    .map(|(role, o)| (role.to_string(), o.name.clone(), o.token.clone()))
    .collect())
}
