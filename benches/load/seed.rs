//! `load seed`: a fresh database filled at BENCH_SCALE, and what the load scripts need.

use std::path::Path;
use std::time::Instant;

use chrono::TimeDelta;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use ketenzorg::db::DbConnection;
use ketenzorg::escalation::Policy;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::json;

use crate::batch::Batch;
use crate::model::*;
use crate::registry;
use crate::services::{self, *};
use crate::sim::*;
use crate::{connect, days, id, now, scale, v7, write_lines};

/// The portfolio's kept figures (migration 2026-12-06-000010, counted by triggers as the bulk
/// writes above went in) against a fresh count of the contract links, by the check
/// `ketenzorg verify-audit` runs: a seed whose figures are wrong would measure a portfolio that
/// shows wrong numbers.
fn check_figures(conn: &mut DbConnection) {
    let t = Instant::now();
    let (drift, _) =
        ketenzorg::due_diligence::kept::drift(conn).expect("comparing the portfolio figures");
    assert!(
        drift.is_empty(),
        "seed: portfolio figures differ from the contract links: {drift:?}"
    );
    eprintln!(
        "seed: portfolio figures agree with the contract links ({:.1}s)",
        t.elapsed().as_secs_f64()
    );
}

pub fn seed(url: &str, out: &Path) {
    std::fs::create_dir_all(out).unwrap();
    let s = scale();
    let n_contracts = ((500.0 * s).round() as usize).max(2);
    let n_factories = ((20_000.0 * s).round() as usize).max(200);
    let n_cases = ((100_000.0 * s).round() as usize).max(100);
    let n_hot = (n_factories / 4).min(100);
    let started = Instant::now();
    let mut conn = connect(url);
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
    let (mut model, templates, admin_token) =
        services::through_services(conn, &policy, n_contracts, now);
    eprintln!(
        "seed: organizations, tokens, {n_contracts} contracts and the template chain through the services in {:.1}s",
        started.elapsed().as_secs_f64()
    );

    // 2. The registry in bulk: factories, the bill of materials, contract items, sourcing links.
    registry::fill(conn, &mut model, &templates, &mut rng, n_factories, n_hot);

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
        f.monitor_id = id(&model.monitors[monitor].id);
        f.factory_id = model.factories[factory];
        f.category = id(category);
        f.severity = id(severity);
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
            let case = NewCase {
                finding: &f,
                contractor: *contractor,
                monitor,
                contract_ids,
                t0,
            };
            n_events += simulate_case(&ctx, &mut rng, &mut batch, &case);
            made_cases += 1;
        }
        batch.findings.push(f);
        n_findings += 1;
        if batch.cases.len() >= 2_000 {
            n_notes += batch.flush(conn);
            if made_cases % 20_000 < 2_000 {
                eprintln!(
                    "seed: {made_cases} cases ({:.0}s)",
                    t.elapsed().as_secs_f64()
                );
            }
        }
    }
    n_notes += batch.flush(conn);
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
    check_figures(conn);
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
    let buyer_cookie = services::page_session(conn, buyer, now);
    let contractor_cookie = services::page_session(conn, &model.contractors[0], now);
    let hot: Vec<String> = model.factories[..n_hot]
        .iter()
        .map(|f| f.to_string())
        .collect();
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
            format!("BENCH_BUYER_COOKIE='{buyer_cookie}'"),
            format!("BENCH_CONTRACTOR_COOKIE='{contractor_cookie}'"),
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

pub fn title_of(category: &str) -> &'static str {
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
