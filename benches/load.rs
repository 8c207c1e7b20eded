//! The Rust half of the load benchmark (issue 7); `bash bench/run.sh` drives it, see
//! bench/README.md. Subcommands (arguments after `--`):
//!
//!     cargo bench --bench load -- seed URL OUTDIR       fill a fresh database; write tokens and ids to OUTDIR
//!     cargo bench --bench load -- inprocess URL OUTDIR  file findings in-process, no HTTP: findings/s
//!     cargo bench --bench load -- raw URL OUTDIR        one finding's rows as bare INSERTs: transactions/s
//!     cargo bench --bench load -- pool URL OUTDIR       open cases with their contractor's token (for acknowledge)
//!     cargo bench --bench load -- counts URL            row counts of the main tables
//!
//! Environment: BENCH_SCALE (default 1: 500 contracts, 20,000 factories, 100,000 cases),
//! BENCH_DURATION (seconds per timed loop, default 10).
//!
//! The seed makes a few rows through the library's services (organizations, tokens, contracts,
//! one supply chain, one finding routed to two contractors, an acknowledgement, a comment) and
//! uses them as templates: the bulk rows are clones of those with new ids and contents, written
//! with multi-row INSERTs, so they have exactly the shape the service writes. Case histories are
//! simulated with the library's own deadline rules (`escalation::reschedule`, the sweep's
//! reminder and escalation order), their events are hash-chained with `EventRow::compute_hash`,
//! and their notifications follow `notifications::rules::recipients`.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::Write;
use std::path::Path;
use std::time::{Duration, Instant};

use chrono::{NaiveDate, NaiveDateTime, TimeDelta, Utc};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use ketenzorg::auth::Caller;
use ketenzorg::cases::events::{EventRow, GENESIS};
use ketenzorg::cases::lifecycle::{self, Action, Party};
use ketenzorg::cases::{CaseRow, CaseState, EventKind, Step};
use ketenzorg::components::{ComponentRow, SourcingLinkRow};
use ketenzorg::contracts::ContractItemRow;
use ketenzorg::db::{write_tx, DatabaseTarget, Db, DbConnection};
use ketenzorg::error::Error;
use ketenzorg::escalation::{self, Policy};
use ketenzorg::factories::FactoryRow;
use ketenzorg::findings::service::Filed;
use ketenzorg::findings::{FindingRow, NewFinding, Severity};
use ketenzorg::notifications::outbox::NotificationRow;
use ketenzorg::notifications::rules::{self, Recipient};
use ketenzorg::schema::{
    case_contracts, case_events, cases, components, contract_items, factories, findings,
    notifications, sourcing_links,
};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};

const BUYERS: usize = 10;
const CONTRACTORS: usize = 50;
const MONITORS: usize = 5;
/// Per contractor: products (contract items), each with sub-assemblies, each with parts: a
/// bill of materials three levels deep.
const PRODUCTS: usize = 10;
const SUBS: usize = 3;
const PARTS: usize = 3;
/// Rows per multi-row INSERT (cases have ~42 columns: 16,800 parameters, under both limits).
const CHUNK: usize = 400;

const CATEGORIES: &[&str] = &[
    "freedom_of_association",
    "forced_labour",
    "child_labour",
    "discrimination",
    "health_and_safety",
    "fair_recruitment",
    "violence_and_harassment",
    "wages",
    "working_hours",
    "environment_and_chemicals",
    "grievance_mechanism",
    "retaliation",
    "other",
];
const COUNTRIES: &[&str] = &[
    "CN", "CN", "CN", "VN", "MY", "TH", "PH", "MX", "CZ", "HU", "IN", "TW", "KR", "ID",
];

fn main() {
    // `cargo bench` passes `--bench`; everything else is ours.
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let arg = |i: usize| -> &str {
        args.get(i).map(String::as_str).unwrap_or_else(|| {
            eprintln!("load: missing argument {i}; see the head of benches/load.rs");
            std::process::exit(2)
        })
    };
    match args.first().map(String::as_str) {
        Some("seed") => seed(arg(1), Path::new(arg(2))),
        Some("inprocess") => inprocess(arg(1), Path::new(arg(2))),
        Some("raw") => raw(arg(1), Path::new(arg(2))),
        Some("pool") => pool(arg(1), Path::new(arg(2))),
        Some("counts") => counts(arg(1)),
        Some(other) => {
            eprintln!("load: unknown subcommand {other:?}; see the head of benches/load.rs");
            std::process::exit(2)
        }
        // Plain `cargo bench` runs every bench: this one only works through bench/run.sh.
        None => println!("load: run `bash bench/run.sh` (see bench/README.md)"),
    }
}

fn scale() -> f64 {
    std::env::var("BENCH_SCALE")
        .ok()
        .map(|s| s.parse().expect("BENCH_SCALE: a number"))
        .unwrap_or(1.0)
}

fn duration() -> Duration {
    let s: f64 = std::env::var("BENCH_DURATION")
        .ok()
        .map(|s| {
            s.trim_end_matches('s')
                .parse()
                .expect("BENCH_DURATION: seconds")
        })
        .unwrap_or(10.0);
    Duration::from_secs_f64(s)
}

fn connect(url: &str) -> Db {
    let target = DatabaseTarget::parse(url).expect("database URL");
    Db::connect(&target, 2).expect("database")
}

fn now() -> NaiveDateTime {
    Utc::now().naive_utc()
}

/// A time-ordered id for an instant in the past, as `Uuid::now_v7` would have made it then.
fn v7(at: NaiveDateTime) -> String {
    let t = at.and_utc();
    uuid::Uuid::new_v7(uuid::Timestamp::from_unix(
        uuid::NoContext,
        t.timestamp() as u64,
        t.timestamp_subsec_nanos(),
    ))
    .to_string()
}

fn days(rng: &mut StdRng, lo: f64, hi: f64) -> TimeDelta {
    TimeDelta::seconds((rng.gen_range(lo..hi) * 86_400.0) as i64)
}

/// Multi-row INSERTs on the backend's own connection (they do not go through the
/// MultiConnection), in chunks.
macro_rules! insert_rows {
    ($conn:expr, $table:expr, $rows:expr) => {{
        for chunk in $rows.chunks(CHUNK) {
            match &mut *$conn {
                DbConnection::Pg(c) => diesel::insert_into($table).values(chunk).execute(c),
                DbConnection::Sqlite(c) => diesel::insert_into($table).values(chunk).execute(c),
            }?;
        }
    }};
}

#[derive(Insertable, Clone)]
#[diesel(table_name = case_contracts)]
struct CaseContract {
    case_id: String,
    contract_id: String,
}

#[derive(Clone)]
struct Org {
    id: String,
    token_id: String,
    caller: Caller,
    token: String,
    email: String,
    language: String,
}

struct ContractM {
    id: String,
    buyer: usize,
    contractor: usize,
}

/// Everything the bulk fill needs to know about the registry, in memory.
struct Model {
    buyers: Vec<Org>,
    contractors: Vec<Org>,
    monitors: Vec<Org>,
    contracts: Vec<ContractM>,
    /// (component id, root product index into `comps`, owner contractor)
    comps: Vec<(String, usize, usize)>,
    /// product component index -> contracts that have it as an item
    product_contracts: HashMap<usize, Vec<usize>>,
    factories: Vec<String>,
    /// factory index -> (component index, valid_to)
    links: Vec<Vec<(usize, Option<NaiveDate>)>>,
}

impl Model {
    /// contractor index -> its affected contract ids (the routing rule of findings::routing,
    /// on the in-memory registry: every component's root is a contract item).
    fn responsible(&self, factory: usize, on: NaiveDate) -> BTreeMap<usize, BTreeSet<String>> {
        let mut out: BTreeMap<usize, BTreeSet<String>> = BTreeMap::new();
        for &(comp, valid_to) in &self.links[factory] {
            if valid_to.is_some_and(|t| t < on) {
                continue;
            }
            let root = self.comps[comp].1;
            for &k in self.product_contracts.get(&root).into_iter().flatten() {
                let c = &self.contracts[k];
                out.entry(c.contractor).or_default().insert(c.id.clone());
            }
        }
        out
    }
}

/// Rows made by the services, cloned for the bulk rows.
struct Templates {
    finding: FindingRow,
    case: CaseRow,
    event: EventRow,
    notification: NotificationRow,
    factory: FactoryRow,
    component: ComponentRow,
    link: SourcingLinkRow,
    item: ContractItemRow,
}

fn write_lines(path: &Path, lines: impl IntoIterator<Item = String>) {
    let mut f = std::fs::File::create(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    for l in lines {
        writeln!(f, "{l}").unwrap();
    }
}

fn read_env(dir: &Path) -> HashMap<String, String> {
    let text = std::fs::read_to_string(dir.join("env.sh")).expect("OUTDIR/env.sh (run seed first)");
    text.lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| {
            (
                k.trim().to_string(),
                v.trim().trim_matches('\'').to_string(),
            )
        })
        .collect()
}

fn read_lines(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(String::from)
        .collect()
}

// ---------------------------------------------------------------------------------------------
// seed

fn seed(url: &str, out: &Path) {
    std::fs::create_dir_all(out).unwrap();
    let s = scale();
    let n_contracts = ((500.0 * s).round() as usize).max(2);
    let n_factories = ((20_000.0 * s).round() as usize).max(200);
    let n_cases = ((100_000.0 * s).round() as usize).max(100);
    let n_hot = (n_factories / 4).min(100);
    let started = Instant::now();
    let db = connect(url);
    let mut conn = db.get().unwrap();
    let conn: &mut DbConnection = &mut conn;
    let now = now();
    let policy = Policy::default();
    let mut rng = StdRng::seed_from_u64(20_261_124);
    // A bulk fill: this connection only, nothing to lose if it stops half-way.
    match conn {
        DbConnection::Sqlite(_) => conn
            .batch_execute("PRAGMA synchronous = OFF; PRAGMA cache_size = -262144;")
            .unwrap(),
        DbConnection::Pg(_) => conn
            .batch_execute("SET synchronous_commit = off; SET maintenance_work_mem = '256MB';")
            .unwrap(),
    }

    // 1. Through the services: organizations and tokens, contracts, one supply chain shared by
    //    two contractors, one finding (two cases), an acknowledgement and a comment.
    let (mut model, templates, admin_token) = write_tx(conn, |c| {
        escalation::register_policy(c, &policy, now)?;
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
                &policy,
            )?;
            ketenzorg::components::service::add_source(
                c,
                who,
                made[2],
                serde_json::from_value(json!({"factory_id": factory.id, "tier": 3, "valid_from": "2024-01-01"})).unwrap(),
                now,
                &policy,
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
            &policy,
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
        let fresh = case_of(1);
        ketenzorg::cases::service::transition(
            c,
            &contractors[0].caller,
            acked,
            serde_json::from_value(json!({"action": "acknowledge", "note": "We are looking into it."})).unwrap(),
            None,
            now,
            &policy,
        )?;
        ketenzorg::cases::service::comment(
            c,
            &monitors[0].caller,
            acked,
            serde_json::from_value(json!({"text": "Thank you; please share the overtime records."})).unwrap(),
            now,
        )?;
        let fresh = fresh.to_string();
        let templates = Templates {
            finding: findings::table
                .filter(findings::id.eq(finding.id.to_string()))
                .select(FindingRow::as_select())
                .first(c)?,
            case: cases::table
                .filter(cases::id.eq(&fresh))
                .select(CaseRow::as_select())
                .first(c)?,
            event: case_events::table
                .filter(case_events::case_id.eq(&fresh))
                .filter(case_events::kind.eq(EventKind::Opened))
                .select(EventRow::as_select())
                .first(c)?,
            notification: notifications::table
                .filter(notifications::case_id.eq(&fresh))
                .select(NotificationRow::as_select())
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
    .expect("seed through the services");
    eprintln!(
        "seed: organizations, tokens, {n_contracts} contracts and the template chain through the services in {:.1}s",
        started.elapsed().as_secs_f64()
    );

    // 2. The registry in bulk: factories, the bill of materials, contract items, sourcing links.
    let t = Instant::now();
    let registry_at = NaiveDate::from_ymd_opt(2024, 1, 15)
        .unwrap()
        .and_hms_opt(9, 0, 0)
        .unwrap();
    let mut factory_rows = Vec::with_capacity(n_factories);
    for i in 0..n_factories {
        let mut r = templates.factory.clone();
        let country = COUNTRIES[i % COUNTRIES.len()];
        let at = registry_at + TimeDelta::minutes(i as i64);
        r.id = v7(at);
        r.name = format!(
            "{} {} {} {i:05}",
            [
                "Shenzhen",
                "Dongguan",
                "Suzhou",
                "Penang",
                "Hanoi",
                "Guadalajara",
                "Pardubice",
                "Chennai",
                "Taoyuan",
                "Batam"
            ][i % 10],
            [
                "Precision",
                "Electronic",
                "Optical",
                "Power",
                "Display",
                "Cable",
                "Plastics",
                "Metal"
            ][(i / 10) % 8],
            [
                "Components Co., Ltd.",
                "Industries",
                "Manufacturing",
                "Technology",
                "Assembly Plant"
            ][(i / 80) % 5],
        );
        r.address = format!("{} Industrial Road, Zone {}", 1 + i % 400, i % 97);
        r.country = country.to_string();
        r.os_id = (i % 2 == 0).then(|| format!("{country}{}{:07}", 2019 + i % 6, i));
        r.latitude = Some(-30.0 + (i % 600) as f64 * 0.1);
        r.longitude = Some(-100.0 + (i % 2000) as f64 * 0.1);
        r.sector = Some("electronics".into());
        r.workers = Some(50 + (i * 37 % 8000) as i32);
        r.parent_company = (i % 3 == 0).then(|| format!("Holding {}", i % 250));
        r.dedup_key = ketenzorg::factories::dedup_key(&r.name, &r.address, &r.country);
        r.created_by = model.contractors[i % CONTRACTORS].id.clone();
        r.created_at = at;
        r.updated_at = at;
        model.factories.push(r.id.clone());
        factory_rows.push(r);
    }
    let mut comp_rows = Vec::new();
    for (ci, contractor) in model.contractors.iter().enumerate() {
        for p in 0..PRODUCTS {
            let at = registry_at + TimeDelta::hours((ci * PRODUCTS + p) as i64);
            let mut product = templates.component.clone();
            product.id = v7(at);
            product.name = format!(
                "Model {}{:02} ({})",
                ["X", "T", "E", "P", "Z"][p % 5],
                p,
                ["laptop", "desktop", "monitor", "phone", "tablet"][p % 5]
            );
            product.parent_id = None;
            product.owner_id = contractor.id.clone();
            product.created_at = at;
            product.updated_at = at;
            let root = model.comps.len();
            model.comps.push((product.id.clone(), root, ci));
            let product_id = product.id.clone();
            comp_rows.push(product);
            for s in 0..SUBS {
                let mut sub = templates.component.clone();
                sub.id = v7(at + TimeDelta::seconds(1));
                sub.name = format!(
                    "{} for model {p:02}",
                    ["Mainboard", "Display module", "Battery pack"][s]
                );
                sub.parent_id = Some(product_id.clone());
                sub.owner_id = contractor.id.clone();
                sub.created_at = at;
                sub.updated_at = at;
                model.comps.push((sub.id.clone(), root, ci));
                let sub_id = sub.id.clone();
                comp_rows.push(sub);
                for q in 0..PARTS {
                    let mut part = templates.component.clone();
                    part.id = v7(at + TimeDelta::seconds(2));
                    part.name =
                        format!("{} {s}.{q} for model {p:02}", ["Chip", "Panel", "Cell"][s]);
                    part.parent_id = Some(sub_id.clone());
                    part.owner_id = contractor.id.clone();
                    part.created_at = at;
                    part.updated_at = at;
                    model.comps.push((part.id.clone(), root, ci));
                    comp_rows.push(part);
                }
            }
        }
    }
    // Contract j of contractor c covers two of c's products.
    let mut item_rows = Vec::new();
    for (j, k) in model.contracts.iter().enumerate() {
        let round = j / CONTRACTORS;
        for p in [(2 * round) % PRODUCTS, (2 * round + 1) % PRODUCTS] {
            let root =
                k.contractor * PRODUCTS * (1 + SUBS + SUBS * PARTS) + p * (1 + SUBS + SUBS * PARTS);
            debug_assert_eq!(model.comps[root].1, root);
            let mut item = templates.item.clone();
            item.id = v7(registry_at + TimeDelta::days(1) + TimeDelta::minutes(j as i64));
            item.contract_id = k.id.clone();
            item.component_id = model.comps[root].0.clone();
            item.created_at = registry_at + TimeDelta::days(1);
            model.product_contracts.entry(root).or_default().push(j);
            item_rows.push(item);
        }
    }
    // Sourcing links: every component is made somewhere (products at tier 1, sub-assemblies
    // at tier 2, parts at tier 3); one link in ten has ended. The first `n_hot` factories are
    // each shared by exactly two contractors (a covered part of each), for the POST /findings
    // load: a finding there opens two cases.
    let level_of = |idx: usize| -> usize {
        let within = idx % (1 + SUBS + SUBS * PARTS);
        if within == 0 {
            1
        } else if (within - 1).is_multiple_of(1 + PARTS) {
            2
        } else {
            3
        }
    };
    let mut link_rows = Vec::new();
    let mut links: Vec<Vec<(usize, Option<NaiveDate>)>> = vec![Vec::new(); n_factories];
    let link = |comp: usize,
                factory: usize,
                tier: i32,
                valid_to: Option<NaiveDate>,
                rows: &mut Vec<SourcingLinkRow>,
                links: &mut Vec<Vec<(usize, Option<NaiveDate>)>>| {
        let at = registry_at + TimeDelta::days(2) + TimeDelta::seconds(rows.len() as i64);
        let mut r = templates.link.clone();
        r.id = v7(at);
        r.component_id = model.comps[comp].0.clone();
        r.factory_id = model.factories[factory].clone();
        r.tier = tier;
        r.valid_from = NaiveDate::from_ymd_opt(2024, 1, 1).unwrap();
        r.valid_to = valid_to;
        r.disclosed_by = model.contractors[model.comps[comp].2].id.clone();
        r.created_at = at;
        rows.push(r);
        links[factory].push((comp, valid_to));
    };
    let covered: Vec<Vec<usize>> = (0..CONTRACTORS)
        .map(|ci| {
            (0..model.comps.len())
                .filter(|&x| model.comps[x].2 == ci && level_of(x) == 3)
                .filter(|&x| model.product_contracts.contains_key(&model.comps[x].1))
                .collect()
        })
        .collect();
    let with_parts: Vec<usize> = (0..CONTRACTORS)
        .filter(|&ci| !covered[ci].is_empty())
        .collect();
    assert!(
        with_parts.len() >= 2,
        "BENCH_SCALE too small: fewer than two contractors with contracts"
    );
    for h in 0..n_hot {
        let a = with_parts[h % with_parts.len()];
        let b = with_parts[(h + 1) % with_parts.len()];
        for ci in [a, b] {
            let part = covered[ci][(h / with_parts.len() * 7 + h) % covered[ci].len()];
            link(part, h, 3, None, &mut link_rows, &mut links);
        }
    }
    for comp in 0..model.comps.len() {
        let (tier, count) = match level_of(comp) {
            1 => (1, 1),
            2 => (2, rng.gen_range(1..=2)),
            _ => (3, rng.gen_range(1..=3)),
        };
        for _ in 0..count {
            let factory = rng.gen_range(n_hot..n_factories);
            if links[factory].iter().any(|(c, _)| *c == comp) {
                continue;
            }
            let ended = rng
                .gen_bool(0.1)
                .then(|| NaiveDate::from_ymd_opt(2025, 6, 30).unwrap());
            link(comp, factory, tier, ended, &mut link_rows, &mut links);
        }
    }
    model.links = links;
    write_tx(conn, |c| {
        insert_rows!(c, factories::table, factory_rows);
        insert_rows!(c, components::table, comp_rows);
        insert_rows!(c, contract_items::table, item_rows);
        insert_rows!(c, sourcing_links::table, link_rows);
        Ok(())
    })
    .expect("bulk registry");
    eprintln!(
        "seed: {} factories, {} components, {} contract items, {} sourcing links in bulk in {:.1}s",
        factory_rows.len(),
        comp_rows.len(),
        item_rows.len(),
        link_rows.len(),
        t.elapsed().as_secs_f64()
    );

    // 3. Findings and cases with their histories, in bulk.
    let t = Instant::now();
    let linked: Vec<usize> = (0..n_factories)
        .filter(|&f| !model.links[f].is_empty())
        .collect();
    let unlinked: Vec<usize> = (0..n_factories)
        .filter(|&f| model.links[f].is_empty())
        .collect();
    let ctx = Ctx {
        now,
        policy: &policy,
        templates: &templates,
        model: &model,
    };
    let mut batch = Batch::default();
    let (mut n_findings, mut made_cases, mut n_events, mut n_notes) =
        (0usize, 0usize, 0usize, 0usize);
    // First what each finding is (when, where, who answers), until there are enough cases;
    // then, oldest first (ids are time-ordered, so indexes fill in order), their rows.
    let mut plans = Vec::new();
    let mut planned = 0usize;
    while planned < n_cases {
        // More recent cases than old ones: use grew over the two years.
        let age = TimeDelta::seconds((700.0 * 86_400.0 * rng.gen::<f64>().powi(2)) as i64 + 600);
        let t0 = now - age;
        let observed = (t0 - days(&mut rng, 1.0, 30.0)).date();
        let factory = if rng.gen_bool(0.04) && !unlinked.is_empty() {
            unlinked[rng.gen_range(0..unlinked.len())]
        } else {
            linked[rng.gen_range(0..linked.len())]
        };
        let responsible = model.responsible(factory, observed);
        planned += responsible.len();
        plans.push((t0, observed, factory, responsible));
    }
    plans.sort_by_key(|p| p.0);
    for (t0, observed, factory, responsible) in plans {
        let monitor = rng.gen_range(0..MONITORS);
        let severity = match rng.gen_range(0..100) {
            0..=9 => "critical",
            10..=59 => "major",
            _ => "minor",
        };
        let category = CATEGORIES[rng.gen_range(0..CATEGORIES.len())];
        let mut f = templates.finding.clone();
        f.id = v7(t0);
        f.monitor_id = model.monitors[monitor].id.clone();
        f.factory_id = model.factories[factory].clone();
        f.category = category.to_string();
        f.severity = severity.to_string();
        f.title = format!(
            "{} ({})",
            title_of(category),
            ["interviews", "site visit", "grievance", "desk review"][n_findings % 4]
        );
        f.description = format!(
            "Reported by workers during {}. Observed on {observed}; {} workers affected according to the monitor. Details are in the evidence.",
            ["off-site interviews", "an unannounced visit", "a grievance call", "a document review"][n_findings % 4],
            5 + n_findings % 300
        );
        f.observed_on = observed;
        f.evidence = if rng.gen_bool(0.6) {
            json!([{"url": format!("https://evidence.example.org/reports/{}", n_findings), "label": "Monitoring report"}]).to_string()
        } else {
            "[]".to_string()
        };
        f.confidential_notes = rng
            .gen_bool(0.5)
            .then(|| "Sources are listed in the monitor's file (do not disclose)".to_string());
        f.worker_protection = rng.gen_bool(0.2);
        f.routed = !responsible.is_empty();
        f.created_at = t0;
        f.updated_at = t0;
        for (contractor, contract_ids) in &responsible {
            let (e, n) = simulate_case(
                &ctx,
                &mut rng,
                &mut batch,
                &f,
                *contractor,
                monitor,
                contract_ids,
                t0,
            );
            n_events += e;
            n_notes += n;
            made_cases += 1;
        }
        batch.findings.push(f);
        n_findings += 1;
        if batch.cases.len() >= 2_000 {
            batch.flush(conn);
            if made_cases % 20_000 < 2_000 {
                eprintln!(
                    "seed: {made_cases} cases ({:.0}s)",
                    t.elapsed().as_secs_f64()
                );
            }
        }
    }
    batch.flush(conn);
    eprintln!(
        "seed: {n_findings} findings, {made_cases} cases, {n_events} events, {n_notes} notifications in bulk in {:.1}s",
        t.elapsed().as_secs_f64()
    );
    let big = big_contract(conn, &model, now);
    // The highest level reached: no extension lowered any in this history. (A column of the
    // due-diligence work; ignored where it does not exist.)
    let _ = conn.batch_execute(
        "UPDATE cases SET max_escalation_level = escalation_level WHERE max_escalation_level < escalation_level",
    );
    let t = Instant::now();
    match conn {
        // Only this schema's tables: a bare VACUUM would visit the whole database.
        DbConnection::Pg(_) => {
            #[derive(QueryableByName)]
            struct Table {
                #[diesel(sql_type = diesel::sql_types::Text)]
                tablename: String,
            }
            let tables: Vec<Table> = diesel::sql_query(
                "SELECT tablename::text AS tablename FROM pg_tables WHERE schemaname = current_schema()",
            )
            .load(conn)
            .unwrap();
            for t in tables {
                conn.batch_execute(&format!("VACUUM ANALYZE \"{}\"", t.tablename))
                    .unwrap();
            }
            // Write the fill's dirty pages out now rather than in a checkpoint during the
            // measurements (needs superuser or pg_checkpoint; skipped otherwise).
            if let Err(e) = conn.batch_execute("CHECKPOINT") {
                eprintln!("seed: no CHECKPOINT ({e}); a checkpoint may land in the measurements");
            }
        }
        DbConnection::Sqlite(_) => conn
            .batch_execute("ANALYZE; PRAGMA wal_checkpoint(TRUNCATE);")
            .unwrap(),
    }
    eprintln!("seed: analyze in {:.1}s", t.elapsed().as_secs_f64());

    // 4. What the load scripts need.
    let buyer = &model.buyers[0];
    let hot: Vec<String> = model.factories[..n_hot].to_vec();
    write_lines(&out.join("factories.txt"), hot.clone());
    write_lines(
        &out.join("contracts.txt"),
        model
            .contracts
            .iter()
            .filter(|k| k.buyer == 0)
            .map(|k| k.id.clone()),
    );
    write_lines(
        &out.join("contractor-tokens.txt"),
        model
            .contractors
            .iter()
            .map(|o| format!("{} {}", o.id, o.token)),
    );
    let contract = model
        .contracts
        .iter()
        .find(|k| k.buyer == 0)
        .expect("a contract of buyer 0");
    write_lines(
        &out.join("env.sh"),
        [
            format!("BENCH_ADMIN_TOKEN='{admin_token}'"),
            format!("BENCH_MONITOR_TOKEN='{}'", model.monitors[0].token),
            format!("BENCH_MONITOR_ID='{}'", model.monitors[0].id),
            format!("BENCH_BUYER_TOKEN='{}'", buyer.token),
            format!("BENCH_BUYER_ID='{}'", buyer.id),
            format!("BENCH_CONTRACTOR_TOKEN='{}'", model.contractors[0].token),
            format!("BENCH_CONTRACTOR_ID='{}'", model.contractors[0].id),
            format!("BENCH_CONTRACT_ID='{}'", contract.id),
            format!("BENCH_BIG_CONTRACT_ID='{big}'"),
            format!("BENCH_FACTORY_ID='{}'", hot[0]),
            format!(
                "BENCH_SEED_SECONDS='{:.1}'",
                started.elapsed().as_secs_f64()
            ),
        ],
    );
    eprintln!("seed: done in {:.1}s", started.elapsed().as_secs_f64());
}

fn make_org(c: &mut DbConnection, kind: &str, i: usize, now: NaiveDateTime) -> Result<Org, Error> {
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
        token_id: t.id.to_string(),
        caller: Caller {
            organization_id: o.id,
            kind: o.kind,
            token_id: t.id,
        },
        token: t.token,
        email,
        language: language.to_string(),
    })
}

fn title_of(category: &str) -> &'static str {
    match category {
        "freedom_of_association" => "Union organisers dismissed",
        "forced_labour" => "Recruitment fees and retained passports",
        "child_labour" => "Workers under 16 on the line",
        "discrimination" => "Pregnancy testing at hiring",
        "health_and_safety" => "Blocked fire exits",
        "fair_recruitment" => "Agency fees charged to migrant workers",
        "violence_and_harassment" => "Verbal abuse by line supervisors",
        "wages" => "Wages below the legal minimum",
        "working_hours" => "Excessive overtime",
        "environment_and_chemicals" => "Solvent exposure without protection",
        "grievance_mechanism" => "No working grievance channel",
        "retaliation" => "Retaliation against complainants",
        _ => "Other labour rights concern",
    }
}

#[derive(Default)]
struct Batch {
    findings: Vec<FindingRow>,
    cases: Vec<CaseRow>,
    case_contracts: Vec<CaseContract>,
    events: Vec<EventRow>,
    notifications: Vec<NotificationRow>,
}

impl Batch {
    /// Writes everything buffered, parents first, in one transaction.
    fn flush(&mut self, conn: &mut DbConnection) {
        write_tx(conn, |c| {
            insert_rows!(c, findings::table, self.findings);
            insert_rows!(c, cases::table, self.cases);
            insert_rows!(c, case_contracts::table, self.case_contracts);
            insert_rows!(c, case_events::table, self.events);
            insert_rows!(c, notifications::table, self.notifications);
            Ok(())
        })
        .expect("bulk findings and cases");
        *self = Batch::default();
    }
}

struct Ctx<'a> {
    now: NaiveDateTime,
    policy: &'a Policy,
    templates: &'a Templates,
    model: &'a Model,
}

/// One case's life from `t0` until now: its transitions (by age), the reminders and
/// escalations the sweep would have made on the way, comments; each event with its
/// notifications. Returns (events, notifications) written.
#[allow(clippy::too_many_arguments)]
fn simulate_case(
    ctx: &Ctx,
    rng: &mut StdRng,
    batch: &mut Batch,
    finding: &FindingRow,
    contractor: usize,
    monitor: usize,
    contract_ids: &BTreeSet<String>,
    t0: NaiveDateTime,
) -> (usize, usize) {
    let severity: Severity = finding.severity.parse().unwrap();
    let due = escalation::due_dates(ctx.policy, severity, t0);
    let mut row = ctx.templates.case.clone();
    row.id = v7(t0);
    row.finding_id = finding.id.clone();
    row.contractor_id = ctx.model.contractors[contractor].id.clone();
    row.monitor_id = finding.monitor_id.clone();
    row.factory_id = finding.factory_id.clone();
    row.category = finding.category.parse().unwrap();
    row.severity = severity;
    row.state = CaseState::Open;
    row.resume_state = None;
    row.escalation_level = 0;
    row.overdue = false;
    row.opened_at = t0;
    row.acknowledge_due_at = due.acknowledge;
    row.plan_due_at = due.plan;
    row.remediation_due_at = due.remediation;
    row.plan = None;
    row.version = 1;
    row.event_count = 0;
    row.last_event_hash = GENESIS.to_string();
    row.created_at = t0;
    row.updated_at = t0;
    row.policy_version = ctx.policy.version();
    row.paused_at = None;
    row.paused_seconds = 0;
    row.acknowledge_extended_to = None;
    row.plan_extended_to = None;
    row.remediation_extended_to = None;
    row.acknowledged_at = None;
    row.plan_submitted_at = None;
    row.plan_accepted_at = None;
    row.remediated_at = None;
    row.closed_at = None;
    row.acknowledge_reminded_for = None;
    row.plan_reminded_for = None;
    row.remediation_reminded_for = None;
    row.acknowledge_escalated_for = None;
    row.plan_escalated_for = None;
    row.remediation_escalated_for = None;
    escalation::reschedule(&mut row, ctx.policy.reminder_before);
    let ids: Vec<String> = contract_ids.iter().cloned().collect();
    let mut buyers: Vec<usize> = ids
        .iter()
        .filter_map(|id| {
            ctx.model
                .contracts
                .iter()
                .find(|k| &k.id == id)
                .map(|k| k.buyer)
        })
        .collect();
    buyers.sort_by(|a, b| ctx.model.buyers[*a].id.cmp(&ctx.model.buyers[*b].id));
    buyers.dedup();
    for id in &ids {
        batch.case_contracts.push(CaseContract {
            case_id: row.id.clone(),
            contract_id: id.clone(),
        });
    }
    let mut sim = Sim {
        ctx,
        row,
        contractor,
        monitor,
        buyers,
        title: finding.title.clone(),
        events: 0,
        notes: 0,
    };
    let utc = ketenzorg::clock::utc;
    sim.record(
        batch,
        EventKind::Opened,
        t0,
        Some(&ctx.model.monitors[monitor]),
        json!({
            "finding_id": finding.id, "contract_ids": ids, "severity": finding.severity,
            "late_routing": false, "policy_version": sim.row.policy_version,
            "deadlines": {"acknowledge": utc(due.acknowledge), "plan": utc(due.plan), "remediation": utc(due.remediation)},
        }),
        None,
    );
    // Where the case is now, by age: young cases are mostly open, old ones mostly closed; a
    // few contractors never answer (their cases stay open and escalate).
    const PATH: [&str; 6] = [
        "acknowledge",
        "submit_plan",
        "accept_plan",
        "report_remediated",
        "verify",
        "close",
    ];
    let age_days = (ctx.now - t0).num_hours() as f64 / 24.0;
    // Cumulative percentages of: open, acknowledged, plan_submitted, plan_accepted,
    // remediated, verified, closed; the rest is disputed.
    let weights: [u32; 7] = if age_days < 7.0 {
        [65, 95, 95, 95, 95, 95, 95]
    } else if age_days < 45.0 {
        [20, 50, 75, 95, 95, 95, 95]
    } else if age_days < 180.0 {
        [8, 15, 20, 60, 70, 75, 97]
    } else {
        [6, 9, 11, 26, 30, 34, 97]
    };
    let roll = rng.gen_range(0..100);
    let target: &[&str] = match weights.iter().position(|w| roll < *w) {
        Some(steps) => &PATH[..steps],
        None => &["dispute"],
    };
    let mut t = t0;
    for action in target {
        let (lo, hi) = match *action {
            "acknowledge" if rng.gen_bool(0.15) => (5.0, 20.0),
            "acknowledge" => (0.1, 5.0),
            "submit_plan" => (1.0, 10.0),
            "accept_plan" => (0.5, 5.0),
            "report_remediated" => (10.0, 70.0),
            "verify" => (2.0, 20.0),
            "close" => (0.1, 5.0),
            _ => (0.5, 7.0),
        };
        let next = t + days(rng, lo, hi);
        // A comment on the way, now and then.
        if rng.gen_bool(0.08) {
            let at = t + (next - t) / 2;
            if at < ctx.now {
                sim.comment(batch, rng, at);
            }
        }
        if next >= ctx.now {
            break;
        }
        t = next;
        sim.transition(batch, rng, action, t);
    }
    if rng.gen_bool(0.1) {
        let at = t + (ctx.now - t) / 3;
        sim.comment(batch, rng, at);
    }
    sim.catch_up(batch, ctx.now);
    let (events, notes) = (sim.events, sim.notes);
    batch.cases.push(sim.row);
    (events, notes)
}

struct Sim<'a> {
    ctx: &'a Ctx<'a>,
    row: CaseRow,
    contractor: usize,
    monitor: usize,
    buyers: Vec<usize>,
    title: String,
    events: usize,
    notes: usize,
}

impl Sim<'_> {
    /// `cases::service::record`: the event (hash-chained), the case head, the notifications.
    fn record(
        &mut self,
        batch: &mut Batch,
        kind: EventKind,
        at: NaiveDateTime,
        actor: Option<&Org>,
        payload: Value,
        dedup_key: Option<String>,
    ) {
        let mut e = self.ctx.templates.event.clone();
        e.id = v7(at);
        e.case_id = self.row.id.clone();
        e.seq = self.row.event_count + 1;
        e.kind = kind;
        e.at = at;
        e.actor_organization_id = actor.map(|o| o.id.clone());
        e.actor_token_id = actor.map(|o| o.token_id.clone());
        e.payload = payload.to_string();
        e.prev_hash = self.row.last_event_hash.clone();
        e.dedup_key = dedup_key;
        e.hash = e.compute_hash();
        self.row.event_count = e.seq;
        self.row.last_event_hash = e.hash.clone();
        self.row.updated_at = at;
        // notifications::outbox::enqueue
        let model = self.ctx.model;
        let mut orgs: Vec<(&Org, bool)> = Vec::new();
        for r in rules::recipients(kind, &payload) {
            let list: Vec<&Org> = match r {
                Recipient::Contractor | Recipient::ContractorEscalation => {
                    vec![&model.contractors[self.contractor]]
                }
                Recipient::Monitor => vec![&model.monitors[self.monitor]],
                Recipient::Buyers => self.buyers.iter().map(|b| &model.buyers[*b]).collect(),
            };
            for o in list {
                if e.actor_organization_id.as_deref() == Some(o.id.as_str()) {
                    continue;
                }
                let escalation = *r == Recipient::ContractorEscalation;
                if !orgs
                    .iter()
                    .any(|(x, esc)| x.id == o.id && *esc == escalation)
                {
                    orgs.push((o, escalation));
                }
            }
        }
        let mut seen = BTreeSet::new();
        for (o, escalation) in orgs {
            if !seen.insert(o.id.clone()) {
                continue;
            }
            let mut n = self.ctx.templates.notification.clone();
            n.id = v7(at);
            n.case_id = self.row.id.clone();
            n.event_id = e.id.clone();
            n.kind = kind;
            n.recipient_organization_id = o.id.clone();
            n.recipient_email = o.email.clone();
            n.language = o.language.clone();
            n.payload = json!({
                "event": payload,
                "actor_organization_id": e.actor_organization_id,
                "case": {
                    "id": self.row.id, "state": self.row.state, "severity": self.row.severity,
                    "category": self.row.category, "finding_title": self.title,
                    "escalation_level": self.row.escalation_level,
                    "next_due_at": self.row.next_due_at.map(ketenzorg::clock::utc),
                },
                "audience": if escalation { "escalation" } else { "notification" },
            })
            .to_string();
            n.status = "sent".into();
            n.attempts = 1;
            n.next_attempt_at = at;
            n.lease_until = None;
            n.last_error = None;
            n.sent_at = Some(at + TimeDelta::seconds(20));
            n.created_at = at;
            n.digest = false;
            n.lease_token = None;
            batch.notifications.push(n);
            self.notes += 1;
        }
        batch.events.push(e);
        self.events += 1;
    }

    /// What the sweep would have done up to `until`: reminders before each running deadline,
    /// an escalation at each missed one (escalation::sweep's order and payloads).
    fn catch_up(&mut self, batch: &mut Batch, until: NaiveDateTime) {
        let rb = self.ctx.policy.reminder_before;
        for _ in 0..12 {
            escalation::reschedule(&mut self.row, rb);
            let Some(at) = self.row.next_action_at else {
                return;
            };
            if at > until {
                return;
            }
            let mut kinds = escalation::KINDS;
            kinds.sort_by_key(|k| *escalation::slot(&mut self.row, *k).due);
            let mut acted = false;
            for kind in kinds {
                if !escalation::running(&self.row, kind) {
                    continue;
                }
                let s = escalation::slot(&mut self.row, kind);
                let (due, reminded, escalated) = (*s.due, *s.reminded_for, *s.escalated_for);
                let stamp =
                    ketenzorg::clock::utc(due).to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
                if at >= due && escalated != Some(due) {
                    *s.escalated_for = Some(due);
                    *s.reminded_for = Some(due);
                    escalation::reschedule(&mut self.row, rb);
                    let level = self.row.escalation_level;
                    let effect = match level {
                        1 => "the contractor's escalation contact and the buyer are told",
                        2 => "the case is overdue in the buyer's contract status; the monitor is told",
                        _ => "non-cooperation: the trigger for contractual remedies",
                    };
                    let key = format!("escalation:{}:{kind}:{level}:{stamp}", self.row.id);
                    self.row.version += 1;
                    self.record(batch, EventKind::Escalated, at, None,
                        json!({"deadline": kind, "deadline_at": stamp, "level": level, "effect": effect}), Some(key));
                    acted = true;
                } else if at < due && at >= due - rb && reminded != Some(due) {
                    *s.reminded_for = Some(due);
                    escalation::reschedule(&mut self.row, rb);
                    let key = format!("reminder:{}:{kind}:{stamp}", self.row.id);
                    self.row.version += 1;
                    self.record(
                        batch,
                        EventKind::Reminder,
                        at,
                        None,
                        json!({"deadline": kind, "deadline_at": stamp}),
                        Some(key),
                    );
                    acted = true;
                }
            }
            if !acted {
                return;
            }
        }
    }

    /// `cases::service::transition`: the step itself is the case core's (`CaseRow::apply`).
    fn transition(&mut self, batch: &mut Batch, rng: &mut StdRng, action: &str, at: NaiveDateTime) {
        self.catch_up(batch, at);
        let from = self.row.state;
        let act: Action = action.parse().unwrap();
        let to = lifecycle::next_state(from, act, self.row.resume_state)
            .unwrap_or_else(|| panic!("the simulator tried {action} from {from}"));
        let by_contractor = lifecycle::party_for(act) == Party::Contractor;
        let row = &mut self.row;
        row.apply(&Step::transition(act, from, to, at)).unwrap();
        row.version += 1;
        let mut payload = json!({"action": action, "from": from, "to": to});
        match action {
            "acknowledge" if rng.gen_bool(0.5) => {
                payload["note"] = json!("We have contacted the factory and are investigating.")
            }
            "submit_plan" => {
                let plan = json!({
                    "root_cause": "Production peaks are met with overtime instead of extra shifts.",
                    "actions": [
                        {"description": "Cap weekly hours at 60 and record them electronically.", "kind": "corrective",
                         "owner": "Factory HR manager", "due_on": (at + TimeDelta::days(60)).date()},
                        {"description": "Plan peak capacity with the buyer's forecast.", "kind": "preventive",
                         "owner": "Contractor CSR lead", "due_on": (at + TimeDelta::days(120)).date()},
                    ],
                    "no_action_justification": null,
                });
                row.plan = Some(plan.to_string());
                payload["plan"] = plan;
            }
            "report_remediated" => {
                payload["evidence"] = json!([{"url": "https://evidence.example.org/remediation/records.pdf", "label": "Time records"}]);
                payload["note"] = json!("Hours are now capped; records attached.");
            }
            "close" => payload["reason"] = json!("Remediation verified on site."),
            "dispute" => {
                payload["reason"] =
                    json!("The factory is not in our supply chain for this contract.")
            }
            _ => {}
        }
        escalation::reschedule(row, self.ctx.policy.reminder_before);
        let model = self.ctx.model;
        let actor = if by_contractor {
            &model.contractors[self.contractor]
        } else {
            &model.monitors[self.monitor]
        };
        self.record(batch, EventKind::of(act), at, Some(actor), payload, None);
    }

    fn comment(&mut self, batch: &mut Batch, rng: &mut StdRng, at: NaiveDateTime) {
        self.catch_up(batch, at);
        let model = self.ctx.model;
        let actor = match rng.gen_range(0..3) {
            0 => &model.contractors[self.contractor],
            1 => &model.monitors[self.monitor],
            _ => &model.buyers[self.buyers.first().copied().unwrap_or(0)],
        };
        self.row.version += 1;
        self.record(batch, EventKind::Comment, at, Some(actor),
            json!({"text": "Could you share the latest time records and the names of the auditors?"}), None);
    }
}

// ---------------------------------------------------------------------------------------------
// the reference loops

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn report(kind: &str, n: usize, elapsed: f64, mut lat: Vec<f64>, extra: &str) {
    lat.sort_by(|a, b| a.partial_cmp(b).unwrap());
    println!(
        "BENCH_RESULT kind={kind} count={n} seconds={elapsed:.3} rate={:.1} p50_ms={:.3} p99_ms={:.3} {extra}",
        n as f64 / elapsed,
        percentile(&lat, 50.0),
        percentile(&lat, 99.0)
    );
}

/// The finding the in-process loop files (and the raw reference copies): working hours at
/// `factory`, observed yesterday, like the HTTP load's (bench/lua/findings.lua).
fn overtime_finding(factory: &str, severity: &str, label: &str) -> NewFinding {
    serde_json::from_value(json!({
        "factory_id": factory, "category": "working_hours", "severity": severity,
        "title": format!("Excessive overtime ({label})"),
        "description": "Workers report 72-hour weeks during the peak season; overtime is not voluntary.",
        "observed_on": (now() - TimeDelta::days(1)).date().format("%Y-%m-%d").to_string(),
    }))
    .unwrap()
}

/// What one HTTP POST /findings does to the database, without HTTP: `findings::service::file`
/// in one `write_tx` per finding, one connection, for BENCH_DURATION.
fn inprocess(url: &str, out: &Path) {
    let env = read_env(out);
    let hot = read_lines(&out.join("factories.txt"));
    let db = connect(url);
    let mut conn = db.get().unwrap();
    let conn: &mut DbConnection = &mut conn;
    let caller =
        ketenzorg::auth::authenticate(conn, &env["BENCH_MONITOR_TOKEN"]).expect("monitor token");
    // Statements sent to the database (diesel's instrumentation), to put round trips per
    // finding next to the time per finding.
    let statements = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    {
        let statements = statements.clone();
        // BENCH_TRACE_MS=N: print each statement slower than N ms.
        let slow: Option<f64> = std::env::var("BENCH_TRACE_MS")
            .ok()
            .and_then(|v| v.parse().ok());
        let mut began = Instant::now();
        conn.set_instrumentation(move |event: diesel::connection::InstrumentationEvent<'_>| {
            use diesel::connection::InstrumentationEvent as E;
            match event {
                E::StartQuery { .. } => {
                    statements.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    began = Instant::now();
                }
                E::FinishQuery { query, .. } => {
                    let ms = began.elapsed().as_secs_f64() * 1000.0;
                    if slow.is_some_and(|limit| ms > limit) {
                        eprintln!("slow statement: {ms:.2} ms: {query}");
                    }
                }
                _ => {}
            }
        });
    }
    let policy = Policy::default();
    let limit = duration();
    let mut lat = Vec::new();
    let mut cases = 0usize;
    let severities = ["major", "minor", "critical", "major"];
    let started = Instant::now();
    while started.elapsed() < limit {
        let i = lat.len();
        let t = Instant::now();
        let input = overtime_finding(
            &hot[i % hot.len()],
            severities[i % 4],
            &format!("in-process {i}"),
        );
        let filed = write_tx(conn, |c| {
            ketenzorg::findings::service::file(c, &caller, input, None, now(), &policy)
        })
        .expect("file a finding");
        lat.push(t.elapsed().as_secs_f64() * 1000.0);
        if let Filed::Created(f) = filed {
            cases += f.cases.len();
        }
    }
    let n = lat.len();
    report(
        "inprocess",
        n,
        started.elapsed().as_secs_f64(),
        lat,
        &format!(
            "cases_per_finding={:.2} statements_per_finding={:.1}",
            cases as f64 / n.max(1) as f64,
            statements.load(std::sync::atomic::Ordering::Relaxed) as f64 / n.max(1) as f64
        ),
    );
}

/// The database's commit rate for the same rows one filing writes: a finding filed here
/// through the service (routed to two contractors) is the template, and each transaction
/// inserts a copy of every row it wrote (the finding, its cases with their contract links,
/// their events and their notifications) with new ids, one single-row INSERT per row, one
/// connection, for BENCH_DURATION. On SQLite with the service's connection settings (WAL,
/// synchronous=NORMAL, BEGIN IMMEDIATE).
fn raw(url: &str, out: &Path) {
    let env = read_env(out);
    let hot = read_lines(&out.join("factories.txt"));
    let db = connect(url);
    let mut conn = db.get().unwrap();
    let conn: &mut DbConnection = &mut conn;
    let caller =
        ketenzorg::auth::authenticate(conn, &env["BENCH_MONITOR_TOKEN"]).expect("monitor token");
    let input = overtime_finding(&hot[0], "major", "raw template");
    let filed = write_tx(conn, |c| {
        ketenzorg::findings::service::file(c, &caller, input, None, now(), &Policy::default())
    })
    .expect("file the template finding");
    let Filed::Created(filed) = filed else {
        panic!("the template finding was not created")
    };
    let finding: FindingRow = findings::table
        .filter(findings::id.eq(filed.id.to_string()))
        .select(FindingRow::as_select())
        .first(conn)
        .expect("the template finding");
    let case_rows: Vec<CaseRow> = cases::table
        .filter(cases::finding_id.eq(&finding.id))
        .order(cases::id.asc())
        .select(CaseRow::as_select())
        .load(conn)
        .expect("its cases");
    let case_ids: Vec<String> = case_rows.iter().map(|k| k.id.clone()).collect();
    let links: Vec<(String, String)> = case_contracts::table
        .filter(case_contracts::case_id.eq_any(&case_ids))
        .order((case_contracts::case_id, case_contracts::contract_id))
        .select((case_contracts::case_id, case_contracts::contract_id))
        .load(conn)
        .expect("their contracts");
    let events: Vec<EventRow> = case_events::table
        .filter(case_events::case_id.eq_any(&case_ids))
        .order(case_events::id.asc())
        .select(EventRow::as_select())
        .load(conn)
        .expect("their events");
    let event_ids: Vec<String> = events.iter().map(|e| e.id.clone()).collect();
    let notes: Vec<NotificationRow> = notifications::table
        .filter(notifications::case_id.eq_any(&case_ids))
        .order(notifications::id.asc())
        .select(NotificationRow::as_select())
        .load(conn)
        .expect("their notifications");
    assert!(
        case_rows.len() >= 2 && !events.is_empty() && !notes.is_empty(),
        "the template finding should open two cases with events and notifications"
    );
    let rows = 1 + case_rows.len() + links.len() + events.len() + notes.len();
    // For pgbench (bench/run.sh): each template row as `table|WHERE|RETURNING variable|the
    // columns to replace` (CASE arms over the column name, pgbench variables of earlier rows).
    let at = |ids: &[String], id: &str| ids.iter().position(|x| x == id).unwrap();
    let mut plan = vec![format!("findings|id = '{}'|fid|", finding.id)];
    for (i, k) in case_rows.iter().enumerate() {
        plan.push(format!(
            "cases|id = '{}'|c{i}|WHEN 'finding_id' THEN ''':fid'''",
            k.id
        ));
    }
    for (case, contract) in &links {
        plan.push(format!(
            "case_contracts|case_id = '{case}' AND contract_id = '{contract}'||WHEN 'case_id' THEN ''':c{}'''",
            at(&case_ids, case)
        ));
    }
    for (i, e) in events.iter().enumerate() {
        plan.push(format!(
            "case_events|id = '{}'|e{i}|WHEN 'case_id' THEN ''':c{}''' WHEN 'dedup_key' THEN 'NULL'",
            e.id,
            at(&case_ids, &e.case_id)
        ));
    }
    for n in &notes {
        plan.push(format!(
            "notifications|id = '{}'||WHEN 'case_id' THEN ''':c{}''' WHEN 'event_id' THEN ''':e{}'''",
            n.id,
            at(&case_ids, &n.case_id),
            at(&event_ids, &n.event_id)
        ));
    }
    write_lines(&out.join("raw-template.plan"), plan);
    let limit = duration();
    let mut lat = Vec::new();
    let started = Instant::now();
    while started.elapsed() < limit {
        let t = Instant::now();
        let when = now();
        let mut f = finding.clone();
        f.id = v7(when);
        f.created_at = when;
        let new_cases: Vec<String> = case_rows.iter().map(|_| v7(when)).collect();
        let new_events: Vec<String> = events.iter().map(|_| v7(when)).collect();
        let ks: Vec<CaseRow> = case_rows
            .iter()
            .zip(&new_cases)
            .map(|(k, id)| {
                let mut k = k.clone();
                k.id = id.clone();
                k.finding_id = f.id.clone();
                k
            })
            .collect();
        let es: Vec<EventRow> = events
            .iter()
            .zip(&new_events)
            .map(|(e, id)| {
                let mut e = e.clone();
                e.id = id.clone();
                e.case_id = new_cases[at(&case_ids, &e.case_id)].clone();
                e.dedup_key = None;
                e
            })
            .collect();
        let ns: Vec<NotificationRow> = notes
            .iter()
            .map(|n| {
                let mut n = n.clone();
                n.id = v7(when);
                n.case_id = new_cases[at(&case_ids, &n.case_id)].clone();
                n.event_id = new_events[at(&event_ids, &n.event_id)].clone();
                n
            })
            .collect();
        write_tx(conn, |c| {
            diesel::insert_into(findings::table).values(&f).execute(c)?;
            for k in &ks {
                diesel::insert_into(cases::table).values(k).execute(c)?;
            }
            for (case, contract) in &links {
                diesel::insert_into(case_contracts::table)
                    .values((
                        case_contracts::case_id.eq(&new_cases[at(&case_ids, case)]),
                        case_contracts::contract_id.eq(contract),
                    ))
                    .execute(c)?;
            }
            for e in &es {
                diesel::insert_into(case_events::table)
                    .values(e)
                    .execute(c)?;
            }
            for n in &ns {
                diesel::insert_into(notifications::table)
                    .values(n)
                    .execute(c)?;
            }
            Ok(())
        })
        .expect("raw insert");
        lat.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    let n = lat.len();
    report(
        "raw",
        n,
        started.elapsed().as_secs_f64(),
        lat,
        &format!("rows_per_transaction={rows}"),
    );
}

/// The due-diligence benchmark's large contract (issue 6): a contractor of its own with one
/// contract of buyer 0 whose only product is made at a factory of its own, and
/// BENCH_BIG_CASES (default 10,000) findings there, each opening one case on that contract,
/// filed through the service; 70% are then acknowledged, 40% get a plan, 30% an accepted
/// plan. Returns the contract id.
fn big_contract(conn: &mut DbConnection, model: &Model, now: NaiveDateTime) -> String {
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

/// Every open case with its contractor's token, shuffled: `case_id token` per line, for the
/// acknowledge load (each case can be acknowledged once).
fn pool(url: &str, out: &Path) {
    let tokens: HashMap<String, String> = read_lines(&out.join("contractor-tokens.txt"))
        .into_iter()
        .filter_map(|l| {
            l.split_once(' ')
                .map(|(a, b)| (a.to_string(), b.to_string()))
        })
        .collect();
    let db = connect(url);
    let mut conn = db.get().unwrap();
    let rows: Vec<(String, String)> = cases::table
        .filter(cases::state.eq("open"))
        .order(cases::id.asc())
        .select((cases::id, cases::contractor_id))
        .load(&mut *conn)
        .expect("open cases");
    let mut lines: Vec<String> = rows
        .into_iter()
        .filter_map(|(case, contractor)| tokens.get(&contractor).map(|t| format!("{case} {t}")))
        .collect();
    let mut rng = StdRng::seed_from_u64(7);
    for i in (1..lines.len()).rev() {
        lines.swap(i, rng.gen_range(0..=i));
    }
    eprintln!("pool: {} open cases", lines.len());
    write_lines(&out.join("pool.txt"), lines);
}

fn counts(url: &str) {
    let db = connect(url);
    let mut conn = db.get().unwrap();
    let c: &mut DbConnection = &mut conn;
    let n = [
        (
            "contracts",
            ketenzorg::schema::contracts::table
                .count()
                .get_result::<i64>(c),
        ),
        (
            "contract_items",
            contract_items::table.count().get_result::<i64>(c),
        ),
        ("factories", factories::table.count().get_result::<i64>(c)),
        ("components", components::table.count().get_result::<i64>(c)),
        (
            "sourcing_links",
            sourcing_links::table.count().get_result::<i64>(c),
        ),
        ("findings", findings::table.count().get_result::<i64>(c)),
        ("cases", cases::table.count().get_result::<i64>(c)),
        (
            "open_cases",
            cases::table
                .filter(cases::state.eq("open"))
                .count()
                .get_result::<i64>(c),
        ),
        (
            "case_events",
            case_events::table.count().get_result::<i64>(c),
        ),
        (
            "notifications",
            notifications::table.count().get_result::<i64>(c),
        ),
    ];
    for (name, v) in n {
        println!("{name}={}", v.expect("count"));
    }
}
