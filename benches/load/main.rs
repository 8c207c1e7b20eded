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
//! with multi-row INSERTs, so they have exactly the shape the service writes. Case histories
//! are simulated with the library's own deadline rules (`escalation::reschedule`, the sweep's
//! `escalation::sweep::due`), their events are chained by `cases::events::next`, and their
//! notification rows are made by the library's outbox (`notifications::outbox::rows_for`, the
//! rule `enqueue` writes by) and written in bulk too.
//!
//! Modules: `seed` (the fill, in order), `services` (the rows made through the services, and the
//! due-diligence benchmark's large contract), `registry` (factories, bill of materials, items and
//! sourcing links in bulk), `sim` (case histories), `batch` (their bulk writes), `model` (the in-memory registry and the fixed
//! sizes), `runs` (the timed loops and the helpers the scripts call) and `report` (their result
//! line).

use std::collections::HashMap;
use std::io::Write;
use std::path::Path;
use std::time::Duration;

use chrono::{NaiveDateTime, TimeDelta, Utc};
use ketenzorg::db::{DatabaseTarget, Db, PooledDb};
use rand::rngs::StdRng;
use rand::Rng;

/// Multi-row INSERTs on the backend's own connection (they do not go through the
/// MultiConnection), in chunks.
macro_rules! insert_rows {
    ($conn:expr, $table:expr, $rows:expr) => {{
        for chunk in $rows.chunks(crate::model::CHUNK) {
            match &mut *$conn {
                ketenzorg::db::DbConnection::Pg(c) => {
                    diesel::insert_into($table).values(chunk).execute(c)
                }
                ketenzorg::db::DbConnection::Sqlite(c) => {
                    diesel::insert_into($table).values(chunk).execute(c)
                }
            }?;
        }
    }};
}

mod batch;
mod model;
mod registry;
mod report;
mod runs;
mod seed;
mod services;
mod sim;

use runs::{counts, inprocess, pool, raw};
use seed::seed;

fn main() {
    // `cargo bench` passes `--bench`; everything else is ours.
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let arg = |i: usize| -> &str {
        args.get(i).map(String::as_str).unwrap_or_else(|| {
            eprintln!("load: missing argument {i}; see the head of benches/load/main.rs");
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
            eprintln!("load: unknown subcommand {other:?}; see the head of benches/load/main.rs");
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

/// One connection to the database at `url`.
fn connect(url: &str) -> PooledDb {
    let target = DatabaseTarget::parse(url).expect("database URL");
    Db::connect(&target, 2)
        .expect("database")
        .get()
        .expect("a connection")
}

fn now() -> NaiveDateTime {
    Utc::now().naive_utc()
}

/// A time-ordered id for an instant in the past, as `Uuid::now_v7` would have made it then.
fn v7<T: std::str::FromStr>(at: NaiveDateTime) -> T
where
    T::Err: std::fmt::Debug,
{
    let t = at.and_utc();
    id(&uuid::Uuid::new_v7(uuid::Timestamp::from_unix(
        uuid::NoContext,
        t.timestamp() as u64,
        t.timestamp_subsec_nanos(),
    ))
    .to_string())
}

/// A model id (text) as the typed id a row holds.
fn id<T: std::str::FromStr>(s: &str) -> T
where
    T::Err: std::fmt::Debug,
{
    s.parse().unwrap()
}

fn days(rng: &mut StdRng, lo: f64, hi: f64) -> TimeDelta {
    TimeDelta::seconds((rng.gen_range(lo..hi) * 86_400.0) as i64)
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
